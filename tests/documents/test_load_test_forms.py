"""The load test's clerk fills the real register form (`benchmarks/load/forms.py`): when
the form's fields changed, its registrations came back with their errors (200) and the
load test measured a form shown again instead of a document stored."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tinhso.documents.models import IncomingDocument

from .conftest import make_pdf
from .test_pages import login

_spec = importlib.util.spec_from_file_location(
    "load_test_forms", Path(__file__).resolve().parents[2] / "benchmarks" / "load" / "forms.py"
)
assert _spec and _spec.loader
load_forms = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(load_forms)

pytestmark = pytest.mark.django_db


def test_the_load_tests_clerk_registers_a_document_through_the_register_form(
    office, tmp_path, monkeypatch
):
    paper = tmp_path / "paper.pdf"
    paper.write_bytes(make_pdf())
    monkeypatch.setattr(load_forms, "PAPER", paper)
    clerk = login(office.clerk)
    page = clerk.get("/documents/incoming/new/")
    form = load_forms.main_form(page.content.decode())
    data, files = load_forms.form_values(form, load_forms.incoming_values(4711))
    for name, (filename, body, content_type) in files.items():
        data[name] = SimpleUploadedFile(filename, body, content_type)

    response = clerk.post("/documents/incoming/new/", data)

    assert response.status_code == 302, response.content.decode()[-3000:]
    document = IncomingDocument.objects.get()
    assert document.number_notation == "4711/UBND-VP"
    assert document.sender_name in load_forms.SENDERS
    assert response["Location"] == f"/documents/incoming/{document.uid}/"
