"""Audit trail benchmark: append throughput, sealing throughput and verification speed.

    .venv/bin/python benchmarks/audit.py                       # defaults below
    .venv/bin/python benchmarks/audit.py --entries 2000 --verify-entries 200000

Prints one JSON object per line:
  {"db": "sqlite", "writers": 1, "entries": N, "entries_per_s": ..., "sealed": N,
   "seal_entries_per_s": ..., "chain_ok": true}
  {"db": "postgresql", "writers": 4, "entries": N, "entries_per_s": ..., ...}
  {"db": "postgresql", "verify_entries": M, "verify_s": ..., "chain_ok": true}

Writers only INSERT (`record()`: no lock shared between writers, one commit each);
after the writers finish, everything is sealed (`seal_pending()`, batches of 5,000)
and the chain verified: `seal_entries_per_s` is the sealer's throughput.

Goals (issue 2): appends >= 2,000 entries/s on SQLite and PostgreSQL (also with 4
concurrent writer processes on PostgreSQL), verification of 1,000,000 entries < 30 s.
Databases: a SQLite file under var/bench/ and a PostgreSQL database `bench_audit`
(created and dropped here). Each database runs in its own child process.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src"
PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/bench_audit")
SQLITE_PATH = ROOT / "var" / "bench" / "audit.sqlite3"


def setup_django(database_url: str) -> None:
    sys.path.insert(0, str(SRC))
    os.environ["DJANGO_SETTINGS_MODULE"] = "tinhso.settings"
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("TINHSO_VAR_DIR", str(ROOT / "var" / "bench"))
    import django

    django.setup()


def emit(**figures) -> None:
    print(json.dumps(figures), flush=True)


# --------------------------------------------------------------------------------------
# append


def append(n: int, tag: str) -> None:
    from tinhso.audit.services import record

    for i in range(n):
        record(
            actor=None,
            action="bench.append",
            object_type="bench.thing",
            object_id=f"{tag}-{i}",
            agency=None,
            summary={"writer": tag, "i": i, "note": "Sở Tài chính tiếp nhận hồ sơ"},
            ip="10.1.2.3",
        )


def _writer(database_url: str, n: int, tag: str, barrier, done) -> None:
    setup_django(database_url)
    from django.db import connection

    connection.ensure_connection()
    barrier.wait()
    append(n, tag)
    connection.close()
    done.put(tag)


def bench_append(db: str, database_url: str, entries: int, writers: int) -> None:
    from django.db import connection

    from tinhso.audit.selectors import verify_chain

    if writers == 1:
        started = time.perf_counter()
        append(entries, "w0")
        elapsed = time.perf_counter() - started
    else:
        ctx = mp.get_context("spawn")
        barrier = ctx.Barrier(writers + 1)
        done = ctx.Queue()
        per = entries // writers
        procs = [
            ctx.Process(target=_writer, args=(database_url, per, f"w{k}", barrier, done))
            for k in range(writers)
        ]
        for p in procs:
            p.start()
        barrier.wait()
        started = time.perf_counter()
        for _ in procs:
            done.get()
        elapsed = time.perf_counter() - started
        for p in procs:
            p.join()
        entries = per * writers
    connection.close()
    from tinhso.audit.services import seal_pending

    seal_started = time.perf_counter()
    sealed = seal_pending()
    seal_elapsed = time.perf_counter() - seal_started
    report = verify_chain()
    emit(
        db=db,
        writers=writers,
        entries=entries,
        entries_per_s=round(entries / elapsed, 1),
        elapsed_s=round(elapsed, 2),
        load_avg_1m=round(os.getloadavg()[0], 1),
        sealed=sealed,
        seal_s=round(seal_elapsed, 3),
        seal_entries_per_s=round(sealed / seal_elapsed, 1) if sealed else None,
        chain_ok=report.ok and report.unsealed == 0,
        chain_entries=report.checked,
    )


def baseline_commits(db: str, n: int = 500) -> None:
    """What the disk allows: durable one-row INSERT + COMMIT per second, no audit logic.
    Appending with one transaction per entry cannot beat this (each commit is an fsync)."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("CREATE TABLE bench_baseline (x integer)")
    started = time.perf_counter()
    with connection.cursor() as cur:
        for i in range(n):
            cur.execute("INSERT INTO bench_baseline VALUES (%s)", [i])
    elapsed = time.perf_counter() - started
    with connection.cursor() as cur:
        cur.execute("DROP TABLE bench_baseline")
    emit(db=db, baseline_commits_per_s=round(n / elapsed, 1), load_avg_1m=os.getloadavg()[0])


# --------------------------------------------------------------------------------------
# verification


