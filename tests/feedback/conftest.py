"""A small province for the feedback tests: two communes (square polygons), their
People's Committees, a department, the coordinating centre, officials and citizens,
three tiers and a few categories, routes by commune and by category."""

from __future__ import annotations

import io
from datetime import datetime

import pytest
from django.test import override_settings

from tinhso.accounts.models import Role, RoleGrant, User
from tinhso.directory.models import AdministrativeUnit, Agency
from tinhso.feedback import geo, services
from tinhso.workdays.services import VN

# Commune A: lat 10.0–10.1, lng 106.0–106.1; commune B: lng 106.1–106.2 (same lats).
A_POINT = (10.05, 106.05)
B_POINT = (10.05, 106.15)
OUTSIDE = (10.5, 106.5)


def square(lat0, lng0, size=0.1):
    return {
        "type": "Polygon",
        "coordinates": [
            [
                [lng0, lat0],
                [lng0 + size, lat0],
                [lng0 + size, lat0 + size],
                [lng0, lat0 + size],
                [lng0, lat0],
            ]
        ],
    }


def vn(*args) -> datetime:
    return datetime(*args, tzinfo=VN)


def jpeg(size=(800, 600), gps: tuple[float, float] | None = None, color=(120, 160, 200)) -> bytes:
    from PIL import Image

    image = Image.new("RGB", size, color)
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    if gps is not None:

        def dms(v):
            d = int(v)
            m = int((v - d) * 60)
            s = round(((v - d) * 60 - m) * 60, 4)
            return (d, m, s)

        exif[0x8825] = {1: "N", 2: dms(gps[0]), 3: "E", 4: dms(gps[1])}
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def upload(data: bytes, name="anh.jpg"):
    stream = io.BytesIO(data)
    stream.name = name
    return stream


def _user(username, agency=None, *roles, kind=User.Kind.OFFICIAL, **extra):
    user = User.objects.create_user(
        username=username,
        full_name=extra.pop("full_name", username),
        kind=kind,
        password=None,
        **extra,
    )
    for role in roles:
        RoleGrant.objects.create(user=user, agency=agency, role=role)
    return user


class World:
    pass


@pytest.fixture(autouse=True)
def _no_rate_limit_leak(settings):
    settings.FEEDBACK_SUBMIT_RATE = "1000/hour"
    geo.forget()
    yield
    geo.forget()


@pytest.fixture
def world(db) -> World:
    from django.core.cache import cache

    cache.clear()  # rate-limit counters of earlier tests
    w = World()
    w.province_unit = AdministrativeUnit.objects.create(
        code="79", name="Tỉnh Thử", level="province"
    )
    w.unit_a = AdministrativeUnit.objects.create(
        code="79001", name="Phường An Bình", level="commune", parent=w.province_unit
    )
    w.unit_b = AdministrativeUnit.objects.create(
        code="79002", name="Xã Bình Minh", level="commune", parent=w.province_unit
    )
    w.province = Agency.objects.create(code="H79", name="UBND tỉnh Thử", admin_unit=w.province_unit)
    w.office = Agency.objects.create(code="H79.01", name="Văn phòng UBND tỉnh", parent=w.province)
    w.dept = Agency.objects.create(code="H79.05", name="Sở Xây dựng", parent=w.province)
    w.agency_a = Agency.objects.create(
        code="H79.51", name="UBND phường An Bình", parent=w.province, admin_unit=w.unit_a
    )
    w.agency_b = Agency.objects.create(
        code="H79.52", name="UBND xã Bình Minh", parent=w.province, admin_unit=w.unit_b
    )
    w.admin = _user("admin", w.province, Role.PLATFORM_ADMIN)
    w.centre_officer = _user("dieuhanh", w.office, Role.SPECIALIST)
    w.leader_a = _user("lanhdao.a", w.agency_a, Role.LEADER)
    w.handler_a = _user("chuyenvien.a", w.agency_a, Role.SPECIALIST)
    w.handler_b = _user("chuyenvien.b", w.agency_b, Role.SPECIALIST)
    w.handler_dept = _user("chuyenvien.sxd", w.dept, Role.SPECIALIST)
    w.citizen = _user(
        "congdan.an",
        kind=User.Kind.CITIZEN,
        full_name="Nguyễn Văn An",
        phone="0912345678",
        email="an@example.org",
    )
    w.other_citizen = _user(
        "congdan.binh", kind=User.Kind.CITIZEN, full_name="Trần Thị Bình", email="binh@example.org"
    )
    services.set_centre(
        actor=w.admin, agency=w.office, jurisdiction_id="thu.example", reopen_days=7
    )
    w.urgent = services.save_tier(actor=w.admin, code="khan-cap", name="Khẩn cấp", workdays=1)
    w.spot = services.save_tier(actor=w.admin, code="tai-cho", name="Tại chỗ", workdays=3)
    services.import_areas(
        actor=w.admin,
        geojson={
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "properties": {"code": "79001"},
                    "geometry": square(10.0, 106.0),
                },
                {
                    "type": "Feature",
                    "properties": {"code": "79002"},
                    "geometry": square(10.0, 106.1),
                },
            ],
        },
    )
    geo.forget()
    w.waste = services.save_category(
        actor=w.admin, code="rac-thai", name="Rác thải", tier=w.spot, duplicate_radius_m=50
    )
    w.road = services.save_category(
        actor=w.admin,
        code="giao-thong",
        name="Hư hỏng đường",
        tier=w.spot,
        duplicate_radius_m=200,
        attributes=[
            {
                "code": "muc_do",
                "datatype": "singlevaluelist",
                "required": False,
                "description": "Mức độ",
                "values": [{"key": "nhe", "name": "Nhẹ"}, {"key": "nang", "name": "Nặng"}],
            }
        ],
    )
    w.fire = services.save_category(
        actor=w.admin,
        code="chay-no",
        name="Cháy nổ",
        tier=w.urgent,
        notice="Khi có cháy, hãy gọi ngay 114.",
        duplicate_radius_m=0,
    )
    services.set_route(actor=w.admin, agency=w.agency_a, admin_unit=w.unit_a)
    services.set_route(actor=w.admin, agency=w.agency_b, admin_unit=w.unit_b)
    services.set_route(actor=w.admin, agency=w.dept, category=w.road)
    return w


def submit(
    w, *, user=None, category="rac-thai", point=A_POINT, text="Rác tồn đọng ở đầu ngõ", **kw
):
    return services.submit_report(
        actor=user or w.citizen,
        category=category,
        description=text,
        lat=point[0],
        lng=point[1],
        **kw,
    )


def accepted(w, **kw):
    report = submit(w, **kw)
    return services.act(actor=w.centre_officer, report=report, action="accept", note="")


__all__ = ["override_settings"]
