"""Smoke test of every app's main pages: each role logs in through the real login and
one-time-code views and opens the pages of its menu; each must answer 200 with an <h1>.

A small province is built through the services (directory, accounts, onestop); a broken
page, template or URL of any app fails here first."""

from __future__ import annotations

import io
import re
from decimal import Decimal

import pyotp
import pytest
from django.test import Client
from django.urls import reverse

from tinhso.accounts import otp
from tinhso.accounts import services as accounts
from tinhso.accounts.middleware import SESSION_KEY
from tinhso.accounts.models import Role, User
from tinhso.directory import services as directory
from tinhso.onestop import services as onestop
from tinhso.onestop.models import Field, Procedure, ProcessStep, ProcessTemplate, RequiredPaper

PASSWORD = "Mat-khau-Smoke-2026"
H1 = re.compile(rb"<h1[\s>]")

PUBLIC = [
    "web:home",
    "accounts:login",
    "accounts:register",
    "accounts:password_reset",
    "onestop:home",
    "onestop:catalog",
    ("onestop:procedure", "code"),
    "onestop:lookup",
    "directory:tree",
    "directory:search",
    ("directory:agency", "agency"),
    "signing:verify",
    "signing:trust",
]
CITIZEN = [
    "web:home",
    "accounts:password_change",
    "onestop:my_dossiers",
    "onestop:wallet",
    ("onestop:dossier", "dossier"),
    ("onestop:submit", "code"),
    "notify:mine",
    "signing:verify",
]
OFFICER = [
    "web:home",
    "onestop:queue",
    "onestop:counter",
    ("onestop:dossier", "dossier"),
    ("onestop:procedure", "code"),
    "signing:certificates",
    "notify:mine",
]
LEADER = [
    "web:home",
    "onestop:queue",
    "onestop:statistics",
    "onestop:register",
    ("onestop:dossier", "dossier"),
    "documents:home",
    "documents:search",
    "documents:statistics",
    "documents:work_records",
    "documents:outgoing_new",
    "signing:certificates",
    "directory:people",
]
CLERK = [
    "web:home",
    "documents:home",
    "documents:registers",
    "documents:incoming_new",
    "documents:outgoing_new",
    "documents:search",
]
AGENCY_ADMIN = [
    "web:home",
    "accounts:roles",
    "onestop:catalog_admin",
    ("onestop:procedure_edit", "code"),
    "onestop:procedure_new",
    "directory:admin",
    ("directory:agency", "agency"),
    "audit:trail",
]
PLATFORM_ADMIN = [
    "web:home",
    "audit:trail",
    ("audit:entry", "entry"),
    "workdays:exceptions",
    "directory:admin",
    "directory:import",
    "accounts:roles",
    "onestop:catalog_admin",
    "onestop:statistics",
]


class Province:
    pass


def _official(username: str, *grants) -> User:
    user = accounts.create_official(
        username=username, full_name=f"Cán bộ {username}", password=PASSWORD
    )
    for agency, role in grants:
        accounts.grant_role(user=user, agency=agency, role=role)
    accounts.set_totp_secret(user=user, secret=otp.new_secret())
    return user


def _pdf(name: str) -> io.BytesIO:
    from tests.onestop.conftest import PDF

    stream = io.BytesIO(PDF)
    stream.name = name
    return stream


@pytest.fixture
def province(db) -> Province:
    p = Province()
    p.root = directory.create_agency(actor=None, code="H98", name="Ủy ban nhân dân tỉnh Khói")
    p.dept = directory.create_agency(actor=None, code="H98.01", name="Sở Tư pháp", parent=p.root)
    p.officer = _official("motcua.smoke", (p.dept, Role.ONESTOP_OFFICER))
    p.specialist = _official("chuyenvien.smoke", (p.dept, Role.SPECIALIST))
    p.leader = _official("lanhdao.smoke", (p.dept, Role.LEADER))
    p.clerk = _official("vanthu.smoke", (p.dept, Role.CLERK))
    p.agency_admin = _official("quantri.smoke", (p.dept, Role.AGENCY_ADMIN))
    p.platform_admin = _official("nentang.smoke", (p.root, Role.PLATFORM_ADMIN))
    p.citizen = accounts.create_citizen(
        username="congdan.smoke",
        full_name="Nguyễn Văn Khói",
        email="k@example.com",
        password=PASSWORD,
    )
    # The catalogue has no write service for a single procedure (it is imported); rows as
    # the onestop tests build them.
    p.procedure = Procedure.objects.create(
        code="1.009999",
        name="Cấp bản sao trích lục hộ tịch",
        field=Field.objects.create(code="HT", name="Hộ tịch"),
        agency=p.dept,
        processing_days=Decimal("5"),
        fee_vnd=0,
        online_type="full",
        form_schema={
            "type": "object",
            "required": ["ho_ten"],
            "properties": {"ho_ten": {"type": "string", "title": "Họ và tên"}},
        },
    )
    paper = RequiredPaper.objects.create(
        procedure=p.procedure, order=1, name="Tờ khai", is_required=True
    )
    template = ProcessTemplate.objects.create(procedure=p.procedure, name="QT")
    for order, (name, kind, role) in enumerate(
        [
            ("Tiếp nhận", "reception", Role.ONESTOP_OFFICER),
            ("Thẩm định", "processing", Role.SPECIALIST),
            ("Phê duyệt", "approval", Role.LEADER),
        ],
        start=1,
    ):
        ProcessStep.objects.create(
            template=template,
            order=order,
            name=name,
            kind=kind,
            role=role,
            budget_days=Decimal("1"),
        )
    dossier = onestop.submit_dossier(
        user=p.citizen,
        procedure=p.procedure,
        form_data={"ho_ten": p.citizen.full_name},
        attachments=[onestop.Attachment(file=_pdf("to-khai.pdf"), paper=paper)],
    )
    p.dossier = onestop.accept_dossier(officer=p.officer, dossier=dossier)
    return p


