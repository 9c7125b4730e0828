"""The signed-in account read with its SELECT written once (`tinhso.core.prepared.by_pk`):
the same account as the ORM's, value for value and type for type, read fresh each time,
and a wrong, unknown or deactivated account is no one."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from tinhso.accounts.backends import LockoutModelBackend
from tinhso.accounts.models import User
from tinhso.core.prepared import by_pk

pytestmark = pytest.mark.django_db


@pytest.fixture
def account():
    user = User.objects.create_user(
        username="cb.prepared",
        full_name="Nguyễn Thị Hạnh",
        email="hanh@example.gov.vn",
        kind=User.Kind.OFFICIAL,
        password="Mat-khau-2026!",
    )
    User.objects.filter(pk=user.pk).update(
        last_login=timezone.now() - dt.timedelta(days=1), totp_confirmed_at=timezone.now()
    )
    return user


def test_the_account_read_by_pk_is_the_orms_value_for_value(account):
    expected = User.objects.get(pk=account.pk)
    found = by_pk(User, str(account.pk))  # the session keeps the pk as text
    assert found is not None and found._state.db == expected._state.db
    assert not found._state.adding
    for field in User._meta.concrete_fields:
        ours, theirs = getattr(found, field.attname), getattr(expected, field.attname)
        assert ours == theirs and type(ours) is type(theirs), field.name


def test_the_account_is_read_fresh_each_time(account):
    assert by_pk(User, account.pk).full_name == "Nguyễn Thị Hạnh"
    User.objects.filter(pk=account.pk).update(full_name="Trần Văn Bình", is_active=False)
    found = by_pk(User, account.pk)
    assert found.full_name == "Trần Văn Bình" and found.is_active is False


def test_a_wrong_unknown_or_deactivated_account_is_no_one(account):
    backend = LockoutModelBackend()
    assert backend.get_user(account.pk).pk == account.pk
    assert by_pk(User, "not-a-number") is None and backend.get_user("1; DROP") is None
    assert by_pk(User, account.pk + 10_000) is None
    User.objects.filter(pk=account.pk).update(is_active=False)
    assert backend.get_user(account.pk) is None


def test_a_signed_in_session_ends_when_the_password_changes(account, client):
    client.force_login(account, backend="tinhso.accounts.backends.LockoutModelBackend")
    page = reverse("accounts:login")
    assert client.get(page).wsgi_request.user.pk == account.pk
    account.set_password("Mat-khau-moi-2026!")
    account.save()
    assert not client.get(page).wsgi_request.user.is_authenticated
