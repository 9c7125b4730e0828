"""The submit page keeps every valid upload across a failed submission and names the paper
that is wrong; the declaration (tờ khai) is generated from the e-form, never uploaded."""

from __future__ import annotations

import hashlib
import io
from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from pypdf import PdfReader

from tinhso.core.errors import ValidationFailed
from tinhso.onestop import services
from tinhso.onestop.models import Dossier, DossierFile, PendingUpload, RequiredPaper
from tinhso.onestop.services import uploads
from tinhso.onestop.services.forms_issued import render_declaration, render_issued_form

from .conftest import PDF, pdf_file, submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_papers(world):
    """The world's procedure with two papers to upload besides its declaration."""
    world.proxy = RequiredPaper.objects.create(
        procedure=world.procedure, order=2, name="Văn bản ủy quyền"
    )
    world.id_copy = RequiredPaper.objects.create(
        procedure=world.procedure, order=3, name="Bản sao căn cước"
    )
    return world


def _post(client, w, **extra):
    data = {"ef-ho_ten": "Nguyễn Văn A", "ef-so_ban": "1", "return_method": "online"}
    data.update(extra)
    return client.post(reverse("onestop:submit", args=[w.procedure.code]), data)


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def test_a_failed_submission_keeps_the_uploads_and_the_next_try_uses_them(client, two_papers):
    w = two_papers
    client.force_login(w.citizen)
    proxy = PDF + b"% proxy"
    failed = _post(
        client,
        w,
        **{
            "ef-ho_ten": "",  # the e-form is not valid yet
            f"paper-{w.proxy.pk}": pdf_file("uy-quyen.pdf", b"% proxy"),
            f"paper-{w.id_copy.pk}": pdf_file("cccd.pdf", b"% id"),
        },
    )
    assert failed.status_code == 200 and not Dossier.objects.exists()
    page = failed.content.decode()
    assert "Đã tải lên: <strong>uy-quyen.pdf</strong>" in page and "cccd.pdf" in page
    kept = PendingUpload.objects.get(required_paper=w.proxy)
    assert kept.owner == w.citizen and kept.sha256 == hashlib.sha256(proxy).hexdigest()
    # the page offers them again on a later visit too
    assert (
        "uy-quyen.pdf"
        in client.get(reverse("onestop:submit", args=[w.procedure.code])).content.decode()
    )
    # the next try sends the e-form only: the kept files are the dossier's papers
    done = _post(client, w)
    assert done.status_code == 302
    dossier = Dossier.objects.get()
    files = {f.required_paper_id: f for f in dossier.files.all()}
    assert files[w.proxy.pk].file.name == kept.file.name
    assert files[w.proxy.pk].file.read() == proxy
    assert files[w.id_copy.pk].original_name == "cccd.pdf"
    assert not PendingUpload.objects.exists()


def test_a_bad_file_names_its_paper_and_the_good_one_is_kept(client, two_papers):
    w = two_papers
    client.force_login(w.citizen)
    fake = io.BytesIO(b"MZ\x90\x00 not a pdf")
    fake.name = "virus.exe"
    response = _post(
        client,
        w,
        **{f"paper-{w.proxy.pk}": fake, f"paper-{w.id_copy.pk}": pdf_file("cccd.pdf", b"% id")},
    )
    assert response.status_code == 200 and not Dossier.objects.exists()
    named = [m for m in _messages(response) if m.startswith("“Văn bản ủy quyền”:")]
    assert named and "không được chấp nhận" in named[0]
    page = response.content.decode()
    assert f'id="paper-{w.proxy.pk}-error"' in page and "“Văn bản ủy quyền”:" in page
    assert f'id="paper-{w.id_copy.pk}-error"' not in page
    assert list(PendingUpload.objects.values_list("required_paper", flat=True)) == [w.id_copy.pk]
    # what is missing after that is named too
    missing = _post(client, w)
    assert "Văn bản ủy quyền" in " ".join(_messages(missing)) and not Dossier.objects.exists()


def test_a_kept_upload_can_be_dropped_or_replaced(
    client, two_papers, django_capture_on_commit_callbacks
):
    w = two_papers
    client.force_login(w.citizen)
    _post(client, w, **{"ef-ho_ten": "", f"paper-{w.proxy.pk}": pdf_file("a.pdf", b"a")})
    first = PendingUpload.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        _post(client, w, **{"ef-ho_ten": "", f"paper-{w.proxy.pk}": pdf_file("b.pdf", b"b")})
    second = PendingUpload.objects.get()
    assert second.original_name == "b.pdf" and not default_storage.exists(first.file.name)
    with django_capture_on_commit_callbacks(execute=True):
        _post(client, w, **{"ef-ho_ten": "", f"drop-{w.proxy.pk}": "1"})
    assert not PendingUpload.objects.exists() and not default_storage.exists(second.file.name)


