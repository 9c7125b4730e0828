"""Backup and restore throughput on PostgreSQL: `tinhso backup`, `backup verify`, `restore`.

    .venv/bin/python benchmarks/backup.py                       # 20,000 dossiers, 200 MB files
    .venv/bin/python benchmarks/backup.py --dossiers 100000 --files 2000 --file-kb 256

Builds a database of its own (migrated), then N one-stop dossiers with their form-05
events through onestop_year's bulk path, writes stored files of the given size (random bytes: scanned PDFs and photos do not compress
either), then times:

- `create_backup` (seal, pg_dump in one snapshot, files copied with their SHA-256),
  each step and the whole, in MB/s of the instance (database size + files);
- `verify_archive` (`tinhso backup verify`: every member and file re-hashed);
- `tinhso restore` into a fresh empty database and storage (a real process; its own
  reported time excludes Python start-up, which `restore_wall_s` includes).

Prints JSON lines: the dataset (db_size_mb, dump_mb, files, files_mb), then backup,
verify and restore figures. Keep runs short on a shared machine: the defaults take about
three to five minutes on two loaded cores.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from onestop_lifecycle import emit, pg_admin, setup_django  # noqa: E402

PG_BASE = os.environ.get("BENCH_PG_BASE", "postgres://postgres@127.0.0.1:5432/")
NAME = "bench_backup"
SECRET = os.environ.get("SECRET_KEY") or "bench-only-not-a-secret-key-0123456789abcdefghijklmnop"


class Timed:
    """A step factory for the services that records each step's seconds."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def __call__(self, label: str):
        @contextmanager
        def step():
            started = time.perf_counter()

            class Out:
                def write(self, *a, **k) -> None:
                    pass

                def progress(self, done: int, total: int) -> None:
                    pass

            try:
                yield Out()
            finally:
                self.seconds[label] = round(time.perf_counter() - started, 2)

        return step()


def write_files(media: Path, count: int, size_kb: int) -> int:
    total = 0
    for i in range(count):
        folder = media / "bench" / f"{i // 500:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        data = os.urandom(size_kb * 1024)
        (folder / f"paper-{i:06d}.pdf").write_bytes(data)
        total += len(data)
    return total


def child(args: argparse.Namespace) -> None:
    os.environ["SECRET_KEY"] = SECRET
    setup_django(f"{PG_BASE}{NAME}")
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection, transaction
    from onestop_year import load

    from tinhso.backup import services

    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    migrate_s = time.perf_counter() - started
    with transaction.atomic():
        counts = load(args.dossiers)
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE")
        cur.execute("SELECT pg_database_size(current_database())")
        db_size = cur.fetchone()[0]
    media = Path(settings.MEDIA_ROOT)
    write_files(media, args.files, args.file_kb)
    stored = [p for p in media.rglob("*") if p.is_file()]
    files_bytes = sum(p.stat().st_size for p in stored)
    emit(
        dataset="generated",
        dossiers=counts["dossiers"],
        events=counts["events"],
        db_size_mb=round(db_size / 1e6, 1),
        files=len(stored),
        files_mb=round(files_bytes / 1e6, 1),
        migrate_s=round(migrate_s, 1),
    )
    instance_mb = (db_size + files_bytes) / 1e6
    out_dir = Path(args.tmp) / "archives"
    timed = Timed()
    started = time.perf_counter()
    result = services.create_backup(output=out_dir, step=timed)
    backup_s = time.perf_counter() - started
    dump_s = timed.seconds.get("Sao lưu cơ sở dữ liệu (pg_dump)", 0.0)
    files_s = timed.seconds.get("Sao lưu tệp lưu trữ", 0.0)
    emit(
        step="backup",
        backup_s=round(backup_s, 1),
        archive_mb=round(result.size / 1e6, 1),
        instance_mb_per_s=round(instance_mb / backup_s, 1),
        archive_mb_per_s=round(result.size / 1e6 / backup_s, 1),
        pg_dump_s=dump_s,
        db_mb_per_s=round(db_size / 1e6 / dump_s, 1) if dump_s else None,
        files_s=files_s,
        files_mb_per_s=round(files_bytes / 1e6 / files_s, 1) if files_s else None,
    )
    started = time.perf_counter()
    services.verify_archive(result.path)
    verify_s = time.perf_counter() - started
    emit(
        step="verify",
        verify_s=round(verify_s, 1),
        archive_mb_per_s=round(result.size / 1e6 / verify_s, 1),
    )
    print(f"ARCHIVE {result.path}", flush=True)


