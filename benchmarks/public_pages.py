"""The hottest public pages against their floor: the served app vs a bare Django app.

    .venv/bin/python benchmarks/public_pages.py                  # all three pages
    .venv/bin/python benchmarks/public_pages.py --pages catalog_search --rounds 2
    .venv/bin/python benchmarks/onestop_lookup.py                # the lookup only
    PUBLIC_PAGE_SECONDS=0 .venv/bin/python benchmarks/public_pages.py   # render every visit

The pages citizens hit most:
  lookup          GET /api/v1/onestop/lookup/?code=…&secret=…  (1 in 10 with wrong digits → 404)
  catalog_search  GET /onestop/thu-tuc/?q=…                    (citizens' words, no diacritics)
  procedure       GET /onestop/thu-tuc/<code>/

Loads a PostgreSQL database `bench_<name>` with dossiers and a 300-procedure catalogue
(the bulk path of onestop_year.py) plus the demo catalogue (data/procedures.json: real
names, papers, legal basis), collects the static files (the production manifest), then
starts two gunicorns with the same --workers sync workers on the same database:

  - tinhso (`tinhso.wsgi`, DEBUG off, every middleware, the rate limits counting with
    their limits raised, the security headers), and
  - the floor (`benchmarks/floor/`): a minimal Django project, no apps, no middleware,
    persistent connections like ours (CONN_MAX_AGE 60, health checks), whose three views
    run the same queries in raw SQL and render a template of similar size.

Interleaved: the machine is shared, so the two are measured in alternating slices of
--seconds (wrk, --connections connections; a Python thread client without wrk), for
--rounds rounds, the order flipped every round (ABBA), so that whatever else the machine
does hits both alike. Per page, one JSON line: requests_per_s and p95_ms of tinhso,
floor_requests_per_s and floor_p95_ms of the floor (requests over the summed slices; p95
the median of the slices'), ratio_of_floor = requests_per_s / floor_requests_per_s, the
body sizes (bytes, floor_bytes) and the per-slice rates.

tinhso keeps the catalogue pages rendered for visitors who are not logged in (wrk sends no
cookie), for PUBLIC_PAGE_SECONDS (tinhso.core.pagecache): the JSON line says which path was
measured (public_page_seconds; 0 renders every visit, as a logged-in user's visit is).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from onestop_lifecycle import emit, pg_admin, setup_django, shared_cache  # noqa: E402

PG_BASE = os.environ.get("BENCH_PG_BASE", "postgres://postgres@127.0.0.1:5432/")
PAGES = ("lookup", "catalog_search", "procedure")
# What citizens type (no diacritics, abbreviations, a field, a code's beginning).
QUERIES = [
    "khai sinh", "dang ky khai sinh", "ket hon", "khai tu", "ho tich", "so do",
    "giay phep xay dung", "xay dung", "dat dai", "kinh doanh", "ho kinh doanh", "y te",
    "tu phap", "lao dong", "giao thong", "chung thuc", "ban sao", "thuong tru", "1.00",
    "moi truong", "van hoa", "nong nghiep", "tai chinh", "thu tuc 12",
]  # fmt: skip


def var_dir(name: str) -> Path:
    return ROOT / "var" / "bench" / name


def served_env(name: str) -> dict[str, str]:
    """The environment both servers (tinhso and the floor) run with, for bench_`name`."""
    var = var_dir(name)
    return {
        "DATABASE_URL": f"{PG_BASE}bench_{name}",
        "TINHSO_VAR_DIR": str(var),
        "STATIC_ROOT": str(var / "static"),
        "DEBUG": "0",
        "SECURE_SSL_REDIRECT": "0",
        "SECURE_HSTS_SECONDS": "0",
        # One client address drives every request: the limits count, but cannot trip.
        "ONESTOP_LOOKUP_RATE": "100000000/min",
        "ONESTOP_LOOKUP_CODE_RATE": "100000000/day",
        "LOG_LEVEL": "ERROR",  # the wrong-digit lookups are 404s, logged as warnings
    }


def prepare(n: int, sample: int) -> dict[str, list[str]]:
    """Load the database (child process) and return the paths of each page."""
    from django.core.management import call_command
    from django.db import transaction
    from django.db.models import Count

    call_command("migrate", verbosity=0, interactive=False)
    import onestop_year

    with transaction.atomic():
        onestop_year.load(n)
    from tinhso.onestop import catalog_io
    from tinhso.onestop.models import Dossier, Procedure

    import_demo_catalog(catalog_io)
    call_command("collectstatic", interactive=False, verbosity=0)
    rows = list(
        Dossier.objects.exclude(code=None)
        .order_by("?")
        .values_list("code", "applicant_phone", "applicant_id_number")[:sample]
    )
    rng = random.Random(7)
    lookup = []
    for code, phone, id_number in rows:
        secret = (phone if rng.random() < 0.5 else id_number)[-4:]
        if rng.random() < 0.1:
            secret = f"{(int(secret) + 1) % 10000:04d}"
        lookup.append(f"/api/v1/onestop/lookup/?code={code}&secret={secret}")
    # the demo catalogue's procedures (with papers and legal basis) first, then generated
    codes = list(
        Procedure.objects.filter(is_active=True)
        .annotate(papers_count=Count("papers"))
        .order_by("-papers_count", "code")
        .values_list("code", flat=True)[:100]
    )
    rng.shuffle(codes)
    return {
        "lookup": lookup,
        "catalog_search": [
            "/onestop/thu-tuc/?" + urllib.parse.urlencode({"q": q}) for q in QUERIES
        ],
        "procedure": [f"/onestop/thu-tuc/{code}/" for code in codes],
    }


def import_demo_catalog(catalog_io) -> None:
    """The demo catalogue (real names, papers, legal basis, e-forms), with the agencies it
    names created under the province first (the directory demo is not loaded here)."""
    from tinhso.directory.models import Agency

    catalog = json.loads(Path(catalog_io.DEFAULT_CATALOG).read_text())
    province = Agency.objects.get(code="H97")
    refs = {}
    for procedure in catalog["procedures"]:
        for key in ("agency", "receiving_agency"):
            ref = procedure.get(key)
            if isinstance(ref, dict) and ref.get("code"):
                refs[ref["code"]] = ref.get("short_name") or ""
    for code, short_name in sorted(refs.items()):
        Agency.objects.get_or_create(
            code=code,
            defaults={"name": f"Cơ quan {short_name or code}", "parent": province},
        )
    catalog_io.import_catalog(catalog_io.DEFAULT_CATALOG)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_up(url: str, timeout: float = 240) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)  # noqa: S310 - our own local server
            return
        except urllib.error.HTTPError:
            return  # answered (404 etc.)
        except Exception:  # noqa: BLE001
            time.sleep(0.3)
    raise RuntimeError("gunicorn did not start")


def _ms(value: float, unit: str) -> float:
    return round(value / 1000 if unit == "us" else value * 1000 if unit == "s" else value, 2)


def run_wrk(base: str, paths: list[str], connections: int, seconds: int) -> dict:
    lines = ["paths = {", *[f'  "{p}",' for p in paths], "}", "counter = 0"]
    lines += [
        "request = function()",
        "  counter = counter + 1",
        "  return wrk.format(nil, paths[(counter % #paths) + 1])",
        "end",
        "done = function(summary, latency, requests)",
        '  io.write(string.format("p95_us %d\\n", latency:percentile(95)))',
        "end",
    ]
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write("\n".join(lines) + "\n")
    try:
        out = subprocess.run(
            ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", script.name]
            + [base],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        os.unlink(script.name)

    def percentile(label: str) -> float:
        match = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        return _ms(float(match.group(1)), match.group(2)) if match else float("nan")

    p95 = re.search(r"^p95_us (\d+)", out, re.M)
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors:(.*)", out)
    return {
        "client": "wrk",
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),
        "requests_per_s": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50_ms": percentile("50"),
        "p95_ms": round(int(p95.group(1)) / 1000, 2) if p95 else float("nan"),
        "p99_ms": percentile("99"),
        "non_2xx": int(non2xx.group(1)) if non2xx else 0,
        "errors": errors.group(1).strip() if errors else "",
    }


def run_threads(base: str, paths: list[str], connections: int, seconds: int) -> dict:
    import http.client

    host, port = base.split("//")[1].split(":")
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    stop = time.time() + seconds

    def worker(offset: int) -> None:
        conn = http.client.HTTPConnection(host, int(port), timeout=30)
        k = offset
        local, codes = [], {}
        while time.time() < stop:
            path = paths[k % len(paths)]
            k += connections
            started = time.perf_counter()
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
            local.append((time.perf_counter() - started) * 1000)
            codes[response.status] = codes.get(response.status, 0) + 1
        with lock:
            latencies.extend(local)
            for c, v in codes.items():
                statuses[c] = statuses.get(c, 0) + v

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(connections)]
    started = time.time()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.time() - started
    latencies.sort()
    return {
        "client": "python-threads",
        "requests": len(latencies),
        "requests_per_s": round(len(latencies) / elapsed, 1),
        "p50_ms": round(latencies[len(latencies) // 2], 2),
        "p95_ms": round(latencies[int(len(latencies) * 0.95)], 2),
        "p99_ms": round(latencies[int(len(latencies) * 0.99)], 2),
        "non_2xx": sum(v for c, v in statuses.items() if c >= 300),
        "errors": "",
    }


def start_gunicorn(app: str, env: dict, cwd: Path, workers: int) -> tuple[subprocess.Popen, str]:
    port = free_port()
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), app, "-b", f"127.0.0.1:{port}"]
        + ["-w", str(workers), "--backlog", "2048", "--log-level", "warning"],
        cwd=cwd,
        env=env,
        start_new_session=True,
    )
    return server, f"http://127.0.0.1:{port}"


def body_size(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=120) as response:  # noqa: S310 - local
            return len(response.read())
    except urllib.error.HTTPError as exc:
        return len(exc.read())


def warm(base: str, paths: list[str]) -> None:
    """Every worker's connection, imports and template cache."""
    for p in paths[:40] * 2:
        with contextlib.suppress(urllib.error.HTTPError, TimeoutError):
            urllib.request.urlopen(base + p, timeout=120).read()  # noqa: S310


