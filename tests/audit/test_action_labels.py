"""Issue 8 item 20: the trail shows what happened in words, not internal codes, and filters
by those words; one mapping (gettext) serves the page and the API."""

from __future__ import annotations

import pathlib
import re

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils.functional import Promise

from tinhso.accounts.middleware import SESSION_KEY
from tinhso.accounts.models import Role
from tinhso.accounts.services import create_official, grant_role
from tinhso.audit.labels import ACTION_LABELS, action_label, actions_matching
from tinhso.audit.services import record
from tinhso.directory.models import Agency

SRC = pathlib.Path(__file__).resolve().parents[2] / "src" / "tinhso"


@pytest.fixture
def admin_client(client, db):
    province = Agency(code="H98", name="UBND tỉnh Thử nghiệm")
    province.save()
    admin = create_official(username="qtnt", full_name="Quản trị Nền tảng")
    grant_role(user=admin, agency=province, role=Role.PLATFORM_ADMIN)
    with transaction.atomic():
        record(actor=admin, action="accounts.login_2fa", agency=province)
        record(actor=admin, action="documents.register_incoming", agency=province)
        record(actor=admin, action="directory.create_agency", agency=province)
    client.force_login(admin)
    session = client.session
    session[SESSION_KEY] = True
    session.save()
    return client


def test_the_trail_shows_labels_not_codes(admin_client):
    html = admin_client.get(reverse("audit:trail")).content.decode()
    html = html[html.index("<tbody>") :]
    assert "Đăng nhập (xác thực hai lớp)" in html
    assert "Vào sổ văn bản đến" in html
    # The code stays, small, for whoever needs it; the label comes first.
    assert html.index("Đăng nhập (xác thực hai lớp)") < html.index("accounts.login_2fa")


def test_the_trail_filters_by_words_of_the_label_with_or_without_marks(admin_client):
    for words in ("đăng nhập", "dang nhap", "Đăng Nhập"):
        page = admin_client.get(reverse("audit:trail"), {"action": words}).context["page"]
        assert {e.action for e in page.object_list} == {"accounts.login_2fa"}, words
    # Codes and module prefixes keep working.
    page = admin_client.get(reverse("audit:trail"), {"action": "directory."}).context["page"]
    assert {e.action for e in page.object_list} == {"directory.create_agency"}


def test_the_api_gives_the_label_from_the_same_mapping_and_filters_by_it(admin_client):
    body = admin_client.get("/api/v1/audit/entries", {"action": "vao so"}).json()
    rows = body["results"] if isinstance(body, dict) else body
    assert [r["action"] for r in rows] == ["documents.register_incoming"]
    assert rows[0]["action_label"] == action_label("documents.register_incoming")


def test_labels_are_translatable_and_unknown_codes_still_read_as_words():
    assert all(isinstance(label, Promise) for label in ACTION_LABELS.values())
    assert action_label("documents.something_new") == "Văn bản điều hành: something new"
    assert "accounts.login" in actions_matching("dang nhap")


def test_every_action_the_code_records_has_a_label():
    literal = re.compile(r'action="([a-z_]+\.[a-z_0-9]+)"')
    recorded = set()
    for path in SRC.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        if "record(" not in text:
            continue
        recorded.update(literal.findall(text))
    missing = sorted(code for code in recorded if code not in ACTION_LABELS)
    assert not missing, f"add a label in audit/labels.py for: {missing}"
