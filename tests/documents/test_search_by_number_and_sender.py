"""Issue 8 items 17 and 21: search finds a document by its number/notation (partial and
without diacritics) and by a sender typed as free text; "all" searches both kinds; a
citizen opening the documents desk is told plainly they have no access."""

from __future__ import annotations

import pytest
from django.test import Client

from tinhso.accounts import services as accounts
from tinhso.documents import selectors, services

from .conftest import make_pdf, register

pytestmark = pytest.mark.django_db


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    session = client.session
    session["tinhso_2fa_ok"] = True
    session.save()
    return client


def _issued(office, doc_type="cv"):
    doc = services.create_draft(
        external_recipients=[("Bộ Nội vụ", "G09")],
        actor=office.specialist,
        agency=office.agency,
        doc_type=doc_type,
        subject="Về việc chuẩn bị hội nghị tổng kết",
        pdf=make_pdf("Về việc chuẩn bị hội nghị tổng kết"),
    )
    services.submit_for_review(actor=office.specialist, document=doc, signer=office.leader)
    services.sign_outgoing(actor=office.leader, document=doc, digital=False)
    return services.number_outgoing(actor=office.clerk, document=doc)


def _find(user, q, kind="all"):
    return [d.number_notation for d in selectors.search_documents(user=user, q=q, kind=kind).items]


def test_search_finds_incoming_by_number_notation_partial_and_without_diacritics(office):
    register(office, number_notation="01/QĐ-STC", sender_name="Sở Tài chính")
    register(office, number_notation="07/STC-QLNS", sender_name="Sở Tài chính", doc_type="cv")
    register(office, number_notation="107/STC-QLNS", sender_name="Sở Tài chính", doc_type="cv")
    assert _find(office.clerk, "01/QĐ-STC") == ["01/QĐ-STC"]
    assert _find(office.clerk, "1/qd-stc") == ["01/QĐ-STC"]
    assert _find(office.clerk, "07/STC") == ["07/STC-QLNS"]  # not 107/...
    assert _find(office.clerk, "07 / STC") == ["07/STC-QLNS"]
    assert sorted(_find(office.clerk, "STC-QLNS")) == ["07/STC-QLNS", "107/STC-QLNS"]


def test_search_finds_outgoing_by_its_number(office):
    doc = _issued(office)
    assert doc.number_notation == "01/STTTT-KH"
    assert _find(office.leader, "01/STTTT") == ["01/STTTT-KH"]
    assert _find(office.leader, "01/STTTT", kind="outgoing") == ["01/STTTT-KH"]
    assert _find(office.leader, "01/STTTT", kind="incoming") == []


def test_search_finds_incoming_by_sender_typed_as_free_text(office):
    register(
        office,
        sender_name="Bộ Tài chính",
        number_notation="45/BTC-NSNN",
        subject="Về việc hướng dẫn lập dự toán",
        body_subject="Nội dung không nêu tên cơ quan gửi",
    )
    register(office, sender_name="Bộ Nội vụ", number_notation="12/BNV-VTLT")
    assert _find(office.clerk, "Bộ Tài chính") == ["45/BTC-NSNN"]
    assert _find(office.clerk, "bo tai chinh") == ["45/BTC-NSNN"]


def test_search_all_mixes_incoming_and_outgoing_and_the_page_offers_all(office):
    register(office, subject="Về việc chuẩn bị hội nghị tổng kết năm")
    _issued(office)
    page = selectors.search_documents(user=office.leader, q="hoi nghi tong ket", kind="all")
    assert {d.direction for d in page.items} == {"incoming", "outgoing"}
    client = login(office.leader)
    html = client.get("/documents/search/").content.decode()
    assert '<option value="all" selected>' in html
    html = client.get("/documents/search/", {"q": "01/STTTT"}).content.decode()
    assert "01/STTTT-KH" in html


def test_a_citizen_opening_the_documents_desk_gets_a_clear_no_access_page(office):
    citizen = accounts.create_citizen(
        username="congdan.test", full_name="Lữ Văn An", password="Mat-khau-123!"
    )
    client = Client()
    client.force_login(citizen)
    for url in ("/documents/", "/documents/search/", "/documents/registers/"):
        r = client.get(url)
        assert r.status_code == 403, url
        assert "Không có quyền truy cập" in r.content.decode()
    # An official still has the desk.
    assert login(office.clerk).get("/documents/").status_code == 200
