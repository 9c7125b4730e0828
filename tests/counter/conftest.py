"""Fixtures of the service-centre tests: the one-stop test province (tests/onestop), a
centre at the Department of Justice with two groups and three counters, two officers."""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.onestop.conftest import World, _official, world  # noqa: F401 (the fixture)
from tinhso.accounts.middleware import SESSION_KEY
from tinhso.accounts.models import Role
from tinhso.counter import services
from tinhso.counter.models import Ticket
from tinhso.workdays.services import VN

# Monday 1 December 2025, 08:00 in Vietnam: a working day.
MORNING = datetime(2025, 12, 1, 8, 0, tzinfo=VN)


def at(hour: int, minute: int = 0, day: int = 1) -> datetime:
    return datetime(2025, 12, day, hour, minute, tzinfo=VN)


def login(client, user) -> None:
    client.force_login(user)
    if user.needs_second_factor:
        session = client.session
        session[SESSION_KEY] = True
        session.save()


@pytest.fixture
def centre(world) -> World:  # noqa: F811
    w = world
    w.officer2 = _official("motcua2.stp", w.dept, Role.ONESTOP_OFFICER)
    w.centre = services.create_centre(
        actor=w.admin, agency=w.dept, code="ttpvhcc", name="Trung tâm PVHCC"
    )
    w.civil = services.create_group(
        actor=w.admin, centre=w.centre, letter="A", name="Hộ tịch", field=w.field, order=1
    )
    w.land = services.create_group(
        actor=w.admin, centre=w.centre, letter="B", name="Đất đai", order=2, slot_capacity=1
    )
    w.desk1 = services.create_desk(actor=w.admin, centre=w.centre, number=1)
    w.desk2 = services.create_desk(actor=w.admin, centre=w.centre, number=2)
    w.desk3 = services.create_desk(actor=w.admin, centre=w.centre, number=3)
    return w


def take(w, group=None, minute=0, **kwargs) -> Ticket:
    return services.take_ticket(
        centre=w.centre, group=group or w.civil, at=kwargs.pop("at", at(8, minute)), **kwargs
    )
