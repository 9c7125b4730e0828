"""Numbering benchmark: arrival numbers per second with 1 and 8 concurrent issuers.

    .venv/bin/python benchmarks/numbering.py                      # 1 and 8 issuers, 4000 each
    .venv/bin/python benchmarks/numbering.py --numbers 20000 --issuers 1 4 8 16 --audit

Each issuer is a separate process (as web workers are). Each issue is `documents.services.register_incoming`'s bookkeeping without the PDF work,
in one transaction: insert the document row, take the next number of the year's register
(the UPDATE locks the register row until commit) and store it on the row; with `--audit`
also the audit entry (the audit trail has its own global lock). The lock is held from
the increment to the commit, so the rate is bounded by one durable commit per number.

At the end every register is checked: numbers 1..N present once each (gaps = missing
numbers, duplicates = numbers given twice) and `last_number == N`.

PostgreSQL (the production database, where the row lock matters): a throwaway database
`bench_numbering` on DATABASE_URL's server (default postgres://postgres@127.0.0.1:5432/),
created and dropped here. Prints one JSON object per line:
  {"issuers": 8, "numbers": 4000, "numbers_per_s": ..., "gaps": 0, "duplicates": 0, "audit": false}
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB_NAME = "bench_numbering"


def admin_url() -> str:
    return os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")


def create_database() -> str:
    import psycopg

    base = admin_url()
    with psycopg.connect(base.replace("postgres://", "postgresql://"), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME}")
        conn.execute(f"CREATE DATABASE {DB_NAME}")
    return base.rsplit("/", 1)[0] + f"/{DB_NAME}"


def drop_database() -> None:
    import psycopg
    from django.db import connections

    connections.close_all()
    with psycopg.connect(
        admin_url().replace("postgres://", "postgresql://"), autocommit=True
    ) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")


def setup_django(url: str) -> None:
    sys.path.insert(0, str(ROOT / "src"))
    os.environ["DJANGO_SETTINGS_MODULE"] = "tinhso.settings"
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("TINHSO_VAR_DIR", str(ROOT / "var" / "bench"))
    os.environ.setdefault("DB_CONN_MAX_AGE", "600")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def run(issuers: int, numbers: int, audit: bool, label: str) -> dict:
    from django.db import connection, transaction
    from django.utils import timezone

    from tinhso.accounts.models import User
    from tinhso.audit.services import record
    from tinhso.directory.models import Agency
    from tinhso.documents.models import IncomingDocument, Register
    from tinhso.documents.services import take_number

    agency = Agency.objects.create(
        code=f"H98.{label}", name=f"Cơ quan thử {label}", short_name="CQ"
    )
    clerk = User.objects.create_user(username=f"clerk{label}", kind=User.Kind.OFFICIAL)
    year = timezone.localdate().year
    per_issuer = numbers // issuers
    ctx = multiprocessing.get_context("fork")
    start_barrier = ctx.Barrier(issuers + 1)
    failures = ctx.Queue()

    Register.objects.create(  # the year's register, as the first registration creates it
        agency=agency, year=year, direction="incoming", series="normal"
    )

    def new_document(**extra):
        return IncomingDocument.objects.create(
            agency=agency,
            arrived_at=timezone.now(),
            sender_name="Sở Tài chính",
            number_notation="12/STC-NS",
            issued_on=timezone.localdate(),
            doc_type="cv",
            subject="Về việc quyết toán ngân sách",
            subject_folded="ve viec quyet toan ngan sach",
            registered_by=clerk,
            **extra,
        )

    def issue() -> None:
        try:
            connection.ensure_connection()
            start_barrier.wait()
            for _ in range(per_issuer):
                with transaction.atomic():
                    # One transaction per number: the row first, the number last (the
                    # register's lock is held from the increment to the commit).
                    doc = new_document()
                    _reg, number = take_number(
                        agency=agency,
                        year=year,
                        direction="incoming",
                        series="normal",
                        store_on=doc,
                    )
                    if audit:
                        record(
                            actor=clerk,
                            action="documents.register_incoming",
                            obj=doc,
                            agency=agency,
                            summary={"arrival_number": number},
                        )
        except BaseException as exc:  # noqa: BLE001
            failures.put(repr(exc))
        finally:
            connection.close()

    # One process per issuer, as N web workers would be (threads would measure the GIL).
    connection.close()
    threads = [ctx.Process(target=issue) for _ in range(issuers)]
    for t in threads:
        t.start()
    start_barrier.wait()
    started = time.perf_counter()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    if not failures.empty():
        raise RuntimeError(failures.get())
    issued = list(
        IncomingDocument.objects.filter(agency=agency).values_list("arrival_number", flat=True)
    )
    total = per_issuer * issuers
    unique = set(issued)
    last = Register.objects.get(agency=agency, direction="incoming").last_number
    gaps = len(set(range(1, max(last, total) + 1)) - unique)
    return {
        "issuers": issuers,
        "numbers": total,
        "numbers_per_s": round(total / elapsed, 1),
        "gaps": gaps,
        "duplicates": len(issued) - len(unique),
        "last_number_ok": last == total,
        "audit": audit,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--numbers", type=int, default=4000, help="numbers per configuration")
    parser.add_argument("--issuers", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--audit", action="store_true", help="also write the audit trail")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()
    url = create_database()
    try:
        setup_django(url)
        for i, issuers in enumerate(args.issuers):
            result = run(issuers, args.numbers, args.audit, f"{i:02d}")
            print(json.dumps(result), flush=True)
    finally:
        if not args.keep:
            drop_database()


if __name__ == "__main__":
    main()
