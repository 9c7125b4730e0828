"""The Decision 766 index, the dashboards and the drill-down on five province-years.

    .venv/bin/python benchmarks/reporting.py                     # 5 × 355,164 dossiers
    .venv/bin/python benchmarks/reporting.py --years 1 --dossiers 50000   # quick run
    .venv/bin/python benchmarks/reporting.py --keep ... then --reuse     # measure again

Loads `--years` province-years (2021–2025) of one-stop data on PostgreSQL with the
`onestop_year.py` generator (41 agencies, ~300 procedures, each year with its Tết; bulk
COPY keeping the services' invariants), then times, for the year 2025:

- the whole 766 index for the province and every agency for the year (goal < 5 s),
  cold (no cache), median of 3;
- the dashboard pages (766 index, KPIs, the chairman's page) through the Django test
  client as the platform administrator: the first (cold) request, then p95 of 20 warm
  requests (goal < 200 ms; the pages read the computed figures from the cache);
- the drill-down page of indicator 2.1 for one department (cold and warm p95) and the
  drill-down computation for the whole province (cold).

Prints one JSON object per line. Documents are not loaded (the issue names 5 × 3.3 M): the
documents KPIs are one grouped query of `documents.selectors.statistics`.
"""

from __future__ import annotations

import argparse
import os
import statistics as pystats
import subprocess
import sys
import time
from datetime import date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from onestop_lifecycle import emit, pg_admin, setup_django, use_plain_static_files  # noqa: E402

NAME = "reporting"
PG_BASE = "postgres://postgres@127.0.0.1:5432/"


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return round(ordered[max(0, int(round(0.95 * len(ordered))) - 1)], 1)


def timed_ms(fn) -> float:
    started = time.perf_counter()
    fn()
    return round((time.perf_counter() - started) * 1000, 1)


def child(n: int, years: int, reuse: bool) -> None:
    setup_django(f"{PG_BASE}bench_{NAME}")
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    if not reuse:
        load_years(n, years)
    measure()


def load_years(n: int, years: int) -> None:
    import onestop_year
    from django.db import connection, transaction

    generate = onestop_year.generate

    def with_tracking_codes(n: int, **kwargs):
        # the dossiers' tracking code (given at online submission) is a column default the
        # bulk path would repeat on every row: history rows carry none (NULL, unique apart)
        for row, events, score in generate(n, **kwargs):
            row.setdefault("tracking_code", None)
            yield row, events, score

    onestop_year.generate = with_tracking_codes
    started = time.perf_counter()
    counts: dict[str, int] = {}
    for year in range(2026 - years, 2026):  # the indexed year 2025 is loaded last
        with transaction.atomic():
            for key, value in onestop_year.load(n, year=year).items():
                counts[key] = counts.get(key, 0) + value
        print(f"  {year}: {counts}", file=sys.stderr, flush=True)
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE")
    emit(db="postgresql", years=years, **counts, load_s=round(time.perf_counter() - started, 1))


def measure() -> None:
    from tinhso.directory.models import Agency
    from tinhso.onestop import statistics as stats
    from tinhso.reporting import index766

    stats.refresh_rollup(start=date(2025, 1, 1), end=date(2025, 12, 31))
    start, end = date(2025, 1, 1), date(2025, 12, 31)
    now = datetime(2026, 1, 15, 9, 0).astimezone()

    def whole() -> int:
        index = index766.compute(start=start, end=end, now=now)
        return len([index.for_agency(a) for a in index.nodes])

    if os.environ.get("BENCH_PROFILE"):
        import cProfile
        import pstats

        cProfile.runctx("whole()", globals(), {"whole": whole}, "/tmp/reporting.prof")
        pstats.Stats("/tmp/reporting.prof").sort_stats("cumulative").print_stats(25)
        return
    samples = []
    agencies = 0
    for _ in range(3):
        began = time.perf_counter()
        agencies = whole()
        samples.append(time.perf_counter() - began)
    index = index766.compute(start=start, end=end, now=now)
    province = Agency.objects.get(code="H97")
    result = index.for_agency(province.pk)
    emit(
        check="index_766_year",
        agencies=agencies,
        dossiers_judged=result.indicator("2.1").denominator,
        median_s=round(pystats.median(samples), 2),
        goal_s=5,
        on_time_national_pct=float(result.indicator("2.1").value or 0),
        online_pct=float(result.indicator("3.3").value or 0),
        points=float(result.points),
        computable_max=float(result.computable_max),
    )
    department = Agency.objects.get(code="H97.21")
    lost_cold = timed_ms(
        lambda: index766.drilldown(code="2.1", agency=province, start=start, end=end, now=now)
    )
    emit(check="drilldown_compute_province_cold", ms=lost_cold)

    from django.test import Client

    use_plain_static_files()

    from tinhso.accounts.models import User

    admin = User.objects.filter(username="bench-admin").first() or User.objects.create_superuser(
        username="bench-admin", password=None, full_name="B"
    )
    client = Client()
    client.force_login(admin)
    session = client.session
    from tinhso.accounts.middleware import SESSION_KEY

    session[SESSION_KEY] = True
    session.save()
    pages = {
        "index_766": "/reporting/chi-so-766/?year=2025",
        "kpis": "/reporting/chuyen-doi-so/?year=2025",
        "leadership": "/reporting/lanh-dao/?year=2025",
        "drilldown_2_1_department": f"/reporting/chi-so-766/2.1/?year=2025&agency={department.code}",
        "drilldown_2_1_province": "/reporting/chi-so-766/2.1/?year=2025",
    }
    for name, url in pages.items():
        cold = timed_ms(lambda url=url: client.get(url, HTTP_HOST="localhost", secure=True))
        status = client.get(url, HTTP_HOST="localhost", secure=True).status_code
        warm = [
            timed_ms(lambda url=url: client.get(url, HTTP_HOST="localhost", secure=True))
            for _ in range(20)
        ]
        emit(page=name, status=status, cold_ms=cold, warm_p95_ms=p95(warm), goal_ms=200)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dossiers", type=int, default=355_164, help="dossiers per year")
    parser.add_argument("--years", type=int, default=5, help="province-years, ending in 2025")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--reuse", action="store_true", help="measure a kept database again")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.dossiers, args.years, args.reuse)
        return
    try:
        if not args.reuse:
            pg_admin(f"DROP DATABASE IF EXISTS bench_{NAME}")
            pg_admin(f"CREATE DATABASE bench_{NAME}")
    except Exception as exc:  # noqa: BLE001
        emit(db="postgresql", skipped=f"PostgreSQL not reachable: {exc}")
        return
    started = time.perf_counter()
    try:
        subprocess.run(
            [
                sys.executable,
                __file__,
                "--child",
                "--dossiers",
                str(args.dossiers),
                "--years",
                str(args.years),
                *(["--reuse"] if args.reuse else []),
            ],
            check=True,
            cwd=ROOT,
        )
        emit(wall_s=round(time.perf_counter() - started, 1))
    finally:
        if not (args.keep or args.reuse):
            pg_admin(f"DROP DATABASE IF EXISTS bench_{NAME}")


if __name__ == "__main__":
    main()