def build_chain(m: int) -> None:
    """Replace the trail by a valid chain of m entries, inserted in bulk."""
    from django.db import connection, transaction
    from django.utils import timezone

    from tinhso.audit.models import AuditEntry, ChainHead
    from tinhso.audit.services import GENESIS_HASH, content_digest, link_hash

    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("TRUNCATE audit_auditentry, audit_chainhead")
        else:
            cur.execute("DELETE FROM audit_auditentry")
            cur.execute("DELETE FROM audit_chainhead")
    base = timezone.now() - timedelta(days=365)
    prev = GENESIS_HASH
    cols = (
        "seq, created_at, actor_id, actor_name, action, object_type, object_id, object_repr, "
        "agency_id, summary, ip, content_hash, prev_hash, hash"
    )
    batch: list[tuple] = []

    def flush(rows: list[tuple]) -> None:
        if not rows:
            return
        if connection.vendor == "postgresql":
            with (
                connection.cursor() as cur,
                cur.cursor.copy(f"COPY audit_auditentry ({cols}) FROM STDIN") as copy,
            ):
                for row in rows:
                    copy.write_row(row)
        else:
            with connection.cursor() as cur:
                cur.executemany(
                    f"INSERT INTO audit_auditentry ({cols}) VALUES "
                    "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                    rows,
                )

    with transaction.atomic():
        for seq in range(1, m + 1):
            created_at = base + timedelta(microseconds=seq * 7919)
            summary = {"role": "specialist", "agency": "000.00.31.H41", "n": seq}
            fields = dict(
                seq=seq,
                created_at=created_at,
                actor_id=seq % 300 + 1,
                actor_name=f"canbo{seq % 300:03d}",
                action="accounts.grant_role",
                object_type="accounts.user",
                object_id=str(seq % 5000),
                agency_id=seq % 50 + 1,
                summary=summary,
                ip="10.1.2.3",
            )
            seq_ = fields.pop("seq")
            content = content_digest(**fields)
            digest = link_hash(prev, seq_, content)
            if connection.vendor == "postgresql":
                stamp = created_at
            else:
                stamp = created_at.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
            batch.append(
                (
                    seq_,
                    stamp,
                    fields["actor_id"],
                    fields["actor_name"],
                    fields["action"],
                    fields["object_type"],
                    fields["object_id"],
                    "",
                    fields["agency_id"],
                    json.dumps(summary, ensure_ascii=False),
                    fields["ip"],
                    content,
                    prev,
                    digest,
                )
            )
            prev = digest
            if len(batch) >= 50_000:
                flush(batch)
                batch = []
        flush(batch)
        ChainHead.objects.update_or_create(pk=1, defaults={"last_seq": m, "last_hash": prev})
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("VACUUM ANALYZE audit_auditentry")
    assert AuditEntry.objects.count() == m


def bench_verify(db: str, m: int) -> None:
    from tinhso.audit.selectors import verify_chain

    started = time.perf_counter()
    build_chain(m)
    built = time.perf_counter() - started
    for workers in sorted({1, os.cpu_count() or 1}):
        started, cpu_started = time.perf_counter(), time.process_time()
        report = verify_chain(workers=workers)
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
        emit(
            db=db,
            verify_entries=m,
            verify_workers=workers,
            verify_s=round(elapsed, 2),
            verify_cpu_s=round(cpu, 2) if workers == 1 else None,
            load_avg_1m=round(os.getloadavg()[0], 1),
            entries_per_s=round(m / elapsed, 1),
            chain_ok=report.ok,
            build_s=round(built, 1),
        )


# --------------------------------------------------------------------------------------
# per-database child


def child(db: str, entries: int, verify_entries: int) -> None:
    database_url = PG_URL if db == "postgresql" else f"sqlite:///{SQLITE_PATH}"
    setup_django(database_url)
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    if db == "postgresql":
        baseline_commits(db)
    bench_append(db, database_url, entries, 1)
    if db == "postgresql":
        bench_append(db, database_url, entries, 4)
    if verify_entries:
        bench_verify(db, verify_entries)


def pg_admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(sql)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=5000, help="entries per append run")
    parser.add_argument("--verify-entries", type=int, default=1_000_000)
    parser.add_argument("--db", default="sqlite,postgresql")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.entries, args.verify_entries)
        return
    for db in args.db.split(","):
        if db == "sqlite":
            SQLITE_PATH.parent.mkdir(parents=True, exist_ok=True)
            for suffix in ("", "-wal", "-shm"):
                Path(f"{SQLITE_PATH}{suffix}").unlink(missing_ok=True)
        else:
            try:
                pg_admin("DROP DATABASE IF EXISTS bench_audit")
                pg_admin("CREATE DATABASE bench_audit")
            except Exception as exc:  # noqa: BLE001
                emit(db=db, skipped=f"PostgreSQL not reachable: {exc}")
                continue
        try:
            subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--child",
                    db,
                    "--entries",
                    str(args.entries),
                    "--verify-entries",
                    str(args.verify_entries),
                ],
                check=True,
                cwd=ROOT,
            )
        finally:
            if db == "postgresql":
                pg_admin("DROP DATABASE IF EXISTS bench_audit")


if __name__ == "__main__":
    main()
