"""Scaling out reads: the dashboards on a streaming replica while dossiers are written.

    .venv/bin/python benchmarks/scale.py                      # 30,000 dossiers, 20 s phases
    .venv/bin/python benchmarks/scale.py --dossiers 10000 --seconds 10

Builds a private PostgreSQL primary (a copy of a migrated database, `--source`, made by
`tinhso migrate` the first time) and its streaming replica (`pg_basebackup -R`) on free
ports, loads `--dossiers` one-stop dossiers of 2025 with the `onestop_year.py` generator,
then runs phases of `--seconds` each:

- `writes_alone`: one process runs dossiers through their whole life through the
  services (submit, accept, forward ×3, approve, return: onestop_lifecycle.py's writer);
- `reads_on_primary` / `reads_on_replica`: the same writer, plus one process computing
  the dashboards (the 766 index of the province and the KPIs, uncached) on the primary,
  then on the replica (`tinhso.core.replica`, as the pages do).

Prints JSON lines: dashboard p95/median per phase, the writer's dossiers/s, and the
replica's largest lag seen. Both servers share this machine's cores: the replica moves
the dashboards' work off the primary's connections and locks, not onto other CPUs.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import statistics as pystats
import subprocess
import sys
import time
from datetime import date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT))

from onestop_lifecycle import emit, lifecycle, make_world, setup_django  # noqa: E402
from tests.core.replica_cluster import Cluster  # noqa: E402

SOURCE = "postgres://postgres@127.0.0.1:5432/tinhso_replica"
START, END = date(2025, 1, 1), date(2025, 12, 31)


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return round(ordered[max(0, int(round(0.95 * len(ordered))) - 1)], 1)


def ensure_source(url: str) -> None:
    """A migrated database to copy (migrating takes minutes: done once, then kept)."""
    import psycopg

    base, _, name = url.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    with psycopg.connect(url) as conn:
        if conn.execute("SELECT to_regclass('django_migrations')").fetchone()[0]:
            return  # migrated (by an earlier run); `tinhso migrate` it after an upgrade
    env = {**os.environ, "DATABASE_URL": url, "PYTHONPATH": str(ROOT / "src")}
    env.pop("DATABASE_REPLICA_URL", None)
    print(f"  migrating {name} (kept for the next runs)", file=sys.stderr, flush=True)
    subprocess.run([sys.executable, "-m", "tinhso", "migrate", "--noinput", "-v", "0"],
                   env=env, check=True, cwd=ROOT)  # fmt: skip


def writer(stop, count) -> None:
    from django.db import connections

    connections.close_all()
    world = make_world(1, tag="scale")
    k = 0
    while not stop.is_set():
        lifecycle(world, k)
        k += 1
        with count.get_lock():
            count.value += 1
    connections.close_all()


def reader(stop, on_replica: bool, out) -> None:
    from django.db import connections

    from tinhso.core import replica
    from tinhso.directory.models import Agency
    from tinhso.reporting import index766, kpis

    connections.close_all()
    province = Agency.objects.get(code="H97")
    now = datetime(2026, 1, 15, 9, 0).astimezone()
    samples: list[float] = []
    where: set[str] = set()
    while not stop.is_set():
        began = time.perf_counter()
        if on_replica:
            where.add(replica.read_alias())
            index766.compute(start=START, end=END, now=now)
            kpis.compute(root=province, start=START, end=END)
        else:
            with replica.primary_only():
                where.add(replica.read_alias())
                index766.compute(start=START, end=END, now=now)
                kpis.compute(root=province, start=START, end=END)
        samples.append((time.perf_counter() - began) * 1000)
    out.put((samples, sorted(where)))
    connections.close_all()


def phase(name: str, seconds: float, reads: str | None) -> None:
    from django.db import connections

    from tinhso.core import replica

    connections.close_all()
    ctx = mp.get_context("fork")
    stop, count, out = ctx.Event(), ctx.Value("i", 0), ctx.Queue()
    procs = [ctx.Process(target=writer, args=(stop, count))]
    if reads:
        procs.append(ctx.Process(target=reader, args=(stop, reads == "replica", out)))
    for proc in procs:
        proc.start()
    time.sleep(3)  # warm up: worlds made, first queries planned
    with count.get_lock():
        count.value = 0
    began = time.perf_counter()
    max_lag = 0.0
    while time.perf_counter() - began < seconds:
        time.sleep(0.5)
        lag = replica.state(fresh=True).lag_seconds  # the app's own measure (0: caught up)
        max_lag = max(max_lag, lag if lag is not None else float("inf"))
        connections.close_all()
    elapsed = time.perf_counter() - began
    written = count.value
    stop.set()
    figures: dict = {}
    if reads:
        samples, where = out.get(timeout=600)
        figures = {
            "dashboard_p95_ms": p95(samples),
            "dashboard_median_ms": round(pystats.median(samples), 1),
            "dashboards": len(samples),
            "read_from": ",".join(where),
        }
    for proc in procs:
        proc.join(timeout=600)
    emit(
        check=name,
        dossiers_per_s=round(written / elapsed, 1),
        replica_max_lag_s=round(max_lag, 2),
        **figures,
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dossiers", type=int, default=30_000)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--source", default=SOURCE, help="a migrated database to copy")
    args = parser.parse_args()
    os.environ.setdefault("SECRET_KEY", "bench-only-not-a-secret-key-0123456789abcdefghijklmnop")
    ensure_source(args.source)
    cluster = Cluster()
    try:
        began = time.perf_counter()
        cluster.start_primary()
        cluster.load(args.source)
        cluster.make_replica()
        os.environ["DATABASE_REPLICA_URL"] = cluster.replica_url
        os.environ["REPLICA_MAX_LAG_SECONDS"] = "30"
        setup_django(cluster.primary_url)
        import onestop_year
        from django.db import connection

        from tinhso.onestop import statistics as stats
        from tinhso.onestop.codes import new_tracking_code

        def with_tracking_codes(n: int, **kwargs):
            # unique codes (6 random letters per day collide within tens of thousands)
            seen: set[str] = set()
            for row, events, score in generate(n, **kwargs):
                code = new_tracking_code()
                while code in seen:
                    code = new_tracking_code()
                seen.add(code)
                row["tracking_code"] = code
                yield row, events, score

        generate, onestop_year.generate = onestop_year.generate, with_tracking_codes
        counts = onestop_year.load(args.dossiers, year=2025)
        stats.refresh_rollup(start=START, end=END)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
        cluster.wait_replayed(timeout=300)
        emit(check="setup", **counts, build_s=round(time.perf_counter() - began, 1))
        phase("writes_alone", args.seconds, None)
        phase("reads_on_primary", args.seconds, "primary")
        phase("reads_on_replica", args.seconds, "replica")
    finally:
        cluster.destroy()


if __name__ == "__main__":
    main()
