"""Open data portal figures (issue 13), on PostgreSQL `bench_opendata`:

    .venv/bin/python benchmarks/opendata.py                       # all three
    .venv/bin/python benchmarks/opendata.py package_search --datasets 20000
    .venv/bin/python benchmarks/opendata.py datastore_search --rows 10000000
    .venv/bin/python benchmarks/opendata.py load --rows 1000000

- package_search: N published datasets (bulk-inserted: agencies, tags, groups,
  resources), then `package_search` through the CKAN Action API view (parsing, search,
  five facets, serialisation) with varied q / fq / facets; p50/p95 ms. Target p95 < 50 ms.
- datastore_search: a datastore table of N rows (created by the datastore code, rows
  filled by INSERT … SELECT generate_series), then `datastore_search` with a filter on an
  indexed column and include_total; p50/p95 ms. Target p95 < 100 ms.
- load: an N-row CSV uploaded as a resource and loaded by the worker's loader
  (`services.run_load`: type inference, checks, COPY, switch); rows/s.

Prints one JSON object per line.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from onestop_lifecycle import PG_ADMIN_URL, emit, setup_django  # noqa: E402

PG_BASE = PG_ADMIN_URL.rsplit("/", 1)[0]
DB_URL = f"{PG_BASE}/bench_opendata"

WORDS = [
    "ngân sách",
    "dân số",
    "y tế",
    "giáo dục",
    "giao thông",
    "nông nghiệp",
    "môi trường",
    "doanh nghiệp",
    "du lịch",
    "thủ tục",
    "đất đai",
    "lao động",
    "khoa học",
    "văn hóa",
    "xây dựng",
    "tài nguyên",
    "nước sạch",
    "chợ",
    "trường học",
    "bệnh viện",
]


def pg_admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(sql)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def world():
    from tinhso.accounts.models import User
    from tinhso.directory.models import Agency
    from tinhso.opendata.models import Steward
    from tinhso.opendata.reference import ensure_reference

    ensure_reference()
    province, _ = Agency.objects.get_or_create(code="H98", defaults={"name": "UBND tỉnh Đo"})
    agencies = []
    for n in range(1, 41):
        agency, _ = Agency.objects.get_or_create(
            code=f"H98.{n:02d}", defaults={"name": f"Sở số {n}", "parent": province}
        )
        agencies.append(agency)
    officer, _ = User.objects.get_or_create(
        username="bench.officer", defaults={"kind": User.Kind.OFFICIAL}
    )
    for agency in agencies[:1]:
        Steward.objects.get_or_create(user=officer, agency=agency)
    return agencies, officer


def bench_package_search(n: int, queries: int) -> None:
    from django.db import transaction
    from django.test import RequestFactory
    from django.utils import timezone

    from tinhso.core.text import fold
    from tinhso.opendata import search_index
    from tinhso.opendata.ckan import dispatch
    from tinhso.opendata.models import Dataset, Licence, Resource, Tag, TopicGroup

    agencies, _ = world()
    rng = random.Random(20)
    if Dataset.objects.count() < n:
        Dataset.objects.all().delete()
        tags = [
            Tag.objects.get_or_create(name=w, defaults={"name_folded": fold(w)})[0] for w in WORDS
        ]
        groups = list(TopicGroup.objects.all())
        licences = list(Licence.objects.all())
        now = timezone.now()
        started = time.perf_counter()
        with transaction.atomic():
            batch = []
            for i in range(n):
                words = rng.sample(WORDS, 3)
                agency = rng.choice(agencies)
                title = f"Số liệu {words[0]} và {words[1]} năm {2015 + i % 11} ({i})"
                notes = f"Bộ dữ liệu về {', '.join(words)} của {agency.name}."
                batch.append(
                    Dataset(
                        name=f"bo-du-lieu-{i}",
                        title=title,
                        notes=notes,
                        agency=agency,
                        licence=rng.choice(licences),
                        state="published",
                        metadata_modified=now,
                        search_folded=fold(f"{title} {notes} {agency.name} {' '.join(words)}"),
                        title_folded=fold(title),
                        extras={"language": "vi", "access_level": "public"},
                    )
                )
            Dataset.objects.bulk_create(batch, batch_size=2000)
            ids = list(Dataset.objects.values_list("id", flat=True))
            tag_links, group_links, resources = [], [], []
            for dataset_id in ids:
                for tag in rng.sample(tags, 3):
                    tag_links.append(Dataset.tags.through(dataset_id=dataset_id, tag_id=tag.pk))
                group_links.append(
                    Dataset.groups.through(
                        dataset_id=dataset_id, topicgroup_id=rng.choice(groups).pk
                    )
                )
                for position, fmt in enumerate(rng.sample(["CSV", "XLSX", "JSON", "PDF"], 2)):
                    resources.append(
                        Resource(
                            dataset_id=dataset_id,
                            name=f"Tệp {fmt}",
                            url=f"https://data.example.gov.vn/{dataset_id}.{fmt.lower()}",
                            format=fmt,
                            position=position,
                        )
                    )
            Dataset.tags.through.objects.bulk_create(tag_links, batch_size=5000)
            Dataset.groups.through.objects.bulk_create(group_links, batch_size=5000)
            Resource.objects.bulk_create(resources, batch_size=5000)
            search_index.bump()
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        emit(
            bench="opendata.package_search.setup",
            datasets=n,
            seconds=round(time.perf_counter() - started, 1),
        )
    factory = RequestFactory()
    facet_field = json.dumps(["organization", "groups", "tags", "res_format", "license_id"])
    samples = []
    for i in range(queries):
        body = {"rows": 20, "start": rng.choice([0, 20, 100]), "facet.field": facet_field}
        kind = i % 4
        if kind == 0:
            body["q"] = fold(rng.choice(WORDS))
        elif kind == 1:
            body["fq"] = f"organization:h98-{rng.randint(1, 40):02d}"
        elif kind == 2:
            body["q"] = rng.choice(WORDS)
            body["fq"] = f'tags:"{rng.choice(WORDS)}"'
        request = factory.post(
            "/api/3/action/package_search", json.dumps(body), content_type="application/json"
        )
        started = time.perf_counter()
        response = dispatch(request, "package_search")
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.content[:300]
    emit(
        bench="opendata.package_search",
        datasets=n,
        facets=5,
        rows=20,
        queries=queries,
        p50_ms=round(statistics.median(samples), 1),
        p95_ms=round(percentile(samples, 95), 1),
        max_ms=round(max(samples), 1),
    )


def bench_datastore_search(n: int, queries: int) -> None:
    from django.db import connection, transaction
    from django.test import RequestFactory

    from tinhso.opendata import datastore, services
    from tinhso.opendata.ckan import dispatch
    from tinhso.opendata.models import Dataset, DatastoreTable

    agencies, officer = world()
    dataset = Dataset.objects.filter(name="bench-datastore").first()
    if dataset is None:
        dataset = services.create_dataset(
            actor=officer, agency=agencies[0], title="Datastore", name="bench-datastore"
        )
        services._publish_system(dataset)
    resource = dataset.resources.first()
    table = DatastoreTable.objects.filter(resource=resource).first() if resource else None
    if table is None or table.total != n:
        started = time.perf_counter()
        with transaction.atomic():
            if resource is None:
                resource = services.add_resource(
                    actor=officer, dataset=dataset, name="Bảng lớn", datastore_only=True
                )
            table = services.datastore_create(
                actor=officer,
                resource=resource,
                fields=[
                    {"id": "ma_xa", "type": "int"},
                    {"id": "nam", "type": "int"},
                    {"id": "chi_tieu", "type": "text"},
                    {"id": "gia_tri", "type": "numeric"},
                ],
                indexes=["ma_xa"],
            )
        name = connection.ops.quote_name(table.table_name)
        chunk = 1_000_000
        for start in range(0, n, chunk):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(
                    f"INSERT INTO {name} (ma_xa, nam, chi_tieu, gia_tri, _full_text) "  # noqa: S608
                    "SELECT g %% 10000, 2000 + g %% 26, 'chỉ tiêu ' || (g %% 97), (g %% 1000) * 1.5, "
                    "'chi tieu ' || (g %% 97) FROM generate_series(%s, %s) g",
                    [start + 1, min(start + chunk, n)],
                )
        datastore.analyze(table.table_name)  # VACUUM (ANALYZE), as after a load
        DatastoreTable.objects.filter(pk=table.pk).update(total=n)
        emit(
            bench="opendata.datastore_search.setup",
            rows=n,
            seconds=round(time.perf_counter() - started, 1),
        )
    else:  # reused: vacuumed as a load leaves it (a table built by an older script was not)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT relpages, relallvisible FROM pg_class WHERE relname = %s",
                [table.table_name],
            )
            pages, visible = cursor.fetchone()
        if visible < pages * 0.9:
            started = time.perf_counter()
            datastore.analyze(table.table_name)
            emit(
                bench="opendata.datastore_search.vacuum",
                rows=n,
                seconds=round(time.perf_counter() - started, 1),
            )
    factory = RequestFactory()
    rng = random.Random(13)
    samples = []
    totals = []
    for _ in range(queries):
        body = {
            "resource_id": str(resource.uid),
            "filters": {"ma_xa": rng.randint(0, 9999)},
            "include_total": True,
            "limit": 100,
            "sort": "nam desc",
        }
        request = factory.post(
            "/api/3/action/datastore_search", json.dumps(body), content_type="application/json"
        )
        started = time.perf_counter()
        response = dispatch(request, "datastore_search")
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.content[:300]
        totals.append(json.loads(response.content)["result"]["total"])
    emit(
        bench="opendata.datastore_search",
        rows=n,
        filter="ma_xa (indexed)",
        include_total=True,
        limit=100,
        queries=queries,
        rows_matching=int(statistics.median(totals)),
        p50_ms=round(statistics.median(samples), 1),
        p95_ms=round(percentile(samples, 95), 1),
        max_ms=round(max(samples), 1),
    )


def bench_load(n: int) -> None:
    from tinhso.opendata import services
    from tinhso.opendata.models import Dataset, LoadJob

    agencies, officer = world()
    dataset = Dataset.objects.filter(name="bench-load").first() or services.create_dataset(
        actor=officer, agency=agencies[0], title="Load", name="bench-load"
    )
    rng = random.Random(7)
    out = io.StringIO()
    out.write("Mã xã,Năm,Chỉ tiêu,Giá trị,Ngày\n")
    for i in range(n):
        out.write(
            f"{i % 10000},{2000 + i % 26},Chỉ tiêu {i % 97},{rng.randint(0, 99999) / 10},"
            f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}\n"
        )
    data = out.getvalue().encode()
    upload = io.BytesIO(data)
    upload.name = "lon.csv"
    upload.size = len(data)  # type: ignore[attr-defined]
    resource = services.add_resource(actor=officer, dataset=dataset, upload=upload)
    job = LoadJob.objects.get(resource=resource)
    started = time.perf_counter()
    result = services.run_load(job.pk)
    seconds = time.perf_counter() - started
    assert result.status == LoadJob.Status.DONE, result.errors[:3]
    emit(
        bench="opendata.load_csv",
        rows=n,
        megabytes=round(len(data) / 1e6, 1),
        seconds=round(seconds, 1),
        rows_per_s=int(n / seconds),
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("what", nargs="*", default=["package_search", "datastore_search", "load"])
    parser.add_argument("--datasets", type=int, default=20_000)
    parser.add_argument("--rows", type=int, default=0)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--fresh", action="store_true", help="drop and recreate the database")
    args = parser.parse_args()
    if args.fresh:
        pg_admin("DROP DATABASE IF EXISTS bench_opendata")
    with contextlib.suppress(Exception):  # it exists: reuse the data already loaded
        pg_admin("CREATE DATABASE bench_opendata")
    setup_django(DB_URL)
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    if "package_search" in args.what:
        bench_package_search(args.datasets, args.queries)
    if "datastore_search" in args.what:
        bench_datastore_search(args.rows or 10_000_000, args.queries)
    if "load" in args.what:
        bench_load(args.rows or 1_000_000)


if __name__ == "__main__":
    main()
