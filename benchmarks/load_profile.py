"""What each kind of request of the peak mix costs the web process, in one process.

    .venv/bin/python benchmarks/load.py --users 250 --seconds 30 --reuse   # loads bench_load
    .venv/bin/python benchmarks/load_profile.py                            # then, any number of times
    .venv/bin/python benchmarks/load_profile.py --only "[clerk] documents desk" --profile 40

`load.py` says how many users the machine holds; this says where the web CPU of the mix
goes, without Locust and the scheduler in the way. The pages Locust's users read (the
reads of `benchmarks/load/locustfile.py`, with the sessions and codes of the world
`load.py` wrote) are served by Django's test client in this process, with load.py's
settings (DEBUG off, PostgreSQL bench_load, counters in Redis). JSON lines, one per kind:
`cpu_ms` per request (process CPU, the best of --repeat rounds), `queries` per request,
and `share_pct`: the kind's part of the mix's web CPU, weighting each kind by the
requests per second the mix sends it at --users users (from the locustfile's weights,
think times and tasks). Only the reads are replayed: the writes of the mix (a submission,
a payment, an officer's action, a registration: about 20 a second at 2,000 users) change
the province, and load.py measures them. With --profile N, cProfile's top N functions (stderr) for --only.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import random
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE / "load"))

from load import VAR, server_env  # noqa: E402
from onestop_lifecycle import emit  # noqa: E402

DOSSIER_LINK = re.compile(r'href="(/onestop/ho-so/[0-9a-f-]{36}/)"')
INCOMING_LINK = re.compile(r'href="(/documents/incoming/[0-9a-f-]{36}/)"')


def kinds(world: dict) -> list[tuple[str, str, float, object]]:
    """(name, session kind or "", requests/s per user of the mix, path maker)."""
    term = lambda: random.choice(world["search_terms"])  # noqa: E731
    proc = lambda: random.choice(world["procedures"])  # noqa: E731

    def lookup() -> str:
        code, secret = random.choice(world["lookups"])
        return f"/onestop/tra-cuu/?code={code}&secret={secret}"

    def api_lookup() -> str:
        code, secret = random.choice(world["lookups"])
        return f"/api/v1/onestop/lookup/?code={code}&secret={secret}"

    doc_term = lambda: random.choice(world["document_terms"])  # noqa: E731
    # per-user rates: (share of users) x (task weight / all weights) / (mean think time)
    anon, cit, off, clerk, lead, api = (
        0.50 / 10,
        0.15 / 20,
        0.10 / 14,
        0.15 / 14,
        0.05 / 20,
        0.05 / 3,
    )
    return [
        ("[public] catalogue search", "", anon * 4 / 16, lambda: f"/onestop/thu-tuc/?q={term()}"),
        ("[public] procedure page", "", anon * 4 / 16, lambda: f"/onestop/thu-tuc/{proc()}/"),
        ("[public] dossier lookup", "", anon * 4 / 16 + cit / 9, lookup),
        ("[public] portal home", "", anon * 3 / 16, lambda: "/"),
        (
            "[public] open data search",
            "",
            anon / 16,
            lambda: f"/api/3/action/package_search?q={random.choice(['dân số', 'y tế'])}",
        ),
        (
            "[citizen] catalogue search",
            "citizen",
            cit * 3 / 9,
            lambda: f"/onestop/thu-tuc/?q={term()}",
        ),
        ("[citizen] procedure page", "citizen", cit * 3 / 9, lambda: f"/onestop/thu-tuc/{proc()}/"),
        ("[citizen] my dossiers", "citizen", cit * 3 / 9, lambda: "/onestop/ho-so-cua-toi/"),
        ("[citizen] dossier page", "citizen", cit * 5 / 9, "citizen-dossier"),
        (
            "[citizen] submit form",
            "citizen",
            cit * 2 / 9,
            lambda: f"/onestop/thu-tuc/{random.choice(world['submittable'])}/nop-ho-so/",
        ),
        ("[officer] queue", "officer", off * 6 / 6, lambda: "/onestop/xu-ly/"),
        ("[officer] dossier page", "officer", off * 3 / 6, "officer-dossier"),
        ("[clerk] documents desk", "clerk", clerk * 3 / 7, lambda: "/documents/"),
        ("[clerk] incoming document", "clerk", clerk * 3 / 7, "incoming"),
        ("[clerk] register form", "clerk", clerk * 2 / 7, lambda: "/documents/incoming/new/"),
        (
            "[clerk] document search",
            "clerk",
            clerk * 2 / 7,
            lambda: f"/documents/search/?q={doc_term()}",
        ),
        ("[leader] documents desk", "leader", lead * 3 / 5, lambda: "/documents/"),
        (
            "[leader] document search",
            "leader",
            lead / 5,
            lambda: f"/documents/search/?q={doc_term()}",
        ),
        ("[leader] documents statistics", "leader", lead / 5, lambda: "/documents/statistics/"),
        ("[api] dossier lookup", "api", api * 2 / 3, api_lookup),
        ("[api] procedures", "api", api / 3, lambda: f"/api/v1/onestop/procedures/?q={term()}"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=40, help="requests per kind and round")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--users", type=int, default=2000)
    parser.add_argument("--only", help="one kind, by its name")
    parser.add_argument("--profile", type=int, default=0, help="cProfile's top N, for --only")
    parser.add_argument("--sort", default="cumulative", help="cProfile order (tottime...)")
    parser.add_argument("--sql", action="store_true", help="each query's time and SQL (stderr)")
    args = parser.parse_args()

    os.environ.update(server_env())
    os.environ["DJANGO_SETTINGS_MODULE"] = "tinhso.settings"
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    world = json.loads((VAR / "world.json").read_text())
    random.seed(18)

    def signed_in(kind: str, index: int = 0) -> Client:
        client = Client(SERVER_NAME="127.0.0.1")
        session = world["sessions"][kind][index]
        client.cookies[settings.SESSION_COOKIE_NAME] = session["cookies"][
            settings.SESSION_COOKIE_NAME
        ]
        return client

    clients: dict[str, Client] = {"": Client(SERVER_NAME="127.0.0.1")}
    for kind in ("citizen", "officer", "clerk", "leader"):
        clients[kind] = signed_in(kind)
    clients["api"] = Client(
        SERVER_NAME="127.0.0.1", HTTP_AUTHORIZATION=f"Token {world['api_token']}"
    )

    def followed_links(kind: str, page: str, pattern: re.Pattern) -> tuple[Client, list[str]]:
        """The first of the world's users of `kind` whose `page` links to something to
        follow (most clerks' desks are empty: a followed kind measured on the desk itself
        would count the desk twice), with those links; none: the kind is left out."""
        for index in range(len(world["sessions"][kind])):
            client = clients[kind] if index == 0 else signed_in(kind, index)
            found = pattern.findall(client.get(page).content.decode())
            if found:
                return client, found[:20]
        return clients[kind], []

    followed = {
        "citizen-dossier": followed_links("citizen", "/onestop/ho-so-cua-toi/", DOSSIER_LINK),
        "officer-dossier": followed_links("officer", "/onestop/xu-ly/", DOSSIER_LINK),
        "incoming": followed_links("clerk", "/documents/", INCOMING_LINK),
    }
    # as a web worker does after its warm-up (tinhso/wsgi.py): without it, the
    # collector's pauses land on whichever page allocates when they fall
    from tinhso.core.warmup import WEB, settle_heap, warm_up

    warm_up(WEB)
    settle_heap()
    rows = []
    for name, kind, rate, path in kinds(world):
        if args.only and name != args.only:
            continue
        client = clients[kind]
        if isinstance(path, str):
            client, found = followed[path]
            if not found:
                print(f"{name}: no page to follow, left out", file=sys.stderr)
                continue
            make = lambda lst=found: random.choice(lst)  # noqa: E731
        else:
            make = path
        for _ in range(3):  # warm: the caches a long-running worker has
            client.get(make())
        best = float("inf")
        statuses: set[int] = set()
        for _ in range(args.repeat):
            paths = [make() for _ in range(args.requests)]
            start = time.process_time()
            for p in paths:
                statuses.add(client.get(p).status_code)
            best = min(best, (time.process_time() - start) / len(paths))
        with CaptureQueriesContext(connection) as queries:
            client.get(make())
        rows.append((name, best * 1000, len(queries), rate * args.users, sorted(statuses)))
        if args.sql:
            for query in queries.captured_queries:
                print(f"{float(query['time']) * 1000:7.2f} ms  {query['sql']}", file=sys.stderr)
        if args.profile:
            profiler = cProfile.Profile(time.process_time)  # CPU: waits on the database left out
            profiler.enable()
            for _ in range(args.requests):
                client.get(make())
            profiler.disable()
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats(args.sort).print_stats(args.profile)
            print(out.getvalue(), file=sys.stderr)
    total = sum(ms * rps for _, ms, _, rps, _ in rows) or 1
    for name, ms, queries, rps, statuses in rows:
        emit(
            kind=name,
            cpu_ms=round(ms, 2),
            queries=queries,
            requests_per_s=round(rps, 1),
            share_pct=round(100 * ms * rps / total, 1),
            statuses=statuses,
        )
    rps_total = sum(r for *_, r, _ in rows)
    emit(
        users=args.users,
        requests_per_s=round(rps_total, 1),
        web_cpu_ms_per_request=round(total / rps_total, 2),
        web_cores_needed=round(total / 1000, 2),
    )


if __name__ == "__main__":
    main()
