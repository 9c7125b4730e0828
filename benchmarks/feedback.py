"""Field reports at a province's scale, on PostgreSQL (issue 12's figures).

    .venv/bin/python benchmarks/feedback.py                      # 1,000,000 reports
    .venv/bin/python benchmarks/feedback.py --reports 200000 --intake 300

Loads a database `bench_feedback` with the demo province's communes (the shipped GeoJSON),
routes, categories and N reports spread over a year and the province (COPY, the way a
migration from an older system would; states by age as at a centre that processes 98 % of
its reports), then measures, in this process:

- intake reports_per_s: `--clients` processes at once (citizens submitting together), each
  `nearby()` (the duplicate check the app makes before sending) +
  `services.submit_report` (validated, located in its commune, routed, deadline, stored,
  audit entry, reporter notified through the outbox), one after another; goal ≥ 200/s;
- nearby_p95_ms: the nearby-duplicates query at random places; goal < 20 ms;
- open311_requests_p95_ms: `GET requests.json` (default 90-day window, a service_code
  and/or status filter) through the WSGI application; goal < 50 ms;
- ioc_p95_ms: the IOC wall's data (`wallscreen.figures()` + `wallscreen.heat()`), as the
  wall reads it in production: today and the open reports counted live, the past days
  from the snapshot the worker keeps; goal < 200 ms. Also printed: the time the worker
  takes to make that snapshot (`snapshot_ms`) and the same read without a snapshot
  (`ioc_cold`, the minutes after midnight before the worker has made the day's).

The rate-limit counters live in Redis, as production keeps them (`--cache`; the database
table when Redis does not answer). Prints one JSON line per figure.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from onestop_lifecycle import emit, pg_admin, setup_django, shared_cache  # noqa: E402

PG_BASE = os.environ.get("BENCH_PG_BASE", "postgres://postgres@127.0.0.1:5432/")
NAME = "bench_feedback"
# The reporter's notice is delivered by a task: enqueuing it writes a row, as in production.
os.environ.setdefault("TASKS_BACKEND", "django_tasks_db.DatabaseBackend")


def p95(values: list[float]) -> float:
    return round(statistics.quantiles(values, n=20)[18], 2)


def world():
    from tinhso.accounts.models import Role, RoleGrant, User
    from tinhso.directory.models import AdministrativeUnit, Agency
    from tinhso.feedback import services

    geojson = json.loads((ROOT / "src/tinhso/feedback/data/songlam-communes.geojson").read_text())
    province_unit = AdministrativeUnit.objects.create(code="99", name="Tỉnh", level="province")
    province = Agency.objects.create(code="H99", name="UBND tỉnh", admin_unit=province_unit)
    centre = Agency.objects.create(code="H99.01", name="Văn phòng UBND tỉnh", parent=province)
    admin = User.objects.create_user(username="admin", kind="official", password=None)
    RoleGrant.objects.create(user=admin, agency=province, role=Role.PLATFORM_ADMIN)
    services.set_centre(actor=admin, agency=centre, jurisdiction_id="songlam.example")
    tier = services.save_tier(actor=admin, code="tai-cho", name="Tại chỗ", workdays=3)
    for f in geojson["features"]:
        code = f["properties"]["code"]
        AdministrativeUnit.objects.create(
            code=code, name=f["properties"]["name"], level="commune", parent=province_unit
        )
    services.import_areas(actor=admin, geojson=geojson)
    for i, f in enumerate(geojson["features"]):
        unit = AdministrativeUnit.objects.get(code=f["properties"]["code"])
        agency = Agency.objects.create(
            code=f"H99.{51 + i}", name=f"UBND {unit.name}", parent=province, admin_unit=unit
        )
        services.set_route(actor=admin, agency=agency, admin_unit=unit)
    categories = [
        services.save_category(
            actor=admin, code=f"cat-{k}", name=f"Lĩnh vực {k}", tier=tier, duplicate_radius_m=50
        )
        for k in range(8)
    ]
    citizen = User.objects.create_user(
        username="congdan", kind="citizen", password=None, email="cd@example.org", phone="0912"
    )
    return admin, citizen, categories


def _state(age_days: float, rng: random.Random) -> str:
    """A report's state by its age, as a centre that processes 98 % of its reports
    (Huế) would have it: recent ones in every state, older ones mostly answered, a few
    still open and overdue."""
    roll = rng.random()
    if age_days <= 3:
        table = [(0.2, "new"), (0.5, "routed"), (0.9, "in_progress"), (1.0, "answered")]
    elif age_days <= 14:
        table = [
            (0.25, "in_progress"),
            (0.3, "info_requested"),
            (0.9, "answered"),
            (1.0, "rejected"),
        ]
    else:
        table = [(0.02, "in_progress"), (0.9, "answered"), (0.97, "rejected"), (1.0, "duplicate")]
    return next(state for limit, state in table if roll < limit)


def load(n: int, categories, rng: random.Random) -> None:
    """N reports over the province's communes and the last year, written with COPY (the
    way a migration from an older system would load them), routed to each commune's
    agency, with states by age (`_state`)."""
    import uuid
    from datetime import timedelta

    from django.db import connection
    from django.utils import timezone

    from tinhso.feedback.models import Area, Route

    agency_of = {r.admin_unit_id: r.agency_id for r in Route.objects.filter(category=None)}
    areas = [(a, agency_of.get(a.admin_unit_id)) for a in Area.objects.all()]
    now = timezone.now()
    columns = [
        "created_at",
        "updated_at",
        "uid",
        "code",
        "description",
        "lat",
        "lng",
        "address",
        "state",
        "source",
        "attributes",
        "reporter_name",
        "reporter_phone",
        "reporter_email",
        "device_id",
        "token",
        "hidden",
        "anonymised",
        "description_original",
        "reject_reason",
        "routed_at",
        "deadline",
        "answered_at",
        "answer",
        "returned_by_agency",
        "reopen_count",
        "rating",
        "rating_note",
        "follower_count",
        "version",
        "admin_unit_id",
        "agency_id",
        "category_id",
    ]
    with connection.cursor() as cursor:
        copy_sql = f"COPY feedback_report ({', '.join(columns)}) FROM STDIN"
        with cursor.cursor.copy(copy_sql) as copy:
            for i in range(n):
                area, agency_id = areas[i % len(areas)]
                age = rng.uniform(0, 365)
                created = now - timedelta(days=age)
                state = _state(age, rng)
                deadline = created + timedelta(days=3)
                answered = None
                if state == "answered":
                    answered = created + timedelta(hours=rng.uniform(2, 120))
                rating = rng.choice([None, 3, 4, 5, 5]) if answered else None
                copy.write_row(
                    (
                        created,
                        answered or created,
                        uuid.uuid4(),
                        f"PB{i:09d}",
                        "Phản ánh mẫu",
                        rng.uniform(area.min_lat, area.max_lat),
                        rng.uniform(area.min_lng, area.max_lng),
                        "",
                        state,
                        "web",
                        "{}",
                        "",
                        "",
                        "",
                        "",
                        "",
                        False,
                        False,
                        "",
                        "",
                        created,
                        deadline,
                        answered,
                        "Đã xử lý." if answered else "",
                        False,
                        0,
                        rating,
                        "",
                        0,
                        0,
                        area.admin_unit_id,
                        agency_id,
                        categories[i % len(categories)].pk,
                    )
                )
                if (i + 1) % 100_000 == 0:
                    print(f"  {i + 1:,} reports", file=sys.stderr, flush=True)
        cursor.execute("VACUUM ANALYZE feedback_report")


def _submit_all(job) -> tuple[float, float, int]:
    """One client process: the duplicate check then the submission, report after report."""
    from django.db import connections

    from tinhso.feedback import selectors, services

    places, categories, citizen, offset = job
    connections.close_all()  # a fresh connection in this process
    started = time.perf_counter()
    for i, (lat, lng) in enumerate(places):
        category = categories[(offset + i) % len(categories)]
        selectors.nearby(category=category, lat=lat, lng=lng)
        services.submit_report(
            actor=citizen,
            category=category.code,
            description=f"Phản ánh đo tốc độ {offset + i}",
            lat=lat,
            lng=lng,
            device_id=f"bench-{offset + i}",
        )
    return started, time.perf_counter(), len(places)


def intake(places, categories, citizen, clients: int) -> dict:
    """`clients` processes submit the reports at once; reports/s over the wall time from
    the first start to the last end."""
    import multiprocessing

    from django.db import connections

    connections.close_all()  # never share a connection with the forked clients
    share = -(-len(places) // clients)
    jobs = [(places[k : k + share], categories, citizen, k) for k in range(0, len(places), share)]
    with multiprocessing.get_context("fork").Pool(len(jobs)) as pool:
        spans = pool.map(_submit_all, jobs)
    elapsed = max(end for _s, end, _n in spans) - min(start for start, _e, _n in spans)
    done = sum(n for _s, _e, n in spans)
    return {"reports_per_s": round(done / elapsed, 1), "reports": done, "clients": clients}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reports", type=int, default=1_000_000)
    parser.add_argument("--intake", type=int, default=400)
    parser.add_argument(
        "--clients", type=int, default=4, help="processes submitting at once (citizens)"
    )
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--reuse", action="store_true", help="keep an already loaded database")
    parser.add_argument(
        "--cache",
        default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/13"),
        help="the shared cache (rate-limit counters) as production sets it; 'database' for "
        "the fallback table",
    )
    parser.add_argument(
        "--only",
        nargs="*",
        default=["nearby", "intake", "open311", "ioc"],
        help="figures to measure",
    )
    args = parser.parse_args()
    if not args.reuse:
        pg_admin(f"DROP DATABASE IF EXISTS {NAME}")
        pg_admin(f"CREATE DATABASE {NAME}")
    os.environ["CACHE_URL"] = shared_cache(args.cache)
    os.environ["REDIS_URL"] = ""
    setup_django(f"{PG_BASE}{NAME}")
    emit(cache=os.environ["CACHE_URL"] or "database")
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client

    settings.FEEDBACK_SUBMIT_RATE = "1000000/hour"
    settings.ALLOWED_HOSTS = ["*"]
    from tinhso.accounts.models import User
    from tinhso.feedback import geo, selectors
    from tinhso.feedback.models import Area, Category

    rng = random.Random(12)
    if not args.reuse:
        call_command("migrate", verbosity=0, interactive=False)
        started = time.perf_counter()
        _admin, citizen, categories = world()
        load(args.reports, categories, rng)
        emit(load_s=round(time.perf_counter() - started, 1), reports=args.reports)
    citizen = User.objects.get(username="congdan")
    categories = list(Category.objects.all())
    areas = list(Area.objects.all())

    def place():
        area = rng.choice(areas)
        while True:
            lat, lng = (
                rng.uniform(area.min_lat, area.max_lat),
                rng.uniform(area.min_lng, area.max_lng),
            )
            if geo.unit_at(lat, lng) is not None:
                return lat, lng

    if "nearby" in args.only:
        timings = []
        for _ in range(args.queries):
            lat, lng = place()
            category = rng.choice(categories)
            t = time.perf_counter()
            selectors.nearby(category=category, lat=lat, lng=lng)
            timings.append((time.perf_counter() - t) * 1000)
        emit(figure="nearby", p95_ms=p95(timings), p50_ms=round(statistics.median(timings), 2))

    if "intake" in args.only:
        places = [place() for _ in range(args.intake)]
        emit(figure="intake", **intake(places, categories, citizen, args.clients))

    if "open311" in args.only:
        client = Client()
        timings = []
        for i in range(max(20, args.queries // 4)):
            params = {"service_code": rng.choice(categories).code}
            if i % 2:
                params["status"] = rng.choice(["open", "closed"])
            t = time.perf_counter()
            response = client.get("/api/v1/feedback/open311/v2/requests.json", params, secure=True)
            timings.append((time.perf_counter() - t) * 1000)
            assert response.status_code == 200, (response.status_code, response.content[:300])
        emit(
            figure="open311_get_requests",
            p95_ms=p95(timings),
            p50_ms=round(statistics.median(timings), 2),
            rows_per_answer=len(response.json()),
        )

    if "ioc" in args.only:
        from tinhso.feedback import wallscreen
        from tinhso.feedback.models import WallSnapshot

        def wall(figure: str, **extra) -> None:
            timings = []
            for _ in range(30):
                t = time.perf_counter()
                wallscreen.figures()
                wallscreen.heat()
                timings.append((time.perf_counter() - t) * 1000)
            median = round(statistics.median(timings), 2)
            emit(figure=figure, p95_ms=p95(timings), p50_ms=median, **extra)

        WallSnapshot.objects.all().delete()
        wall("ioc_cold")
        t = time.perf_counter()
        wallscreen.refresh_snapshot()
        wall("ioc", snapshot_ms=round((time.perf_counter() - t) * 1000, 1))


if __name__ == "__main__":
    main()
