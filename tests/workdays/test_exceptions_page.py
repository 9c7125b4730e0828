"""Platform administrators edit the yearly exceptions; every change is in the audit trail."""

from datetime import date

import pytest
from django.urls import reverse

from tinhso.accounts.middleware import SESSION_KEY
from tinhso.accounts.models import Role
from tinhso.accounts.services import create_official, grant_role
from tinhso.audit.models import AuditEntry
from tinhso.directory.models import Agency
from tinhso.workdays import demo
from tinhso.workdays.models import CalendarException
from tinhso.workdays.services import Calendar

pytestmark = pytest.mark.django_db


def login(client, user):
    client.force_login(user)
    session = client.session
    session[SESSION_KEY] = True
    session.save()


@pytest.fixture
def people():
    province = Agency(code="H99", name="UBND tỉnh Thử nghiệm")
    province.save()
    admin = create_official(username="qtnt", full_name="Quản trị Nền tảng")
    grant_role(user=admin, agency=province, role=Role.PLATFORM_ADMIN)
    agency_admin = create_official(username="qtcq", full_name="Quản trị Cơ quan")
    grant_role(user=agency_admin, agency=province, role=Role.AGENCY_ADMIN)
    return admin, agency_admin


def test_platform_admin_adds_a_make_up_saturday_and_removes_it(client, people):
    admin, _ = people
    login(client, admin)
    url = reverse("workdays:exceptions")
    response = client.post(
        url, {"date": "2027-04-24", "kind": "working_day", "reason": "Làm bù cho 03/05/2027"}
    )
    assert response.status_code == 302
    assert Calendar().is_working_day(date(2027, 4, 24))
    page = client.get(url, {"year": 2027})
    assert "Làm bù cho 03/05/2027" in page.content.decode()
    assert AuditEntry.objects.filter(action="workdays.save_exception").count() == 1
    client.post(reverse("workdays:delete_exception"), {"date": "2027-04-24"})
    assert not CalendarException.objects.exists()
    assert not Calendar().is_working_day(date(2027, 4, 24))
    assert AuditEntry.objects.filter(action="workdays.delete_exception").count() == 1


def test_missing_reason_is_refused_and_changes_nothing(client, people):
    admin, _ = people
    login(client, admin)
    response = client.post(
        reverse("workdays:exceptions"), {"date": "2026-08-22", "kind": "working_day"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["reason"]
    assert not CalendarException.objects.exists()


def test_others_may_not_edit_the_calendar(client, people):
    _, agency_admin = people
    login(client, agency_admin)
    assert client.get(reverse("workdays:exceptions")).status_code == 403
    response = client.post(
        reverse("workdays:exceptions"), {"date": "2026-08-22", "kind": "day_off", "reason": "x"}
    )
    assert response.status_code == 403
    assert not CalendarException.objects.exists()


def test_page_lists_the_packages_holidays_and_make_up_working_days(client, people):
    admin, _ = people
    login(client, admin)
    page = client.get(reverse("workdays:exceptions"), {"year": 2026}).content.decode()
    assert "Ngày Văn hóa Việt Nam" in page
    assert "thay cho ngày 22/08/2026" in page  # the day off, Monday 31 August
    assert "Ngày làm việc bù: làm bù cho ngày nghỉ 31/08/2026" in page  # Saturday 22 August


def test_demo_calendar_is_idempotent_and_needs_no_exception_for_known_swaps():
    demo.load(None)
    demo.load(None)
    assert CalendarException.objects.count() == len(demo.EXCEPTIONS)
    assert Calendar().is_working_day(date(2026, 8, 22))