def summarise(page: str, slices: dict[str, list[dict]], sizes: dict[str, int]) -> dict:
    def rate(side: str) -> float:
        runs = slices[side]
        return round(sum(r["requests"] for r in runs) / sum(r["seconds"] for r in runs), 1)

    def p95(side: str) -> float:
        return round(statistics.median(r["p95_ms"] for r in slices[side]), 2)

    return {
        "page": page,
        "requests_per_s": rate("tinhso"),
        "p95_ms": p95("tinhso"),
        "floor_requests_per_s": rate("floor"),
        "floor_p95_ms": p95("floor"),
        "ratio_of_floor": round(rate("tinhso") / rate("floor"), 3),
        "non_2xx": sum(r["non_2xx"] for r in slices["tinhso"]),
        "floor_non_2xx": sum(r["non_2xx"] for r in slices["floor"]),
        "bytes": sizes["tinhso"],
        "floor_bytes": sizes["floor"],
        "slices_requests_per_s": [r["requests_per_s"] for r in slices["tinhso"]],
        "floor_slices_requests_per_s": [r["requests_per_s"] for r in slices["floor"]],
        "client": slices["tinhso"][0]["client"],
    }


def main(name: str = "public_pages", pages: tuple[str, ...] = PAGES, doc: str = "") -> None:
    parser = argparse.ArgumentParser(description=(doc or __doc__).splitlines()[0])
    parser.add_argument(
        "--pages", default=",".join(pages), help="comma-separated: " + ",".join(PAGES)
    )
    parser.add_argument("--dossiers", type=int, default=20_000)
    parser.add_argument("--sample", type=int, default=2_000, help="distinct codes looked up")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--seconds", type=int, default=10, help="length of one slice")
    parser.add_argument("--rounds", type=int, default=3, help="slices of each side per page")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (each side)")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--reuse", action="store_true", help="use the database kept by --keep")
    parser.add_argument(
        "--src", default=str(ROOT / "src"), help="serve tinhso from this source tree (before/after)"
    )
    parser.add_argument(
        "--cache",
        default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15"),
        help="tinhso's shared cache (the rate-limit counters), as docs/systemd/tinhso.env.example "
        "sets it; 'database' (or Redis not answering) for the table in the database",
    )
    parser.add_argument("--prepare", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--paths-file", help=argparse.SUPPRESS)
    args = parser.parse_args()
    chosen = [p for p in args.pages.split(",") if p]
    unknown = set(chosen) - set(PAGES)
    if unknown:
        parser.error(f"unknown pages: {', '.join(sorted(unknown))}")
    db_url = f"{PG_BASE}bench_{name}"
    var = var_dir(name)
    server_env = {**os.environ, **served_env(name)}
    if args.prepare:
        os.environ.update({k: server_env[k] for k in ("TINHSO_VAR_DIR", "STATIC_ROOT", "DEBUG")})
        setup_django(db_url)
        paths = prepare(args.dossiers, args.sample)
        Path(args.paths_file).write_text(json.dumps(paths))
        return
    paths_file = var / "paths.json"
    if not (args.reuse and paths_file.exists()):
        try:
            pg_admin(f"DROP DATABASE IF EXISTS bench_{name}")
            pg_admin(f"CREATE DATABASE bench_{name}")
        except Exception as exc:  # noqa: BLE001
            emit(db="postgresql", skipped=f"PostgreSQL not reachable: {exc}")
            return
        var.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [sys.executable, sys.argv[0], "--prepare", "--paths-file", str(paths_file)]
            + ["--dossiers", str(args.dossiers), "--sample", str(args.sample)],
            check=True,
            cwd=ROOT,
        )
    servers: list[subprocess.Popen] = []
    try:
        paths = json.loads(paths_file.read_text())
        cache = shared_cache(args.cache)
        tinhso_env = {
            **server_env,
            "DJANGO_SETTINGS_MODULE": "tinhso.settings",
            "PYTHONPATH": args.src,
            "CACHE_URL": cache,
            "REDIS_URL": "",
        }
        floor_env = {
            **server_env,
            "DJANGO_SETTINGS_MODULE": "floor.settings",
            "PYTHONPATH": str(HERE),
        }
        server, tinhso_base = start_gunicorn(
            "tinhso.wsgi:application", tinhso_env, ROOT, args.workers
        )
        servers.append(server)
        server, floor_base = start_gunicorn("floor.wsgi:application", floor_env, HERE, args.workers)
        servers.append(server)
        bases = {"tinhso": tinhso_base, "floor": floor_base}
        for base in bases.values():
            wait_up(base + paths["lookup"][0])
        runner = run_wrk if shutil.which("wrk") else run_threads
        for page in chosen:
            sizes = {}
            for side, base in bases.items():
                warm(base, paths[page])
                sizes[side] = body_size(base + paths[page][0])
            slices: dict[str, list[dict]] = {"tinhso": [], "floor": []}
            for round_ in range(args.rounds):
                order = ["tinhso", "floor"] if round_ % 2 == 0 else ["floor", "tinhso"]
                for side in order:
                    result = runner(bases[side], paths[page], args.connections, args.seconds)
                    slices[side].append({**result, "seconds": args.seconds})
            emit(
                db="postgresql",
                dossiers=args.dossiers,
                connections=args.connections,
                workers=args.workers,
                rounds=args.rounds,
                slice_seconds=args.seconds,
                public_page_seconds=float(os.environ.get("PUBLIC_PAGE_SECONDS", "300")),
                cache="redis" if cache else "database",
                **summarise(page, slices, sizes),
            )
    finally:
        for server in servers:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait(30)
        if not args.keep:
            paths_file.unlink(missing_ok=True)
            pg_admin(f"DROP DATABASE IF EXISTS bench_{name}")


if __name__ == "__main__":
    main()
