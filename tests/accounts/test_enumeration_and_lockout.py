"""Guessing passwords cannot lock the owner out, and no page tells whether an account or
an ID number exists (issue 7 item 7). Each test is the attacker's request."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from tests.accounts.factories import PASSWORD, citizen, official
from tests.directory.conftest import people, province  # noqa: F401 (fixtures)
from tinhso.notify.models import Message

pytestmark = pytest.mark.django_db

ATTACKER = "203.0.113.66"


def _login(client: Client, username: str, password: str, ip: str = ATTACKER):
    return client.post(
        "/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=ip
    )


def _error(response) -> str:
    errors = response.context["form"].non_field_errors()
    # the time differs by seconds between two requests; the words must not
    return re.sub(r"\d{2}:\d{2}:\d{2} ngày \d{2}/\d{2}/\d{4}", "<time>", " ".join(errors))


def test_guessing_an_officials_password_does_not_lock_them_out_of_their_browser():
    owner = official("chuyenvien.stp")
    own_browser = Client()
    assert _login(own_browser, owner.username, PASSWORD, ip="198.51.100.5").status_code == 302
    own_browser.post("/accounts/logout/")  # the real page (keeps the browser's cookies)

    attacker = Client()
    for i in range(30):  # from many addresses, so that the per-IP delay does not help
        _login(attacker, "chuyenvien.stp", f"doan-{i}", ip=f"203.0.113.{i}")
    assert "Đăng nhập sai nhiều lần" in _error(
        _login(attacker, "chuyenvien.stp", PASSWORD, ip="203.0.113.200")
    )
    # The owner, in the browser they used before, is not delayed at all.
    response = _login(own_browser, owner.username, PASSWORD, ip="198.51.100.5")
    assert response.status_code == 302


def test_the_owner_on_a_new_browser_unlocks_with_the_link_sent_by_e_mail():
    owner = citizen(email="chu@example.com")
    attacker = Client()
    for i in range(8):
        _login(attacker, owner.username, f"doan-{i}", ip=f"203.0.113.{i}")
    [mail] = Message.objects.filter(template="accounts_unlock")
    assert mail.address == "chu@example.com"
    link = re.search(r"http://[^/]+(/accounts/unlock/[^\s]+/)", mail.body).group(1)

    new_browser = Client()
    waiting = _login(new_browser, owner.username, PASSWORD, ip="198.51.100.9")
    assert "Đăng nhập sai nhiều lần" in _error(waiting)
    opened = new_browser.get(link)
    assert opened.status_code == 302
    # The attacker keeps guessing; the owner's browser is past the delay.
    _login(attacker, owner.username, "doan-nua", ip="203.0.113.99")
    assert _login(new_browser, owner.username, PASSWORD, ip="198.51.100.9").status_code == 302
    # A forged link does nothing.
    assert Client().get("/accounts/unlock/gia-mao/").status_code == 400


def test_existing_and_unknown_accounts_get_the_same_answers():
    official("lanhdao.stp")
    for attempt in range(7):
        known = _error(_login(Client(), "lanhdao.stp", f"sai-{attempt}", ip="203.0.113.1"))
        unknown = _error(_login(Client(), "khongco.stp", f"sai-{attempt}", ip="203.0.113.2"))
        assert known == unknown, attempt
    assert "Đăng nhập sai nhiều lần" in known  # both are delayed, with the same words
    # Only the real owner was sent anything.
    assert Message.objects.filter(template="accounts_unlock").count() == 1


def test_many_accounts_guessed_from_one_address_are_slowed_down_per_address():
    victim = citizen()
    attacker = Client()
    for i in range(20):
        _login(attacker, f"tai-khoan-{i}", "Mat-khau-2026")
    # Even a right password waits at that address...
    assert "Đăng nhập sai nhiều lần" in _error(_login(attacker, victim.username, PASSWORD))
    # ...while everyone else is not affected.
    assert _login(Client(), victim.username, PASSWORD, ip="198.51.100.7").status_code == 302


def test_password_reset_answers_the_same_for_known_and_unknown_addresses(client):
    citizen(email="co@example.com")
    known = client.post("/accounts/password/reset/", {"email": "co@example.com"})
    unknown = client.post("/accounts/password/reset/", {"email": "khong@example.com"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    assert Message.objects.filter(template="accounts_password_reset").count() == 1


def test_password_reset_cannot_flood_an_inbox(client):
    citizen(email="co@example.com")
    answers = {
        client.post(
            "/accounts/password/reset/", {"email": "co@example.com"}, REMOTE_ADDR=f"203.0.113.{i}"
        )["Location"]
        for i in range(10)
    }
    assert answers == {"/accounts/password/reset/done/"}
    assert Message.objects.filter(template="accounts_password_reset").count() == 3


REGISTRATION = {
    "kind": "citizen",
    "full_name": "Kẻ Dò Tìm",
    "citizen_id": "001190099999",
    "tax_code": "",
    "email": "dotim@example.com",
    "phone": "",
    "password1": "Song-Lam-2026x",
    "password2": "Song-Lam-2026x",
}


def _page_text(response) -> str:
    text = re.sub(r"<[^>]+>", " ", response.content.decode())
    text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", text)
    return " ".join(text.split())


def test_registration_does_not_tell_whether_an_id_number_is_registered(client):
    owner = citizen("001190012345", email="chu.that@example.com")
    taken = client.post("/accounts/register/", {**REGISTRATION, "citizen_id": "001190012345"})
    new = client.post("/accounts/register/", REGISTRATION)
    assert taken.status_code == new.status_code == 200
    assert _page_text(taken) == _page_text(new)
    # The real owner is told through their own channel; the prober gets nothing for it.
    notice = Message.objects.get(template="accounts_register_existing")
    assert notice.address == "chu.that@example.com" and notice.recipient_id == owner.pk
    sent_to_prober = Message.objects.filter(address="dotim@example.com")
    assert [m.template for m in sent_to_prober] == ["accounts_activate"]  # the new number only
    owner.refresh_from_db()
    assert owner.email == "chu.that@example.com" and owner.check_password(PASSWORD)


def test_registration_is_rate_limited_per_address(client, settings):
    settings.ACCOUNTS_REGISTER_RATE = "5/h"
    statuses = [
        client.post(
            "/accounts/register/",
            {**REGISTRATION, "citizen_id": f"0011900{i:05d}"},
            REMOTE_ADDR=ATTACKER,
        ).status_code
        for i in range(8)
    ]
    assert statuses == [200] * 5 + [429] * 3
    assert Message.objects.filter(template="accounts_activate").count() == 5


def test_a_signed_in_citizen_cannot_list_officials_login_names_or_e_mails(people):  # noqa: F811
    from rest_framework.test import APIClient

    from tinhso.accounts.models import User

    User.objects.filter(pk=people.stc_leader.pk).update(email="lanhdao.stc@songlam.gov.vn")
    people.stc_leader.refresh_from_db()
    api = APIClient()
    api.force_authenticate(people.citizen)
    rows = api.get("/api/v1/directory/people", {"q": "nguyen van hung"}).json()
    assert rows and all(row["email"] == "" for row in rows)
    assert "lanhdao.stc" not in str(rows)

    browser = Client()
    browser.force_login(people.citizen)
    page = browser.get("/directory/agencies/H57.03/")
    person = browser.get(f"/directory/people/{people.stc_leader.uid}/")
    for response in (page, person):
        html = response.content.decode()
        assert response.status_code == 200 and "Nguyễn Văn Hùng" in html
        assert "lanhdao.stc" not in html and people.stc_leader.email not in html

    colleague = APIClient()
    colleague.force_authenticate(people.planner)  # officials still see work e-mails
    rows = colleague.get("/api/v1/directory/people", {"q": "nguyen van hung"}).json()
    assert rows[0]["email"] == people.stc_leader.email
