"""edXML packages: build+sign and parse+verify+validate per second (issue 9).

    .venv/bin/python benchmarks/edxml.py [--seconds 5]

Two packages: no attachment, and one 1 MB PDF attachment. The signature is XML-DSig
(signxml, ECDSA P-256, SHA-256, exclusive C14N) over the whole package; the read path
is the receiver's: size and DTD checks, parse, signature, certificate chain to the
trust anchor, normalisation, XSD validation, fields, base64. Runs on a throw-away SQLite
database (the trust anchors live in the signing app's tables).

Prints one JSON line per package: build_sign_per_s, read_verify_per_s, package_bytes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from onestop_lifecycle import emit  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-edxml-"))
    sys.path.insert(0, str(ROOT / "src"))
    os.environ["DJANGO_SETTINGS_MODULE"] = "tinhso.settings"
    os.environ["DATABASE_URL"] = f"sqlite:///{tmp / 'db.sqlite3'}"
    os.environ["TINHSO_VAR_DIR"] = str(tmp)
    os.environ.setdefault("SECRET_KEY", "bench-only-" + "k" * 50)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", "--noinput", verbosity=0)
    from tinhso.directory.models import Agency
    from tinhso.exchange import edxml
    from tinhso.exchange.services import seal_key
    from tinhso.signing.services import ensure_demo_ca, issue_certificate

    agency = Agency.objects.create(
        code="H99.10", legacy_code="000.00.10.H99", name="Sở Thông tin và Truyền thông"
    )
    _root, issuing = ensure_demo_ca()
    issue_certificate(ca=issuing, kind="agency", owner_agency=agency)
    key, chain = seal_key(agency)
    one_mb = b"%PDF-1.4\n" + os.urandom(1024 * 1024 - 9)
    for label, attachments in (
        ("no_attachment", []),
        ("attachment_1mb", [edxml.Attachment(name="van-ban.pdf", data=one_mb)]),
    ):
        package = edxml.DocumentPackage(
            sender=edxml.Organ("000.00.10.H99", agency.name),
            to=[edxml.Organ("000.00.20.H99", "Sở Tài chính")],
            number_notation="15/STTTT-KH",
            promulgation_date=dt.date(2026, 1, 5),
            subject="Về việc đo hiệu năng gói tin liên thông",
            attachments=attachments,
        )
        n, start = 0, time.perf_counter()
        raw = b""
        while time.perf_counter() - start < args.seconds:
            raw = edxml.write(package, private_key=key, chain_pem=chain)
            n += 1
        build = n / (time.perf_counter() - start)
        n, start = 0, time.perf_counter()
        while time.perf_counter() - start < args.seconds:
            edxml.read(raw)
            n += 1
        read = n / (time.perf_counter() - start)
        emit(
            package=label,
            build_sign_per_s=round(build, 1),
            read_verify_per_s=round(read, 1),
            package_bytes=len(raw),
        )


if __name__ == "__main__":
    main()
