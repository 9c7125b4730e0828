"""HTML pages: every page renders for the right people; the forms drive the services."""

from __future__ import annotations

import io

import pytest
from django.test import Client

from tinhso.documents.models import IncomingDocument, OutgoingDocument

from .conftest import make_pdf, register

pytestmark = pytest.mark.django_db


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    session = client.session
    session["tinhso_2fa_ok"] = True
    session.save()
    return client


def upload(data: bytes, name="van-ban.pdf"):
    f = io.BytesIO(data)
    f.name = name
    return f


def test_clerk_registers_through_the_form_and_sees_the_duplicate_warning(office):
    clerk = login(office.clerk)
    assert clerk.get("/documents/").status_code == 200
    form = {
        "agency": office.agency.pk,
        "sender_name": "Sở Nội vụ",
        "number_notation": "12/SNV-TCBC",
        "issued_on": "2026-03-02",
        "doc_type": "cv",
        "subject": "Về việc tuyển dụng công chức năm 2026",
        "urgency": "normal",
        "confidentiality": "normal",
        "source": "upload",
    }
    r = clerk.post("/documents/incoming/new/", {**form, "file": upload(make_pdf())})
    assert r.status_code == 302
    doc = IncomingDocument.objects.get()
    r = clerk.post("/documents/incoming/new/", {**form, "file": upload(make_pdf())})
    assert r.status_code == 200 and "có thể trùng" in r.content.decode()
    r = clerk.post("/documents/incoming/new/", {**form, "file": upload(b"not a pdf")})
    assert "không phải là PDF" in r.content.decode()
    assert IncomingDocument.objects.count() == 1
    page = clerk.get(f"/documents/incoming/{doc.uid}/").content.decode()
    assert "12/SNV-TCBC" in page and "Trần Thị Văn Thư" in page  # read receipt


def test_a_sender_agency_chosen_on_the_form_is_recorded_with_its_name(office, other_office):
    """The sender select lists every active agency by name (only what an option shows is
    read) and registering records the chosen agency and its name."""
    clerk = login(office.clerk)
    page = clerk.get("/documents/incoming/new/").content.decode()
    sender = other_office.agency
    assert f'<option value="{sender.pk}">{sender.name}</option>' in page
    r = clerk.post(
        "/documents/incoming/new/",
        {
            "agency": office.agency.pk,
            "sender_agency": sender.pk,
            "number_notation": "7/STC-NS",
            "issued_on": "2026-03-02",
            "doc_type": "cv",
            "subject": "Về việc phân bổ ngân sách",
            "urgency": "normal",
            "confidentiality": "normal",
            "source": "upload",
            "file": upload(make_pdf()),
        },
    )
    assert r.status_code == 302
    doc = IncomingDocument.objects.get()
    assert doc.sender_agency_id == sender.pk and doc.sender_name == sender.name


def test_leader_assigns_and_specialist_finishes_through_the_pages(office):
    doc = register(office)
    leader = login(office.leader)
    page = leader.get(f"/documents/incoming/{doc.uid}/").content.decode()
    assert 'id="assign-form"' in page
    r = leader.post(
        f"/documents/incoming/{doc.uid}/assign/",
        {
            "lead": f"u:{office.specialist.uid}",
            "cooperate": [f"o:{office.unit.pk}"],
            "instruction": "Xử lý",
        },
    )
    assert r.status_code == 302
    specialist = login(office.specialist)
    assignment = doc.assignments.get(kind="lead")
    specialist.post(
        f"/documents/assignments/{assignment.pk}/note/", {f"n{assignment.pk}-text": "Đang xử lý"}
    )
    specialist.post(
        f"/documents/assignments/{assignment.pk}/finish/", {f"d{assignment.pk}-result": "Xong"}
    )
    doc.refresh_from_db()
    assert doc.status == "done"
    assert "Đang xử lý" in leader.get(f"/documents/incoming/{doc.uid}/").content.decode()