def test_a_kept_upload_is_only_ever_its_owners(two_papers):
    w = two_papers
    id_copy = services.Attachment(file=pdf_file("id.pdf", b"id"), paper=w.id_copy)
    theirs = uploads.keep_upload(user=w.citizen2, paper=w.proxy, file=pdf_file("x.pdf", b"x"))
    with pytest.raises(ValidationFailed) as err:
        submit(w, attachments=[services.Attachment(pending=theirs, paper=w.proxy), id_copy])
    assert err.value.code == "pending_upload_not_found"
    # and another paper's upload is not this paper
    mine = uploads.keep_upload(user=w.citizen, paper=w.proxy, file=pdf_file("y.pdf", b"y"))
    proxy = services.Attachment(file=pdf_file("p.pdf", b"p"), paper=w.proxy)
    with pytest.raises(ValidationFailed) as err:
        submit(w, attachments=[services.Attachment(pending=mine, paper=w.id_copy), proxy])
    assert err.value.code == "pending_upload_not_found"
    assert uploads.pending_uploads(w.citizen, [w.proxy]) == {w.proxy.pk: mine}
    assert not Dossier.objects.exists()


def test_uploads_nobody_submitted_are_swept_after_a_day(
    two_papers, django_capture_on_commit_callbacks
):
    w = two_papers
    old = uploads.keep_upload(user=w.citizen, paper=w.proxy, file=pdf_file("old.pdf", b"o"))
    fresh = uploads.keep_upload(user=w.citizen, paper=w.id_copy, file=pdf_file("new.pdf", b"n"))
    PendingUpload.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(hours=25))
    with django_capture_on_commit_callbacks(execute=True):
        call_command("onestop", "prune-uploads", verbosity=0)
    assert list(PendingUpload.objects.all()) == [fresh]
    assert not default_storage.exists(old.file.name) and default_storage.exists(fresh.file.name)


def test_the_declaration_is_generated_from_the_e_form_and_never_asked_for(
    client, world, django_capture_on_commit_callbacks
):
    w = world
    client.force_login(w.citizen)
    page = client.get(reverse("onestop:submit", args=[w.procedure.code])).content.decode()
    assert 'data-testid="eform-paper"' in page and f'name="paper-{w.paper.pk}"' not in page
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(client, w, **{"ef-so_ban": "3"})  # no file at all
    assert response.status_code == 302
    dossier = Dossier.objects.get()
    task = DBTaskResult.objects.get(task_path="tinhso.onestop.tasks.render_declaration_task")
    assert render_declaration(*task.args_kwargs["args"]) == "rendered"
    assert render_declaration(*task.args_kwargs["args"]) == "already_attached"
    declaration = DossierFile.objects.get(dossier=dossier)
    assert (declaration.required_paper, declaration.origin) == (w.paper, "eform")
    data = declaration.file.read()
    assert hashlib.sha256(data).hexdigest() == declaration.sha256
    text = " ".join(PdfReader(io.BytesIO(data)).pages[0].extract_text().split())
    assert "Họ và tên Nguyễn Văn A" in text and "Số bản 3" in text
    assert dossier.tracking_code in text and "Kính gửi: Sở Tư pháp" in text
    detail = client.get(response["Location"]).content.decode()
    assert "tạo từ tờ khai điện tử" in detail
    # received: form 01 lists the declaration once
    services.accept_dossier(officer=w.officer, dossier=dossier)
    form = dossier.issued_forms.get(number="01")
    render_issued_form(form.pk)
    form.refresh_from_db()
    slip = " ".join(PdfReader(io.BytesIO(form.file.read())).pages[0].extract_text().split())
    assert slip.count("Tờ khai cấp bản sao trích lục") == 1 and "tờ khai điện tử" in slip


def test_an_uploaded_declaration_replaces_the_generated_one(
    world, django_capture_on_commit_callbacks
):
    w = world
    with django_capture_on_commit_callbacks(execute=True):
        submit(w)  # the fixture's submit attaches a file for the declaration
    assert not DBTaskResult.objects.filter(task_path__endswith="render_declaration_task").exists()
