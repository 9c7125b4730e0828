"""`gateway verify` over a large message log (goal: 1,000,000 records in < 30 s).

    .venv/bin/python benchmarks/gateway_verify.py                    # 1,000,000 records
    .venv/bin/python benchmarks/gateway_verify.py --records 100000 --workers 1

Writes the records as the data plane does (write-ahead file, one line per call), takes
them into the chained, signed log with the ingester, then times the verification.
SQLite by default (`--database-url postgres://...` for PostgreSQL). Prints one JSON line:
records, wal_write_s, ingest_s, ingest_records_per_s, verify_s, verify_records_per_s, this
process's CPU per record for each, the load average, ok. Verify runs with one process per
core (`--workers`; their CPU is counted in its figure).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def cpu_with_children() -> float:
    """This process's CPU time and its ended children's (verify's workers)."""
    import resource

    own, children = (
        resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="verify's")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-gateway-verify-"))
    sys.path.insert(0, str(ROOT / "src"))
    os.environ["DJANGO_SETTINGS_MODULE"] = "tinhso.settings"
    os.environ["DATABASE_URL"] = args.database_url or f"sqlite:///{work / 'log.sqlite3'}"
    os.environ["TINHSO_VAR_DIR"] = str(work / "var")
    os.environ["GATEWAY_LOG_KEY_FILE"] = str(work / "key.pem")
    os.environ.setdefault("SECRET_KEY", "bench-only-" + "x" * 50)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    from tinhso.gateway.messagelog import (
        EMPTY_SHA256,
        WalWriter,
        ingest_pending,
        verify_log,
        wal_line,
    )
    from tinhso.gateway.models import MessageLog

    wal_dir = work / "wal"
    wal = WalWriter(wal_dir)
    started = time.perf_counter()
    for i in range(args.records):
        wal.add(  # the line the data plane writes (`wal_line`: every field, bodies too)
            wal_line(
                {
                    "request_id": f"{i:032x}",
                    "started_at": f"2026-11-30T01:02:03.{i % 1_000_000:06d}Z",
                    "consumer_code": "ketoan-stc",
                    "provider_code": "tinhso",
                    "service_code": "onestop",
                    "endpoint": "GET /lookup/",
                    "method": "GET",
                    "path": f"/tinhso/onestop/lookup/?code=H57-{i}",
                    "issue": f"H57.03-261130-{i % 10000:04d}",
                    "status_code": 200,
                    "result": "ok",
                    "error_source": "",
                    "request_size": 0,
                    "response_size": 312,
                    "request_hash": EMPTY_SHA256,
                    "response_hash": EMPTY_SHA256,
                    "duration_ms": 1.25,
                    "provider_ms": 0.75,
                    "client_ip": "127.0.0.1",
                    "request_body": "",
                    "response_body": "",
                }
            )
        )
        if i % 64 == 63:  # the data plane writes the lines of one turn of its loop at once
            wal.flush()
    wal.flush()
    wal.close()
    wal_write_s = time.perf_counter() - started
    started, cpu = time.perf_counter(), time.process_time()
    ingest_pending(wal_dir, batch=20_000)
    ingest_s = time.perf_counter() - started
    ingest_cpu = time.process_time() - cpu
    started, cpu = time.perf_counter(), cpu_with_children()
    report = verify_log(workers=args.workers)
    verify_s = time.perf_counter() - started
    verify_cpu = cpu_with_children() - cpu
    print(
        json.dumps(
            {
                "records": MessageLog.objects.count(),
                "database": django.db.connection.vendor,
                "wal_write_s": round(wal_write_s, 2),
                "ingest_s": round(ingest_s, 2),
                "ingest_records_per_s": round(args.records / ingest_s),
                "verify_s": round(verify_s, 2),
                "verify_records_per_s": round(args.records / verify_s),
                "verify_workers": args.workers,
                # this process's CPU (the database server's is apart), and the machine's load
                "ingest_cpu_us_per_record": round(ingest_cpu / args.records * 1e6, 1),
                "verify_cpu_us_per_record": round(verify_cpu / args.records * 1e6, 1),
                "load_average_1m": round(os.getloadavg()[0], 2),
                "goal_verify_s_per_million": 30,
                "ok": report.ok,
                "reason": report.reason,
                "broken_seq": report.broken_seq,
            }
        ),
        flush=True,
    )
    import shutil

    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