def restore(archive: Path, tmp: Path, instance_mb: float) -> None:
    target_db = f"{NAME}_restore"
    pg_admin(f"DROP DATABASE IF EXISTS {target_db} WITH (FORCE)")
    pg_admin(f"CREATE DATABASE {target_db}")
    var = tmp / "restored"
    var.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "MEDIA_ROOT"}
    env.update(
        DATABASE_URL=f"{PG_BASE}{target_db}",
        TINHSO_VAR_DIR=str(var),
        SECRET_KEY=SECRET,
        LOG_LEVEL="WARNING",
    )
    try:
        started = time.perf_counter()
        done = subprocess.run(
            [str(Path(sys.executable).parent / "tinhso"), "restore", str(archive)],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        wall = time.perf_counter() - started
        if done.returncode != 0:
            emit(step="restore", failed=done.stderr[-1000:])
            return
        own = re.search(r"\((\d+,\d+) giây\)\.", done.stdout)
        restore_s = float(own.group(1).replace(",", ".")) if own else wall
        steps = dict(re.findall(r"^(.+?) ✓ (\d+,\d+) giây$", done.stdout, flags=re.M))
        emit(
            step="restore",
            restore_s=round(restore_s, 1),
            restore_wall_s=round(wall, 1),
            instance_mb_per_s=round(instance_mb / restore_s, 1),
            pg_restore_s=float(
                steps.get("Khôi phục cơ sở dữ liệu (pg_restore)", "0").replace(",", ".")
            ),
            read_and_check_s=float(steps.get("Đọc và kiểm tra tệp sao lưu", "0").replace(",", ".")),
            rehash_files_s=float(steps.get("Kiểm tra mã băm từng tệp", "0").replace(",", ".")),
        )
    finally:
        pg_admin(f"DROP DATABASE IF EXISTS {target_db} WITH (FORCE)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dossiers", type=int, default=20_000)
    parser.add_argument("--files", type=int, default=800)
    parser.add_argument("--file-kb", type=int, default=256)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--tmp", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    try:
        pg_admin(f"DROP DATABASE IF EXISTS {NAME} WITH (FORCE)")
        pg_admin(f"CREATE DATABASE {NAME}")
    except Exception as exc:  # noqa: BLE001
        emit(db="postgresql", skipped=f"PostgreSQL not reachable: {exc}")
        return
    tmp = Path(tempfile.mkdtemp(prefix="bench-backup-"))
    try:
        env = dict(os.environ, TINHSO_VAR_DIR=str(tmp / "source"))
        env.pop("MEDIA_ROOT", None)
        done = subprocess.run(
            [
                sys.executable,
                __file__,
                "--child",
                "--tmp",
                str(tmp),
                "--dossiers",
                str(args.dossiers),
                "--files",
                str(args.files),
                "--file-kb",
                str(args.file_kb),
            ],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        archive = None
        instance_mb = 0.0
        for line in done.stdout.splitlines():
            if line.startswith("ARCHIVE "):
                archive = Path(line.removeprefix("ARCHIVE "))
                continue
            print(line, flush=True)
            if '"dataset"' in line:
                import json

                data = json.loads(line)
                instance_mb = data["db_size_mb"] + data["files_mb"]
        if done.returncode != 0 or archive is None:
            emit(step="backup", failed=done.stderr[-2000:])
            return
        restore(archive, tmp, instance_mb)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        pg_admin(f"DROP DATABASE IF EXISTS {NAME} WITH (FORCE)")


if __name__ == "__main__":
    main()
