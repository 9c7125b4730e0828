"""Steps of the read-replica test and benchmark, run inside the app's environment:
`python -m tests.core.replica_app <step>` with DATABASE_URL set; prints one JSON object.

`seed`: the field-report (IOC) world made through the services: two communes, the
coordinating centre, a category that never merges reports, routes; a citizen and the
centre's official, each with an API token."""

from __future__ import annotations

import json
import os
import sys

import django

COMMUNE = (10.05, 106.05)  # inside commune 79001 (a 0.1° square at 10.0, 106.0)


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tinhso.settings")
    django.setup()


def _square(lat0: float, lng0: float, size: float = 0.1) -> dict:
    ring = [[lng0, lat0], [lng0 + size, lat0], [lng0 + size, lat0 + size], [lng0, lat0 + size]]
    return {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}


def seed() -> dict:
    from tinhso.accounts.models import Role, RoleGrant, User
    from tinhso.accounts.services import issue_token
    from tinhso.directory.models import AdministrativeUnit, Agency
    from tinhso.feedback import services

    province_unit = AdministrativeUnit.objects.create(code="79", name="Tỉnh Thử", level="province")
    unit = AdministrativeUnit.objects.create(
        code="79001", name="Phường An Bình", level="commune", parent=province_unit
    )
    province = Agency.objects.create(code="H79", name="UBND tỉnh Thử", admin_unit=province_unit)
    office = Agency.objects.create(code="H79.01", name="Văn phòng UBND tỉnh", parent=province)
    commune = Agency.objects.create(
        code="H79.51", name="UBND phường An Bình", parent=province, admin_unit=unit
    )

    def official(username: str, agency: Agency, role: str) -> User:
        user = User.objects.create_user(
            username=username, full_name=username, kind=User.Kind.OFFICIAL, password=None
        )
        RoleGrant.objects.create(user=user, agency=agency, role=role)
        return user

    admin = official("quantri", province, Role.PLATFORM_ADMIN)
    centre = official("dieuhanh", office, Role.SPECIALIST)
    official("chuyenvien.a", commune, Role.SPECIALIST)
    citizen = User.objects.create_user(
        username="congdan.an", full_name="Nguyễn Văn An", kind=User.Kind.CITIZEN, password=None
    )
    services.set_centre(actor=admin, agency=office, jurisdiction_id="thu.example")
    tier = services.save_tier(actor=admin, code="tai-cho", name="Tại chỗ", workdays=3)
    services.import_areas(
        actor=admin,
        geojson={
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "properties": {"code": "79001"},
                    "geometry": _square(10.0, 106.0),
                }
            ],
        },
    )
    services.save_category(
        actor=admin, code="rac-thai", name="Rác thải", tier=tier, duplicate_radius_m=0
    )
    services.set_route(actor=admin, agency=commune, admin_unit=unit)
    return {
        "citizen_token": issue_token(user=citizen, days=1),
        "centre_token": issue_token(user=centre, days=1),
    }


if __name__ == "__main__":
    _setup()
    step = {"seed": seed}[sys.argv[1]]
    print(json.dumps(step(*sys.argv[2:])))