def test_outgoing_pages_draft_sign_number_seal_dispatch(office, other_office):
    specialist = login(office.specialist)
    r = specialist.post(
        "/documents/outgoing/new/",
        {
            "agency": office.agency.pk,
            "doc_type": "tb",
            "subject": "Thông báo lịch tiếp công dân",
            "file": upload(make_pdf()),
            "urgency": "normal",
            "confidentiality": "normal",
            "recipients": [other_office.agency.pk],
            "external": "Bộ Nội vụ; G09",
        },
    )
    assert r.status_code == 302
    doc = OutgoingDocument.objects.get()
    specialist.post(f"/documents/outgoing/{doc.uid}/submit/", {"signer": str(office.leader.uid)})
    leader = login(office.leader)
    leader.post(f"/documents/outgoing/{doc.uid}/sign/", {"digital": "0", "confirm": "1"})
    clerk = login(office.clerk)
    clerk.post(f"/documents/outgoing/{doc.uid}/number/")
    r = clerk.post(f"/documents/outgoing/{doc.uid}/number/", follow=True)
    assert "không cấp số lần hai" in r.content.decode() or "Chỉ cấp số" in r.content.decode()
    clerk.post(f"/documents/outgoing/{doc.uid}/seal/")
    clerk.post(
        f"/documents/outgoing/{doc.uid}/dispatch/",
        {"agencies": [other_office.agency.pk], "external": "Bộ Nội vụ; G09"},
    )
    doc.refresh_from_db()
    assert doc.status == "dispatched" and doc.number_notation == "01/TB-STTTT"


def test_search_registers_statistics_and_work_record_pages(office, other_office):
    doc = register(office, subject="Về việc hỗ trợ thành phố Đà Nẵng khắc phục bão")
    leader = login(office.leader)
    r = leader.get("/documents/search/", {"q": "da nang", "kind": "incoming"})
    assert doc.number_notation in r.content.decode()
    r = leader.get("/documents/registers/")
    assert "Sổ đăng ký văn bản đến" in r.content.decode()
    r = leader.get(f"/documents/registers/{doc.register_id}/")
    assert doc.number_notation in r.content.decode()
    assert leader.get(f"/documents/registers/{doc.register_id}.pdf").content.startswith(b"%PDF")
    assert leader.get(f"/documents/registers/{doc.register_id}.xlsx").status_code == 200
    assert leader.get("/documents/statistics/").status_code == 200
    r = leader.post(
        "/documents/work-records/", {"agency": office.agency.pk, "title": "Phòng chống bão"}
    )
    assert r.status_code == 302
    record = office.agency.work_records.get()
    leader.post(f"/documents/incoming/{doc.uid}/file-into-record/", {"record": record.pk})
    assert record.items.count() == 1
    # Someone from another agency is not told it exists (and gets no 500).
    outsider = login(other_office.leader)
    r = outsider.get(f"/documents/incoming/{doc.uid}/")
    assert r.status_code == 404
    assert outsider.get(f"/documents/registers/{doc.register_id}.pdf").status_code == 404


def test_the_menu_marks_each_pages_own_entry(office):
    """The menu is kept drawn per language and entry (`{% cache %}` in documents/_nav.html)."""
    clerk = login(office.clerk)
    for path, entry in (
        ("/documents/", "/documents/"),
        ("/documents/search/", "/documents/search/"),
    ):
        for _ in range(2):  # drawn, then from memory
            page = clerk.get(path).content.decode()
            menu = page[page.index('class="nav nav-pills flex-wrap"') :].split("</nav>")[0]
            assert menu.count("nav-link active") == 1
            assert f'active" href="{entry}"' in menu


def test_a_document_registered_from_a_file_asks_the_exchange_nothing(office):
    """Only a document registered from the exchange can have been revoked or replaced by
    its sender there: the page of any other asks the exchange's inbox nothing."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    document = register(office)
    clerk = login(office.clerk)
    with CaptureQueriesContext(connection) as captured:
        page = clerk.get(f"/documents/incoming/{document.uid}/")
    assert page.status_code == 200 and document.number_notation in page.content.decode()
    assert not [q for q in captured.captured_queries if "exchange_inboxitem" in q["sql"]]
