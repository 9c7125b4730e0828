"""One-stop lifecycle benchmark: dossiers per second through the whole life, via services.

    .venv/bin/python benchmarks/onestop_lifecycle.py                 # 300 dossiers per run
    .venv/bin/python benchmarks/onestop_lifecycle.py --dossiers 2000 --workers 1,2,4

Each dossier: submit online (e-form validated, a wallet paper attached) → accept (code,
due date from the working-day calendar) → forward through 3 process steps → approve →
return the result. Every step is one service call: its own transaction, permission check,
optimistic-locking UPDATE, form-05 event, audit-chain entry and (at acceptance and
return) notifications in the outbox — nothing is skipped.

Prints one JSON object per line:
  {"db": "sqlite", "workers": 1, "dossiers": N, "dossiers_per_s": ..., "service_calls_per_s": ...}
  {"db": "postgresql", "workers": 4, ...}
Goal (issue 3): >= 200 dossiers/s on PostgreSQL on 2 cores.
Databases: var/bench/onestop_lifecycle.sqlite3 and PostgreSQL `bench_onestop_lifecycle`
(created and dropped here); each database runs in its own child process.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src"
PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
PG_BASE = os.environ.get("BENCH_PG_BASE", "postgres://postgres@127.0.0.1:5432/")
NAME = "onestop_lifecycle"
CALLS_PER_DOSSIER = 7  # submit, accept, forward x3, approve, return


def setup_django(database_url: str) -> None:
    sys.path.insert(0, str(SRC))
    os.environ["DJANGO_SETTINGS_MODULE"] = "tinhso.settings"
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("TINHSO_VAR_DIR", str(ROOT / "var" / "bench"))
    # Delivery is the worker's job; the outbox rows are still written in each transaction.
    os.environ.setdefault("TASKS_BACKEND", "django_tasks.backends.dummy.DummyBackend")
    import django

    django.setup()


def use_plain_static_files() -> None:
    """Pages render {% static %} without a collected manifest (a benchmark runs no
    collectstatic): swap the manifest storage for the plain one, even if already built."""
    from django.conf import settings
    from django.contrib.staticfiles.storage import staticfiles_storage
    from django.core.files.storage import storages
    from django.utils.functional import empty

    settings.STORAGES["staticfiles"] = {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
    }
    storages._storages.pop("staticfiles", None)
    storages.backends["staticfiles"] = settings.STORAGES["staticfiles"]
    staticfiles_storage._wrapped = empty


def emit(**figures) -> None:
    print(json.dumps(figures), flush=True)


def pg_admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(sql)


def shared_cache(url: str) -> str:
    """The Redis URL tinhso's web processes share their cache through (rate-limit counters),
    as docs/systemd/tinhso.env.example sets it, when Redis answers there; else "" (tinhso
    falls back to a table in the database)."""
    import redis

    try:
        return url if redis.Redis.from_url(url, socket_timeout=1).ping() else ""
    except (redis.RedisError, ValueError):  # not answering, or not a Redis URL ("database")
        return ""


def make_world(n_agencies: int = 1, tag: str = "") -> dict:
    """Agencies with officials, a citizen with a wallet paper, a procedure with a
    4-step process (reception, processing, review, approval)."""
    from tinhso.accounts.models import Role, RoleGrant, User
    from tinhso.directory.models import Agency
    from tinhso.onestop.models import (
        Field,
        Procedure,
        ProcessStep,
        ProcessTemplate,
        RequiredPaper,
        WalletItem,
    )
    from tinhso.onestop.services import files

    province, _ = Agency.objects.get_or_create(
        code="H98", defaults={"legacy_code": "000.00.00.H98", "name": "UBND tỉnh thử"}
    )
    field, _ = Field.objects.get_or_create(code="BENCH", defaults={"name": "Lĩnh vực thử"})
    agencies, procedures, staff = [], [], []
    for i in range(n_agencies):
        agency, _ = Agency.objects.get_or_create(
            code=f"H98.{i + 1:02d}",
            defaults={
                "legacy_code": f"000.00.{i + 1:02d}.H98",
                "name": f"Sở thử nghiệm {i + 1}",
                "parent": province,
            },
        )
        agencies.append(agency)
        people = {}
        for role, prefix in (
            (Role.ONESTOP_OFFICER, "motcua"),
            (Role.SPECIALIST, "chuyenvien"),
            (Role.LEADER, "lanhdao"),
        ):
            user, _ = User.objects.get_or_create(
                username=f"{prefix}.b{i}",
                defaults={"kind": User.Kind.OFFICIAL, "full_name": f"{prefix} {i}"},
            )
            RoleGrant.objects.get_or_create(user=user, agency=agency, role=role)
            people[role] = user
        staff.append(people)
        procedure, created = Procedure.objects.get_or_create(
            code=f"9.{i + 1:06d}",
            defaults=dict(
                name=f"Thủ tục thử nghiệm {i + 1}",
                field=field,
                agency=agency,
                processing_days=Decimal("5"),
                online_type="full",
                form_schema={
                    "type": "object",
                    "required": ["ho_ten"],
                    "properties": {"ho_ten": {"type": "string", "minLength": 2}},
                },
            ),
        )
        if created:
            RequiredPaper.objects.create(procedure=procedure, order=1, name="Tờ khai")
            template = ProcessTemplate.objects.create(procedure=procedure)
            for order, (name, kind, role, days) in enumerate(
                [
                    ("Tiếp nhận", "reception", Role.ONESTOP_OFFICER, "0.5"),
                    ("Thẩm định", "processing", Role.SPECIALIST, "3"),
                    ("Xem xét", "review", Role.LEADER, "1"),
                    ("Phê duyệt", "approval", Role.LEADER, "0.5"),
                ],
                start=1,
            ):
                ProcessStep.objects.create(
                    template=template,
                    order=order,
                    name=name,
                    kind=kind,
                    role=role,
                    budget_days=Decimal(days),
                )
        procedures.append(procedure)
    citizen, _ = User.objects.get_or_create(
        username=f"congdan.bench{tag}",
        defaults={"full_name": "Nguyễn Văn Thử", "phone": "0912000111", "email": "t@x.vn"},
    )
    item = WalletItem.objects.filter(owner=citizen).first()
    if item is None:
        stored = files.store_bytes(b"%PDF-1.4\n%%EOF\n", folder="wallet", filename="cccd.pdf")
        item = WalletItem.objects.create(
            owner=citizen,
            name="CCCD",
            file=stored.name,
            sha256=stored.sha256,
            size=stored.size,
            content_type="application/pdf",
        )
    from tinhso.onestop import selectors

    # as the submit page loads it (papers prefetched, shared by the page and the service)
    procedures = [selectors.get_procedure(code=p.code) for p in procedures]
    return {
        "agencies": agencies,
        "procedures": procedures,
        "papers": [p.papers.all()[0] for p in procedures],
        "staff": staff,
        "citizen": citizen,
        "wallet": item,
    }


def lifecycle(world: dict, k: int) -> None:
    from tinhso.onestop import services

    i = k % len(world["procedures"])
    procedure, people = world["procedures"][i], world["staff"][i]
    paper = world["papers"][i]
    officer = people["onestop_officer"]
    specialist = people["specialist"]
    leader = people["leader"]
    dossier = services.submit_dossier(
        user=world["citizen"],
        procedure=procedure,
        form_data={"ho_ten": "Nguyễn Văn Thử"},
        attachments=[services.Attachment(wallet_item=world["wallet"], paper=paper)],
        return_method="counter",
    )
    services.accept_dossier(officer=officer, dossier=dossier)
    services.forward_to_next_step(official=officer, dossier=dossier, to_user=specialist)
    services.forward_to_next_step(official=specialist, dossier=dossier, to_user=leader)
    services.forward_to_next_step(official=leader, dossier=dossier, to_user=leader)
    services.approve(official=leader, dossier=dossier)
    services.return_result(officer=officer, dossier=dossier)


def _worker(database_url: str, n: int, offset: int, barrier, done) -> None:
    setup_django(database_url)
    from django.db import connection

    world = make_world(4)
    barrier.wait()
    for k in range(n):
        lifecycle(world, offset + k)
    connection.close()
    done.put(n)


def run(db: str, database_url: str, dossiers: int, workers: int) -> None:
    from django.db import connection

    from tinhso.onestop.models import Dossier

    before = Dossier.objects.filter(state="returned").count()
    extra: dict = {}
    if workers == 1:
        from django.test.utils import CaptureQueriesContext

        world = make_world(4)
        warm = len(world["procedures"])
        for k in range(warm):  # warm-up: each official's grants are read once, then cached
            lifecycle(world, k)
        with CaptureQueriesContext(connection) as captured:
            lifecycle(world, warm)
        before += warm + 1
        extra["queries_per_dossier"] = len(captured)  # statements incl. BEGIN/COMMIT
        backend = _backend_cpu_reader()
        server0 = backend()
        cpu0 = time.process_time()
        started = time.perf_counter()
        for k in range(dossiers):
            lifecycle(world, k)
        elapsed = time.perf_counter() - started
        # where one worker's time goes: this (client) process's CPU, the PostgreSQL
        # backend's CPU (same host), the rest is waiting (round trips, commit flushes)
        extra["client_cpu_ms_per_dossier"] = round(
            1000 * (time.process_time() - cpu0) / dossiers, 2
        )
        server1 = backend()
        if server0 is not None and server1 is not None:
            extra["server_cpu_ms_per_dossier"] = round(1000 * (server1 - server0) / dossiers, 2)
    else:
        ctx = mp.get_context("spawn")
        barrier = ctx.Barrier(workers + 1)
        done = ctx.Queue()
        per = dossiers // workers
        procs = [
            ctx.Process(target=_worker, args=(database_url, per, w, barrier, done))
            for w in range(workers)
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
        dossiers = per * workers
    connection.close()
    finished = Dossier.objects.filter(state="returned").count() - before
    emit(
        db=db,
        workers=workers,
        dossiers=dossiers,
        returned=finished,
        elapsed_s=round(elapsed, 2),
        dossiers_per_s=round(dossiers / elapsed, 1),
        service_calls_per_s=round(dossiers * CALLS_PER_DOSSIER / elapsed, 1),
        ms_per_dossier=round(1000 * elapsed / dossiers, 2),
        **extra,
    )


def _backend_cpu_reader():
    """A function giving the CPU seconds used so far by this connection's PostgreSQL
    backend (read from /proc when the server runs on this host), else None."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return lambda: None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    tick = os.sysconf("SC_CLK_TCK")

    def read():
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / tick  # utime + stime

    return read


