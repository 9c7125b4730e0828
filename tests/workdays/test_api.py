"""The public calendar API: due date and working-day check; bad input is a 400."""

import pytest

from tinhso.workdays.models import CalendarException

pytestmark = pytest.mark.django_db


def test_due_date_of_the_worked_example(client):
    response = client.get(
        "/api/v1/workdays/due-date", {"start": "2026-02-12T09:00:00+07:00", "days": "5"}
    )
    assert response.status_code == 200
    assert response.json() == {"due": "2026-02-26T17:00:00+07:00"}


def test_due_date_accepts_utc_naive_and_an_unencoded_plus(client):
    utc = client.get("/api/v1/workdays/due-date", {"start": "2026-02-12T02:00:00Z", "days": "5"})
    assert utc.json() == {"due": "2026-02-26T17:00:00+07:00"}
    naive = client.get("/api/v1/workdays/due-date", {"start": "2026-02-12T09:00", "days": "0.5"})
    assert naive.json() == {"due": "2026-02-13T11:30:00+07:00"}
    comma = client.get("/api/v1/workdays/due-date", {"start": "2026-02-12T09:00", "days": "0,5"})
    assert comma.json() == {"due": "2026-02-13T11:30:00+07:00"}
    plus = client.get("/api/v1/workdays/due-date?start=2026-02-12T09:00:00+07:00&days=5")
    assert plus.json() == {"due": "2026-02-26T17:00:00+07:00"}


def test_is_working_day(client):
    tet = client.get("/api/v1/workdays/is-working-day", {"date": "2026-02-17"}).json()
    assert tet["working"] is False and "Tết" in tet["reason"]
    monday = client.get("/api/v1/workdays/is-working-day", {"date": "2026-03-09"}).json()
    assert monday == {"working": True, "reason": "Ngày làm việc"}
    CalendarException.objects.create(date="2026-08-22", kind="working_day", reason="Làm bù")
    saturday = client.get("/api/v1/workdays/is-working-day", {"date": "2026-08-22"}).json()
    assert saturday["working"] is True


@pytest.mark.parametrize(
    "params,code",
    [
        ({"start": "2026-02-30T09:00", "days": "5"}, "invalid_date"),
        ({"start": "hôm qua", "days": "5"}, "invalid_date"),
        ({"days": "5"}, "invalid_date"),
        ({"start": "0001-01-01T00:00", "days": "5"}, "invalid_date"),
        ({"start": "2026-02-12T09:00", "days": "năm"}, "invalid_days"),
        ({"start": "2026-02-12T09:00", "days": "-2"}, "invalid_days"),
        ({"start": "2026-02-12T09:00"}, "invalid_days"),
        ({"start": "2026-02-12T09:00", "days": "1e9"}, "invalid_days"),
    ],
)
def test_due_date_bad_input_is_a_400_with_a_vietnamese_message(client, params, code):
    response = client.get("/api/v1/workdays/due-date", params)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == code
    assert body["message"]


@pytest.mark.parametrize("value", ["2026-13-01", "17/02/2026", "", "9999-01-01", "2026-02-29"])
def test_is_working_day_bad_date_is_a_400(client, value):
    response = client.get("/api/v1/workdays/is-working-day", {"date": value})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_date"


def test_calendar_endpoints_are_public_and_in_the_schema(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    assert "/api/v1/workdays/due-date" in schema["paths"]
    assert "/api/v1/workdays/is-working-day" in schema["paths"]
    op = schema["paths"]["/api/v1/workdays/due-date"]["get"]
    assert op.get("security") in ([{}], None) or {} in op["security"]
