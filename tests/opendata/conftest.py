"""A small province for the open data tests: two departments, each with its data officer,
a citizen, a platform administrator; API keys for each; published datasets."""

from __future__ import annotations

import io
import unicodedata
from dataclasses import dataclass, field

import pytest

from tinhso.accounts import services as accounts
from tinhso.accounts.models import User
from tinhso.directory.models import Agency
from tinhso.opendata import services
from tinhso.opendata.models import Dataset
from tinhso.opendata.reference import ensure_reference


@dataclass
class World:
    province: Agency
    finance: Agency
    health: Agency
    officer: User  # data officer of finance
    other_officer: User  # data officer of health
    citizen: User
    admin: User
    keys: dict[str, str] = field(default_factory=dict)
    datasets: dict[str, Dataset] = field(default_factory=dict)


def publish(dataset: Dataset, officer: User) -> Dataset:
    services.transition(actor=officer, dataset=dataset, action="submit")
    return services.transition(actor=officer, dataset=dataset, action="approve")


TONES = "\u0300\u0301\u0303\u0309\u0323"


def to_cp1258(text: str) -> bytes:
    """Windows-1258 as Vietnamese tools write it: vowel letters precomposed where the code
    page has them (â ê ô ơ ư ă đ), tone marks as combining characters after them."""
    out = bytearray()
    for char in text:
        try:
            out += char.encode("cp1258")
            continue
        except UnicodeEncodeError:
            pass
        parts = unicodedata.normalize("NFD", char)
        base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in TONES))
        tones = "".join(c for c in parts if c in TONES)
        out += (base + tones).encode("cp1258")
    return bytes(out)


def csv_file(text: str, name: str = "data.csv", encoding: str = "utf-8") -> io.BytesIO:
    data = to_cp1258(text) if encoding == "cp1258" else text.encode(encoding)
    stream = io.BytesIO(data)
    stream.name = name
    stream.size = len(stream.getvalue())  # type: ignore[attr-defined]
    return stream


def build_world() -> World:
    ensure_reference()
    province = Agency.objects.create(code="H57", name="Ủy ban nhân dân tỉnh Thử Nghiệm")
    finance = Agency.objects.create(
        code="H57.01", name="Sở Tài chính", kind=Agency.Kind.DEPARTMENT, parent=province
    )
    health = Agency.objects.create(
        code="H57.02", name="Sở Y tế", kind=Agency.Kind.DEPARTMENT, parent=province
    )
    admin = User.objects.create_superuser(username="quantri", password=None, full_name="Quản trị")
    officer = accounts.create_official(username="dulieu.stc", full_name="Trần Thị Dữ Liệu")
    other = accounts.create_official(username="dulieu.syt", full_name="Lê Văn Y Tế")
    services.appoint_data_officer(actor=admin, user=officer, agency=finance)
    services.appoint_data_officer(actor=admin, user=other, agency=health)
    citizen = accounts.create_citizen(
        username="congdan.an",
        full_name="Nguyễn Văn An",
        citizen_id="001090001234",
        email="an@example.com",
        password="Mat-khau-2026!",
    )
    world = World(province, finance, health, officer, other, citizen, admin)
    for who, user in (
        ("officer", officer),
        ("other", other),
        ("citizen", citizen),
        ("admin", admin),
    ):
        world.keys[who] = accounts.issue_token(user=user, actor=admin)
    budget = services.create_dataset(
        actor=officer,
        agency=finance,
        title="Dự toán ngân sách tỉnh năm 2026",
        notes="Số liệu dự toán thu, chi ngân sách địa phương.",
        groups=["kinh-te-tai-chinh"],
        tags=["ngân sách", "tài chính"],
        frequency="ANNUAL",
        extras={"spatial": "Tỉnh Thử Nghiệm", "temporal_start": "2026-01-01"},
    )
    budget = publish(budget, officer)
    hospitals = services.create_dataset(
        actor=other,
        agency=health,
        title="Danh sách bệnh viện và trạm y tế",
        groups=["y-te"],
        tags=["y tế"],
        licence_id="cc-zero",
    )
    hospitals = publish(hospitals, other)
    draft = services.create_dataset(actor=officer, agency=finance, title="Bản nháp chưa công bố")
    world.datasets = {"budget": budget, "hospitals": hospitals, "draft": draft}
    return world


@pytest.fixture
def world(db) -> World:
    return build_world()