def commit_rate(n: int = 1000) -> float:
    """Raw one-row INSERT + COMMIT per second on one connection (no Django)."""
    from django.db import connection

    connection.ensure_connection()
    raw = connection.connection
    with raw.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS bench_commit (x int)")
        raw.commit()
        started = time.perf_counter()
        for i in range(n):
            cursor.execute("INSERT INTO bench_commit VALUES (%s)", (i,))
            raw.commit()
        elapsed = time.perf_counter() - started
        cursor.execute("DROP TABLE bench_commit")
        raw.commit()
    return n / elapsed


def child(db: str, dossiers: int, workers: list[int]) -> None:
    database_url = {
        "postgresql": f"{PG_BASE}bench_{NAME}",
        # the same server with synchronous_commit=off for these sessions (a standard
        # PostgreSQL durability trade-off: a crash may lose the last ~0.6 s of commits)
        "postgresql_async_commit": f"{PG_BASE}bench_{NAME}?options=-c%20synchronous_commit%3Doff",
    }.get(db, f"sqlite:///{ROOT / 'var' / 'bench' / (NAME + '.sqlite3')}")
    setup_django(database_url)
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    make_world(4)
    if db.startswith("postgresql"):
        rate = commit_rate()
        emit(
            db=db,
            raw_commits_per_s=round(rate, 1),
            ceiling_dossiers_per_s_one_connection=round(rate / CALLS_PER_DOSSIER, 1),
        )
    for w in workers:
        if db == "sqlite" and w > 1:
            continue  # one writer at a time on SQLite: more processes only queue
        run(db, database_url, dossiers, w)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dossiers", type=int, default=300, help="dossiers per run")
    parser.add_argument("--workers", default="1,2,4", help="processes (PostgreSQL)")
    parser.add_argument(
        "--db", default="sqlite,postgresql,postgresql_async_commit", help="comma-separated"
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    workers = [int(w) for w in args.workers.split(",")]
    if args.child:
        child(args.child, args.dossiers, workers)
        return
    for db in args.db.split(","):
        if db == "sqlite":
            path = ROOT / "var" / "bench" / f"{NAME}.sqlite3"
            path.parent.mkdir(parents=True, exist_ok=True)
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        else:
            try:
                pg_admin(f"DROP DATABASE IF EXISTS bench_{NAME}")
                pg_admin(f"CREATE DATABASE bench_{NAME}")
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
                    "--dossiers",
                    str(args.dossiers),
                    "--workers",
                    args.workers,
                ],
                check=True,
                cwd=ROOT,
            )
        finally:
            if db.startswith("postgresql"):
                pg_admin(f"DROP DATABASE IF EXISTS bench_{NAME}")


if __name__ == "__main__":
    main()
