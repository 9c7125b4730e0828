"""A month's statistics over five years of history: partitioned vs plain table.

    .venv/bin/python benchmarks/partitions.py                      # 5 years × 40,000 rows/month
    .venv/bin/python benchmarks/partitions.py --rows-per-month 5000   # quick run

Builds, in its own PostgreSQL database (`bench_partitions`, dropped and re-created), two
tables of the audit trail's shape holding the same rows, generated with `generate_series`
over five years (2021–2025): `history_plain` (one table, indexed on the time column) and
`history_part`, partitioned by month exactly as `tinhso.core.partitions` partitions the
audit trail (same partition names and local-midnight bounds, a DEFAULT partition). Then
runs a month's statistics query (entries per agency and action in March 2024) on each:
p95 of repeated runs, and from `EXPLAIN (ANALYZE, BUFFERS)` the relations scanned and the
buffers touched — the partitioned table reads only that month's partition.

Prints one JSON object per line.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

PG_ADMIN = "postgres://postgres@127.0.0.1:5432/postgres"
DB = "bench_partitions"

COLUMNS = """
    id bigint NOT NULL,
    created_at timestamptz NOT NULL,
    agency_id bigint,
    action varchar(80) NOT NULL,
    object_type varchar(80) NOT NULL,
    object_id varchar(80) NOT NULL,
    summary jsonb NOT NULL,
    content_hash varchar(64) NOT NULL
"""

QUERY = """
SELECT agency_id, action, count(*)
FROM {table}
WHERE created_at >= %(lo)s AND created_at < %(hi)s
GROUP BY agency_id, action
"""


def emit(**figures) -> None:
    print(json.dumps(figures), flush=True)


def _relations(plan: dict) -> list[str]:
    found = []
    if "Relation Name" in plan:
        found.append(plan["Relation Name"])
    for child in plan.get("Plans", []):
        found.extend(_relations(child))
    return found


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows-per-month", type=int, default=40_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tinhso.settings")
    os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{DB}"
    import django

    django.setup()
    import psycopg

    from tinhso.core.partitions import MONTH, _bound, next_period, partition_name

    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {DB}")
        admin.execute(f"CREATE DATABASE {DB}")
    first, last = date(2021, 1, 1), date(2026, 1, 1)
    months = 60
    total = args.rows_per_month * months
    try:
        with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as conn:
            started = time.perf_counter()
            conn.execute(f"CREATE TABLE history_plain ({COLUMNS})")
            conn.execute(f"CREATE TABLE history_part ({COLUMNS}) PARTITION BY RANGE (created_at)")
            conn.execute("CREATE TABLE history_part_default PARTITION OF history_part DEFAULT")
            start = first
            while start < last:
                name = partition_name("history_part", start, MONTH)
                conn.execute(
                    f"CREATE TABLE {name} PARTITION OF history_part "
                    f"FOR VALUES FROM ('{_bound(start)}') TO ('{_bound(next_period(start, MONTH))}')"
                )
                start = next_period(start, MONTH)
            span_s = (last - first).days * 86400
            # Same rows in both: evenly spread over the five years, 67 agencies, 12 actions.
            generate = f"""
                SELECT g,
                       timestamptz '{_bound(first)}'
                           + make_interval(secs => (g - 1)::float8 * {span_s} / {total}),
                       1 + g % 67,
                       'onestop.' || (ARRAY['receive','forward','approve','sign','return',
                                            'supplement','pause','resume','refuse','rate',
                                            'pay','withdraw'])[1 + g % 12],
                       'onestop.dossier', 'H41-' || g,
                       jsonb_build_object('n', g),
                       md5(g::text) || md5((g * 7)::text)
                FROM generate_series(1, {total}) AS g
            """
            conn.execute(f"INSERT INTO history_plain {generate}")  # noqa: S608
            conn.execute("INSERT INTO history_part SELECT * FROM history_plain")
            for table in ("history_plain", "history_part"):
                keys = "id" if table == "history_plain" else "id, created_at"
                conn.execute(f"ALTER TABLE {table} ADD PRIMARY KEY ({keys})")
                conn.execute(f"CREATE INDEX ON {table} (created_at)")
                conn.execute(f"CREATE INDEX ON {table} (action)")
                conn.execute(f"VACUUM ANALYZE {table}")
            emit(
                bench="partitions_build",
                rows_per_table=total,
                months=months,
                build_s=round(time.perf_counter() - started, 1),
            )
            params = {"lo": _bound(date(2024, 3, 1)), "hi": _bound(date(2024, 4, 1))}
            for table in ("history_plain", "history_part"):
                query = QUERY.format(table=table)
                samples = []
                for _ in range(args.runs):
                    t0 = time.perf_counter()
                    rows = conn.execute(query, params).fetchall()
                    samples.append((time.perf_counter() - t0) * 1000)
                samples.sort()
                plan = conn.execute(
                    "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + query, params
                ).fetchone()[0][0]
                top = plan["Plan"]
                relations = sorted(set(_relations(top)))
                emit(
                    bench="partitions_month_statistics",
                    table=table,
                    partitioned=table == "history_part",
                    rows_in_month=sum(r[2] for r in rows),
                    groups=len(rows),
                    p50_ms=round(samples[len(samples) // 2], 2),
                    p95_ms=round(samples[max(0, int(round(0.95 * len(samples))) - 1)], 2),
                    relations_scanned=relations,
                    buffers_hit=top.get("Shared Hit Blocks", 0),
                    buffers_read=top.get("Shared Read Blocks", 0),
                    plan_ms=round(plan.get("Planning Time", 0), 2),
                )
    finally:
        if not args.keep:
            with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
                admin.execute(f"DROP DATABASE IF EXISTS {DB}")


if __name__ == "__main__":
    main()