def _login(user: User) -> Client:
    client = Client()
    response = client.post(
        reverse("accounts:login"), {"username": user.username, "password": PASSWORD}
    )
    assert response.status_code == 302, response.content.decode()[:1000]
    if user.needs_second_factor:
        user.refresh_from_db()
        code = pyotp.TOTP(otp.user_secret(user)).now()
        response = client.post(reverse("accounts:otp_verify"), {"code": code})
        assert response.status_code == 302, response.content.decode()[:1000]
        assert client.session.get(SESSION_KEY) is True
    return client


def _url(p: Province, entry) -> str:
    if isinstance(entry, str):
        return reverse(entry)
    name, arg = entry
    if arg == "code":
        return reverse(name, kwargs={"code": p.procedure.code})
    if arg == "agency":
        return reverse(name, kwargs={"code": p.dept.code})
    if arg == "dossier":
        return reverse(name, kwargs={"uid": p.dossier.uid})
    if arg == "entry":
        from tinhso.audit.models import AuditEntry

        return reverse(name, kwargs={"pk": AuditEntry.objects.order_by("-pk").first().pk})
    raise AssertionError(arg)


def _check_pages(client: Client, p: Province, entries) -> list[str]:
    failures = []
    for entry in entries:
        url = _url(p, entry)
        response = client.get(url)
        if response.status_code != 200:
            failures.append(f"{url}: HTTP {response.status_code}")
        elif not H1.search(response.content):
            failures.append(f"{url}: no <h1>")
    return failures


def test_main_pages_of_every_app_answer_200_with_a_heading_for_each_role(province):
    p = province
    failures = _check_pages(Client(), p, PUBLIC)
    for user, pages in [
        (p.citizen, CITIZEN),
        (p.officer, OFFICER),
        (p.leader, LEADER),
        (p.clerk, CLERK),
        (p.agency_admin, AGENCY_ADMIN),
        (p.platform_admin, PLATFORM_ADMIN),
    ]:
        failures += [f"{user.username} {f}" for f in _check_pages(_login(user), p, pages)]
    assert not failures, "\n".join(failures)


def test_menus_link_only_to_pages_the_user_may_open(province):
    """The one-stop menu of a clerk offers no counter, statistics or catalogue admin."""
    p = province
    client = _login(p.clerk)
    html = client.get(reverse("onestop:queue")).content.decode()
    for name in ("onestop:counter", "onestop:statistics", "onestop:catalog_admin"):
        assert f'href="{reverse(name)}"' not in html, name
    officer_html = _login(p.officer).get(reverse("onestop:queue")).content.decode()
    assert f'href="{reverse("onestop:counter")}"' in officer_html


def test_signature_verification_is_linked_for_everyone_and_on_results(province):
    p = province
    verify = reverse("signing:verify")
    assert f'href="{verify}"' in Client().get("/").content.decode()
    official_home = _login(p.leader).get("/").content.decode()
    assert f'href="{reverse("signing:certificates")}"' in official_home


def test_citizen_result_panel_links_to_signature_verification(province):
    from tinhso.signing.services import ensure_demo_ca, issue_certificate

    p = province
    dossier = p.dossier
    # the approving leader signs the result: they need a certificate (no agency seal here)
    _root, issuing = ensure_demo_ca()
    issue_certificate(ca=issuing, kind="personal", owner_user=p.leader, owner_agency=p.dept)
    dossier.procedure.result_needs_seal = False
    dossier.procedure.save(update_fields=["result_needs_seal"])
    onestop.forward_to_next_step(official=p.officer, dossier=dossier, to_user=p.specialist)
    onestop.forward_to_next_step(official=p.specialist, dossier=dossier, to_user=p.leader)
    onestop.attach_result(official=p.leader, dossier=dossier, file=_pdf("ket-qua.pdf"))
    onestop.approve(official=p.leader, dossier=dossier)
    onestop.return_result(officer=p.officer, dossier=dossier)
    html = _login(p.citizen).get(reverse("onestop:dossier", kwargs={"uid": dossier.uid}))
    text = html.content.decode()
    assert 'data-testid="result-link"' in text
    assert f'href="{reverse("signing:verify")}" data-testid="verify-link"' in text
