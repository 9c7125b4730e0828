"""Forms 01–05 are immutable files: frozen when their event happens, rendered by the worker
after commit, stored with their SHA-256 and served as stored; a later event issues a new
form and never rewrites one already issued."""

from __future__ import annotations

import hashlib
import io
from datetime import date

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django_tasks_db.models import DBTaskResult
from pypdf import PdfReader

from tinhso.accounts.middleware import SESSION_KEY
from tinhso.onestop import services
from tinhso.onestop.models import IssuedForm
from tinhso.onestop.services.clock import frozen
from tinhso.onestop.services.forms_issued import render_issued_form

from .conftest import accepted, pdf_file, submit, vn

TASK = "tinhso.onestop.tasks.render_issued_form_task"


def _text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def _login(client: Client, user) -> None:
    client.force_login(user)
    if user.needs_second_factor:
        session = client.session
        session[SESSION_KEY] = True
        session.save()


def _rendered(form: IssuedForm) -> bytes:
    if not form.sha256:
        render_issued_form(form.pk)
        form.refresh_from_db()
    return form.file.read()


@pytest.mark.django_db(transaction=True)  # the worker commits, as in production
def test_acceptance_issues_form_01_rendered_by_the_worker_after_commit(world):
    dossier = submit(world)
    with transaction.atomic():  # the use-case's transaction; rendering enqueued on commit
        services.accept_dossier(officer=world.officer, dossier=dossier)
        assert not DBTaskResult.objects.filter(task_path=TASK).exists()
    form = IssuedForm.objects.get(dossier=dossier)
    assert (form.number, form.action, form.sha256) == ("01", "accept", "")
    assert DBTaskResult.objects.filter(task_path=TASK, status="READY").count() == 1
    call_command("worker", "--batch", "--interval", "0", "--sweep-interval", "0", verbosity=0)
    form.refresh_from_db()
    data = form.file.read()
    assert form.sha256 == hashlib.sha256(data).hexdigest() and form.size == len(data)
    assert dossier.code in _text(data)


@pytest.mark.django_db
def test_an_issued_form_is_served_as_stored_and_never_rendered_twice(client, world):
    dossier = accepted(world)
    form = IssuedForm.objects.get(dossier=dossier, number="01")
    stored = _rendered(form)
    assert render_issued_form(form.pk) == "already_rendered"
    _login(client, world.citizen)
    url = reverse("onestop:issued_form", args=[dossier.uid, form.uid])
    first, second = client.get(url), client.get(url)
    assert first.content == second.content == stored
    assert first["X-Content-SHA256"] == form.sha256
    # the old address of form 01 serves the same stored file
    assert client.get(reverse("onestop:dossier_form", args=[dossier.uid, "01"])).content == stored
    form.refresh_from_db()
    form.content = {"code": "forged"}
    with pytest.raises(ValueError):
        form.save()  # a rendered form does not change
    # someone else's dossier form: not for this citizen
    _login(client, world.citizen2)
    assert client.get(url).status_code == 403


@pytest.mark.django_db
def test_downloading_before_the_worker_renders_stores_the_one_file(client, world):
    dossier = accepted(world)
    _login(client, world.officer)
    form = IssuedForm.objects.get(dossier=dossier)
    assert form.sha256 == ""
    response = client.get(reverse("onestop:issued_form", args=[dossier.uid, form.uid]))
    form.refresh_from_db()
    assert response.content == form.file.read()
    assert hashlib.sha256(response.content).hexdigest() == form.sha256
    assert render_issued_form(form.pk) == "already_rendered"


@pytest.mark.django_db
def test_form_01_keeps_the_appointment_as_issued_when_the_date_later_moves(world):
    w = world
    with frozen(vn(2026, 3, 2, 9, 0)):
        dossier = accepted(w)
    first = IssuedForm.objects.get(dossier=dossier, number="01")
    first_pdf = _rendered(first)
    with frozen(vn(2026, 3, 5, 9, 0)):
        services.propose_extension(
            official=w.officer, dossier=dossier, new_due_date=date(2026, 3, 16), reason="Xác minh"
        )
    dossier.refresh_from_db()
    assert dossier.due_at.astimezone(first.issued_at.tzinfo).date() >= date(2026, 3, 16)
    # the extension is its own form 04; form 01 still says what was promised then
    assert list(dossier.issued_forms.values_list("number", flat=True)) == ["01", "04"]
    first.refresh_from_db()
    assert first.file.read() == first_pdf
    text = _text(first_pdf)
    assert "17 giờ 00 phút, ngày 09/03/2026" in text and "16/03/2026" not in text
    assert "16/03/2026" in _text(_rendered(dossier.issued_forms.get(number="04")))


