"""Incoming documents: registration, arrival numbers, duplicates, bad PDFs, assignment."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from tinhso.audit.models import AuditEntry
from tinhso.core.errors import (
    Conflict,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from tinhso.documents import selectors, services
from tinhso.documents.models import Assignment, IncomingDocument, ReadReceipt, Register
from tinhso.notify.models import Message

from .conftest import encrypted_pdf, register

pytestmark = pytest.mark.django_db
VN = ZoneInfo("Asia/Ho_Chi_Minh")


def test_registration_gives_consecutive_arrival_numbers_in_the_years_register(office):
    first = register(office)
    second = register(office, number_notation="45/UBND-KT", doc_type="cv")
    assert (first.arrival_number, second.arrival_number) == (1, 2)
    assert first.register == second.register
    assert first.register.year == timezone.localdate().year
    assert first.status == IncomingDocument.Status.REGISTERED
    main = first.files.get()
    assert len(main.sha256) == 64 and main.page_count == 1
    assert "chuyen doi so" in first.text_folded
    assert AuditEntry.objects.filter(action="documents.register_incoming").count() == 2
    assert (
        Message.objects.filter(recipient=office.leader, template="documents_incoming").count() == 2
    )


def test_numbering_restarts_on_first_of_january(office):
    last_year = datetime(2025, 12, 31, 16, 0, tzinfo=VN)
    new_year = datetime(2026, 1, 1, 8, 0, tzinfo=VN)
    a = register(office, arrived_at=last_year, issued_on=date(2025, 12, 30))
    b = register(
        office, arrived_at=new_year, number_notation="2/QĐ-UBND", issued_on=date(2025, 12, 30)
    )
    assert (a.register.year, a.arrival_number) == (2025, 1)
    assert (b.register.year, b.arrival_number) == (2026, 1)
    assert a.register_id != b.register_id


def test_secret_documents_have_their_own_series(office):
    normal = register(office)
    secret = register(
        office, number_notation="9/CT-UBND", doc_type="ct", confidentiality="confidential"
    )
    assert normal.arrival_number == 1 and secret.arrival_number == 1
    assert secret.register.series == Register.Series.SECRET


def test_duplicate_is_refused_with_details_then_accepted_when_confirmed(office):
    first = register(office)
    before = IncomingDocument.objects.count()
    with pytest.raises(Conflict) as err:
        register(office, number_notation="123/qđ-ubnd")  # same sender, notation and date
    assert err.value.code == "possible_duplicate"
    assert err.value.details[0]["arrival_number"] == first.arrival_number
    assert IncomingDocument.objects.count() == before
    assert Register.objects.get(pk=first.register_id).last_number == 1  # no number consumed
    second = register(office, allow_duplicate=True)
    assert second.arrival_number == 2
    second.refresh_from_db()
    assert second.duplicate_of_id == first.pk


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"hello, this is not a PDF", "invalid_pdf"),
        (b"%PDF-1.4\n1 0 obj broken garbage without xref", "invalid_pdf"),
        ("encrypted", "encrypted_pdf"),
    ],
)
def test_bad_pdf_is_refused_and_nothing_changes(office, data, code):
    if data == "encrypted":
        data = encrypted_pdf()
    with pytest.raises(ValidationFailed) as err:
        register(office, pdf=data)
    assert err.value.code == code
    assert "PDF" in err.value.message
    assert IncomingDocument.objects.count() == 0
    assert not Register.objects.filter(last_number__gt=0).exists()


def test_only_clerks_and_leaders_register(office, other_office):
    with pytest.raises(PermissionDenied):
        register(office, actor=office.specialist)
    with pytest.raises(PermissionDenied):
        register(office, actor=other_office.clerk)


def test_assign_handle_forward_finish(office):
    doc = register(office)
    deadline = timezone.localdate() + timedelta(days=10)
    created = services.assign_incoming(
        actor=office.leader,
        document=doc,
        lead=office.specialist,
        cooperate=[office.unit],
        info=[office.clerk],
        deadline=deadline,
        instruction="Đề nghị tham mưu văn bản trả lời.",
    )
    assert [a.kind for a in created] == ["lead", "cooperate", "info"]
    doc.refresh_from_db()
    assert doc.status == "in_progress" and doc.deadline == deadline
    lead = created[0]
    services.add_note(actor=office.specialist, assignment=lead, text="Đã dự thảo trả lời.")
    lead.refresh_from_db()
    assert lead.status == "in_progress"
    # The unit's member (specialist2 belongs to the unit) handles the cooperating part.
    services.add_note(actor=office.specialist2, assignment=created[1], text="Phối hợp góp ý.")
    forwarded = services.forward_assignment(
        actor=office.specialist, assignment=lead, to=office.specialist2, instruction="Xử lý tiếp"
    )
    lead.refresh_from_db()
    assert lead.status == "forwarded" and forwarded.kind == "lead"
    with pytest.raises(InvalidTransition):
        services.finish_assignment(actor=office.specialist, assignment=lead)
    services.finish_assignment(actor=office.specialist2, assignment=forwarded, result="Đã trả lời")
    doc.refresh_from_db()
    assert doc.status == "done" and doc.finished_at is not None
    rows = selectors.follow_up(doc)
    assert {r["assignment"].status for r in rows} >= {"done", "forwarded"}


def test_assignment_outside_the_agency_is_refused_and_nothing_changes(office, other_office):
    doc = register(office)
    for target in (other_office.specialist, other_office.unit):
        with pytest.raises(ValidationFailed) as err:
            services.assign_incoming(
                actor=office.leader, document=doc, lead=office.specialist, cooperate=[target]
            )
        assert err.value.code == "assignee_outside_agency"
    assert Assignment.objects.count() == 0
    doc.refresh_from_db()
    assert doc.status == "registered"


def test_only_the_agencys_leader_assigns_and_only_assignees_handle(office, other_office):
    doc = register(office)
    with pytest.raises(PermissionDenied):
        services.assign_incoming(actor=office.specialist, document=doc, lead=office.specialist)
    with pytest.raises(NotFound):  # another agency's leader is not told it exists
        services.assign_incoming(actor=other_office.leader, document=doc, lead=office.specialist)
    (lead,) = services.assign_incoming(actor=office.leader, document=doc, lead=office.specialist)
    with pytest.raises(PermissionDenied):
        services.finish_assignment(actor=office.clerk, assignment=lead)
    with pytest.raises(PermissionDenied):
        services.forward_assignment(actor=office.clerk, assignment=lead, to=office.specialist2)


def test_read_receipts_keep_first_and_last_time(office):
    doc = register(office)
    services.mark_read(user=office.leader, incoming=doc)
    services.mark_read(user=office.leader, incoming=doc)
    receipt = ReadReceipt.objects.get(incoming=doc, user=office.leader)
    assert receipt.times == 2 and receipt.last_read_at >= receipt.first_read_at


def test_overdue_appears_in_the_leaders_workspace(office):
    doc = register(
        office,
        arrived_at=timezone.now() - timedelta(days=20),
        deadline=timezone.localdate() - timedelta(days=3),
    )
    ws = selectors.workspace(office.leader)
    assert doc in ws.overdue and doc in ws.to_assign


def test_the_workspace_reads_only_the_lists_that_have_rows(office):
    """Which lists have rows is asked in one statement; each list with rows costs one
    more, an empty one none (a clerk's empty desk built seven wide statements)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    selectors.workspace(office.leader)  # the user's roles and units, kept on the user
    with CaptureQueriesContext(connection) as empty:
        ws = selectors.workspace(office.leader)
    assert ws.as_counts() == dict.fromkeys(ws.as_counts(), 0)
    doc = register(
        office,
        arrived_at=timezone.now() - timedelta(days=20),
        deadline=timezone.localdate() - timedelta(days=3),
    )
    with CaptureQueriesContext(connection) as two_lists:
        ws = selectors.workspace(office.leader)
    assert ws.to_assign == [doc] and ws.overdue == [doc]
    assert sum(ws.as_counts().values()) == 2
    assert len(two_lists) == len(empty) + 2


def test_the_desks_kept_statement_follows_the_date(office, monkeypatch):
    """Which desk lists have rows is one statement written once per person and agencies
    (`core.prepared`): asked again on a later day it counts with that day, so a document
    falls overdue the day after its deadline without a new statement."""
    today = timezone.localdate()
    doc = register(
        office,
        arrived_at=timezone.now() - timedelta(days=1),
        deadline=today + timedelta(days=1),
    )
    assert selectors.workspace(office.leader).overdue == []
    assert selectors.workspace(office.leader).to_assign == [doc]
    monkeypatch.setattr(timezone, "localdate", lambda *args: today + timedelta(days=3))
    assert selectors.workspace(office.leader).overdue == [doc]
    monkeypatch.setattr(timezone, "localdate", lambda *args: today)
    assert selectors.workspace(office.leader).overdue == []
    assert selectors.workspace(office.clerk).overdue == []  # not the leader's shape


def test_the_desk_shows_the_first_rows_of_a_list_and_counts_the_rest(office, monkeypatch):
    """A list shows its first rows; its heading, the "… and N others" line and the API
    count every row (they said 50 at most, whatever the list held)."""
    from .test_desk_ergonomics import login

    monkeypatch.setattr(selectors, "DESK_ROWS", 2)
    docs = [register(office, number_notation=f"{n}/UBND-VP") for n in range(1, 6)]
    ws = selectors.workspace(office.leader)
    assert len(ws.to_assign) == 2 and set(ws.to_assign) <= set(docs)
    assert ws.as_counts()["to_assign"] == 5 and ws.more["to_assign"] == 3
    client = login(office.leader)
    html = client.get("/documents/").content.decode()
    assert '<span class="badge text-bg-secondary">5</span>' in html
    assert "… và 3 văn bản khác." in html
    assert client.get("/api/v1/documents/workspace").json()["to_assign"] == 5


def test_a_long_desk_list_is_counted_up_to_a_cap(office, monkeypatch):
    """Counting stops at DESK_COUNT_CAP rows: the heading says "cap+", the line "more
    than"."""
    from .test_desk_ergonomics import login

    monkeypatch.setattr(selectors, "DESK_ROWS", 1)
    monkeypatch.setattr(selectors, "DESK_COUNT_CAP", 3)
    for n in range(1, 5):
        register(office, number_notation=f"{n}/UBND-VP")
    assert selectors.workspace(office.leader).as_counts()["to_assign"] == 3
    html = login(office.leader).get("/documents/").content.decode()
    assert '<span class="badge text-bg-secondary">3+</span>' in html
    assert "… và hơn 2 văn bản khác." in html


def test_validation_messages_are_vietnamese_with_stable_codes(office):
    with pytest.raises(ValidationFailed) as err:
        register(office, subject="  ")
    assert err.value.code == "subject_required"
    with pytest.raises(ValidationFailed) as err:
        register(office, issued_on=timezone.localdate() + timedelta(days=2))
    assert err.value.code == "issued_after_arrival"
    with pytest.raises(ValidationFailed) as err:
        register(office, doc_type="xx")
    assert err.value.code == "invalid_doc_type"
