"""Fixtures of the signing tests: a local CA, officials and agencies with certificates,
PDFs with Vietnamese text."""

from __future__ import annotations

import io
import os
import shutil
import subprocess

import pytest
from reportlab.pdfgen import canvas

from tinhso.core.pdf import register_reportlab_fonts

BODY = "Nội dung văn bản: Ủy ban nhân dân tỉnh Đà Nẵng"


def make_pdf(pages: int = 1, text: str = BODY) -> bytes:
    """An uncompressed A4 PDF (so tests can find and tamper with its text)."""
    register_reportlab_fonts()
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=(595, 842), invariant=1, pageCompression=0)
    for n in range(pages):
        c.setFont("Helvetica", 12)
        c.drawString(72, 760, f"Noi dung trang {n + 1}: quyet dinh so 123")
        c.setFont("Serif", 12)
        c.drawString(72, 740, text)
        c.showPage()
    c.save()
    return buf.getvalue()


@pytest.fixture
def pdf_bytes() -> bytes:
    return make_pdf()


@pytest.fixture
def demo_ca(db):
    from tinhso.signing.services import ensure_demo_ca

    return ensure_demo_ca()


@pytest.fixture
def agency(db):
    from tinhso.directory.models import Agency

    return Agency.objects.create(
        code="000.00.01.H17", name="Sở Nội vụ tỉnh Đà Nẵng", short_name="SNV"
    )


@pytest.fixture
def leader(db, agency):
    from tinhso.accounts.models import Role, RoleGrant, User
    from tinhso.directory.models import Membership, Position

    user = User.objects.create_user(
        username="lanhdao.snv",
        password="x-Very-long-pass-1",
        kind=User.Kind.OFFICIAL,
        full_name="Nguyễn Văn Đức",
        email="duc@example.vn",
    )
    RoleGrant.objects.create(user=user, agency=agency, role=Role.LEADER)
    position, _ = Position.objects.get_or_create(
        name="Giám đốc", defaults={"rank": 1, "is_leader": True}
    )
    Membership.objects.create(user=user, agency=agency, position=position)
    return user


@pytest.fixture
def clerk(db, agency):
    from tinhso.accounts.models import Role, RoleGrant, User

    user = User.objects.create_user(
        username="vanthu.snv",
        password="x-Very-long-pass-1",
        kind=User.Kind.OFFICIAL,
        full_name="Trần Thị Hoa",
    )
    RoleGrant.objects.create(user=user, agency=agency, role=Role.CLERK)
    return user


@pytest.fixture
def leader_cert(demo_ca, leader, agency):
    from tinhso.signing.images import signature_png
    from tinhso.signing.services import issue_certificate
    from tinhso.signing.services.images import set_image

    set_image(owner_user=leader, png=signature_png(leader.full_name))
    return issue_certificate(ca=demo_ca[1], kind="personal", owner_user=leader, owner_agency=agency)


@pytest.fixture
def agency_cert(demo_ca, agency):
    from tinhso.signing.images import seal_png
    from tinhso.signing.services import issue_certificate
    from tinhso.signing.services.images import set_image

    set_image(owner_agency=agency, png=seal_png(agency.name))
    return issue_certificate(ca=demo_ca[1], kind="agency", owner_agency=agency)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


SOFTHSM_LIB = os.environ.get("SOFTHSM2_LIB", "/usr/lib/softhsm/libsofthsm2.so")
TOKEN = "tinhso-test"
PIN = "123456"


@pytest.fixture(scope="session")
def softhsm(tmp_path_factory):
    """A fresh SoftHSM2 token in a temporary directory."""
    util = shutil.which("softhsm2-util")
    if not os.path.exists(SOFTHSM_LIB) or util is None:
        pytest.fail(
            "SoftHSM2 is required for the PKCS#11 tests and is not installed: "
            "apt-get install softhsm2"
        )
    directory = tmp_path_factory.mktemp("softhsm")
    (directory / "tokens").mkdir()
    conf = directory / "softhsm2.conf"
    conf.write_text(
        f"directories.tokendir = {directory / 'tokens'}\nobjectstore.backend = file\n"
        "log.level = ERROR\n"
    )
    os.environ["SOFTHSM2_CONF"] = str(conf)  # read when the module is first loaded
    subprocess.run(
        [util, "--init-token", "--free", "--label", TOKEN, "--pin", PIN, "--so-pin", "654321"],
        check=True,
        capture_output=True,
    )
    return SOFTHSM_LIB