@pytest.mark.django_db
def test_a_supplement_during_processing_issues_a_new_form_01_with_every_paper(world):
    w = world
    with frozen(vn(2026, 3, 2, 9, 0)):
        dossier = accepted(w)
        services.forward_to_next_step(official=w.officer, dossier=dossier, to_user=w.specialist)
    original = IssuedForm.objects.get(dossier=dossier, number="01")
    original_pdf = _rendered(original)
    with frozen(vn(2026, 3, 3, 9, 0)):
        services.request_supplement(
            official=w.specialist, dossier=dossier, items=["Bản sao giấy khai sinh"]
        )
    with frozen(vn(2026, 3, 4, 10, 0)):
        services.answer_supplement(
            user=w.citizen,
            dossier=dossier,
            attachments=[
                services.Attachment(file=pdf_file("ks.pdf", b"ks"), name="Giấy khai sinh")
            ],
        )
    forms = list(dossier.issued_forms.order_by("pk"))
    assert [f.number for f in forms] == ["01", "02", "01"]
    # the first slip is untouched: the original papers and the first appointment
    original.refresh_from_db()
    assert original.file.read() == original_pdf
    old = _text(original_pdf)
    assert "Giấy khai sinh" not in old and "ngày 09/03/2026" in old
    new = _text(_rendered(forms[-1]))
    assert "Tờ khai cấp bản sao trích lục" in new
    assert "Giấy khai sinh — bản điện tử, nộp bổ sung" in new
    # the clock restarted on 4 March 10:00: five working days later
    assert (
        "ngày 11/03/2026" in new and "Giấy này thay giấy tiếp nhận cấp 09:00 ngày 02/03/2026" in new
    )


@pytest.mark.django_db
def test_each_event_issues_its_form_and_the_dossier_page_lists_them(client, world):
    w = world
    refused = submit(w)
    services.refuse_reception(officer=w.officer, dossier=refused, reasons="Sai thẩm quyền")
    assert list(refused.issued_forms.values_list("number", "action")) == [("03", "refuse")]
    dossier = submit(w)
    services.request_supplement(official=w.officer, dossier=dossier, items=["CCCD"])
    services.answer_supplement(user=w.citizen, dossier=dossier, note="Đã bổ sung")
    services.accept_dossier(officer=w.officer, dossier=dossier)
    services.withdraw(user=w.citizen, dossier=dossier, reason="Nộp lại")
    assert list(dossier.issued_forms.values_list("number", "action")) == [
        ("02", "request_supplement"),
        ("01", "accept"),
        ("05", "withdraw"),
    ]
    _login(client, w.citizen)
    page = client.get(reverse("onestop:dossier", args=[dossier.uid])).content.decode()
    section = page.split('data-testid="issued-forms"', 1)[1].split("</section>", 1)[0]
    for form in dossier.issued_forms.all():
        assert reverse("onestop:issued_form", args=[dossier.uid, form.uid]) in section
    assert "Mẫu 02 — Phiếu yêu cầu bổ sung" in section and "Mẫu 05" in section


@pytest.mark.django_db
def test_form_05_of_a_dossier_in_progress_is_a_preview_never_stored(client, world):
    dossier = accepted(world)
    _login(client, world.officer)
    page = client.get(reverse("onestop:dossier", args=[dossier.uid])).content.decode()
    url = reverse("onestop:dossier_form", args=[dossier.uid, "05"])
    assert url in page and "bản xem" in page
    response = client.get(url)
    text = _text(response.content)
    assert "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ" in text and "Bản xem tại thời điểm" in text
    assert not IssuedForm.objects.filter(number="05").exists()
    # the citizen sees the issued forms only
    _login(client, world.citizen)
    assert url not in client.get(reverse("onestop:dossier", args=[dossier.uid])).content.decode()
