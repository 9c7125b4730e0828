"""Signing benchmark: sign and verify a 1-page and a 50-page PDF (PAdES B-B).

    .venv/bin/python benchmarks/signing.py                  # pages 1 and 50, 5 rounds
    .venv/bin/python benchmarks/signing.py --pages 1 50 200 --rounds 10

Prints one JSON object per line (median over the rounds, milliseconds):
  {"pages": 1, "pdf_bytes": ..., "sign_ms": ..., "seal_ms": ..., "verify_ms": ...,
   "verify_two_signatures_ms": ...}

`sign_ms`: a personal signature with its visible appearance (key on the server,
decrypted for each signature); `seal_ms`: the agency's seal over it; `verify_ms`: the
verification of the personally signed PDF; `verify_two_signatures_ms`: of the sealed
one (two signatures, difference analysis between revisions).
Database: a throwaway SQLite file under var/bench/ (migrated here).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SQLITE_PATH = ROOT / "var" / "bench" / "signing.sqlite3"


def setup_django() -> None:
    sys.path.insert(0, str(ROOT / "src"))
    SQLITE_PATH.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(str(SQLITE_PATH) + suffix).unlink(missing_ok=True)
    os.environ["DJANGO_SETTINGS_MODULE"] = "tinhso.settings"
    os.environ["DATABASE_URL"] = f"sqlite:///{SQLITE_PATH}"
    os.environ.setdefault("TINHSO_VAR_DIR", str(ROOT / "var" / "bench"))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def make_pdf(pages: int) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    from tinhso.core.pdf import register_reportlab_fonts

    register_reportlab_fonts()
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    line = "Ủy ban nhân dân tỉnh quyết định về việc phê duyệt kế hoạch chuyển đổi số năm 2026."
    for n in range(pages):
        c.setFont("Serif", 11)
        y = 800
        for i in range(60):
            c.drawString(50, y, f"{n + 1}.{i + 1} {line}")
            y -= 12.5
        c.showPage()
    c.save()
    return buf.getvalue()


def fixtures():
    from tinhso.accounts.models import Role, RoleGrant, User
    from tinhso.directory.models import Agency
    from tinhso.signing import images
    from tinhso.signing.services import ensure_demo_ca, issue_certificate
    from tinhso.signing.services.images import set_image

    _, issuing = ensure_demo_ca()
    agency = Agency.objects.create(code="000.00.00.B01", name="Sở Thông tin (bench)")
    leader = User.objects.create_user(
        username="bench.leader", kind=User.Kind.OFFICIAL, full_name="Lê Văn Bền"
    )
    clerk = User.objects.create_user(username="bench.clerk", kind=User.Kind.OFFICIAL)
    RoleGrant.objects.create(user=clerk, agency=agency, role=Role.CLERK)
    issue_certificate(ca=issuing, kind="personal", owner_user=leader, owner_agency=agency)
    issue_certificate(ca=issuing, kind="agency", owner_agency=agency)
    set_image(owner_user=leader, png=images.signature_png(leader.full_name))
    set_image(owner_agency=agency, png=images.seal_png(agency.name))
    return leader, clerk, agency


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return result, (time.perf_counter() - start) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, nargs="+", default=[1, 50])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    setup_django()
    from tinhso.signing.selectors import verify_pdf
    from tinhso.signing.services import sign_pdf

    leader, clerk, agency = fixtures()
    for pages in args.pages:
        pdf = make_pdf(pages)
        sign, seal, verify, verify2 = [], [], [], []
        for _ in range(args.rounds):
            signed, ms = timed(
                lambda pdf=pdf: sign_pdf(pdf=pdf, signer=leader, kind="personal", agency=agency)
            )
            sign.append(ms)
            sealed, ms = timed(
                lambda s=signed: sign_pdf(pdf=s, signer=clerk, kind="seal", agency=agency)
            )
            seal.append(ms)
            reports, ms = timed(lambda s=signed: verify_pdf(s))
            assert [r.status for r in reports] == ["valid"], reports
            verify.append(ms)
            reports, ms = timed(lambda s=sealed: verify_pdf(s))
            assert [r.status for r in reports] == ["valid", "valid"], reports
            verify2.append(ms)
        print(
            json.dumps(
                {
                    "pages": pages,
                    "pdf_bytes": len(pdf),
                    "rounds": args.rounds,
                    "sign_ms": round(statistics.median(sign), 1),
                    "seal_ms": round(statistics.median(seal), 1),
                    "verify_ms": round(statistics.median(verify), 1),
                    "verify_two_signatures_ms": round(statistics.median(verify2), 1),
                }
            ),
            flush=True,
        )


if __name__ == "__main__":
    main()
