"""Issue 8 item 19: what officials used to other systems tripped over on the desk."""

from __future__ import annotations

import pytest
from django.test import Client

from tinhso.core.errors import DomainError
from tinhso.directory.models import Agency, Position
from tinhso.documents import forms, selectors, services
from tinhso.documents.models import OutgoingDocument, RecipientGroup

from .conftest import make_pdf, register

pytestmark = pytest.mark.django_db


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    session = client.session
    session["tinhso_2fa_ok"] = True
    session.save()
    return client


def test_lead_in_person_and_cooperating_through_the_unit_gets_one_my_part_box(office):
    doc = register(office)
    services.assign_incoming(
        actor=office.leader, document=doc, lead=office.specialist, cooperate=[office.unit]
    )
    parts = selectors.my_parts(office.specialist, doc)
    assert len(parts) == 1
    main, also = parts[0]
    assert main.kind == "lead" and [a.kind for a in also] == ["cooperate"]
    html = login(office.specialist).get(f"/documents/incoming/{doc.uid}/").content.decode()
    assert html.count("Phần việc của tôi") == 1


def test_forward_to_chooses_nobody_in_advance_and_never_oneself(office):
    doc = register(office)
    services.assign_incoming(actor=office.leader, document=doc, lead=office.specialist)
    form = forms.ForwardForm(agency=office.agency, user=office.specialist)
    choices = form.fields["to"].choices
    assert choices[0][0] == ""  # "— chọn người hoặc đơn vị —"
    assert f"u:{office.specialist.uid}" not in [value for value, _label in choices]
    # Posting without a choice forwards to no one and says so.
    (part,) = doc.assignments.all()
    client = login(office.specialist)
    r = client.post(
        f"/documents/assignments/{part.pk}/forward/", {f"f{part.pk}-to": ""}, follow=True
    )
    assert "Vui lòng chọn người hoặc đơn vị" in r.content.decode()
    assert doc.assignments.count() == 1


def test_assignee_lists_show_the_position(office):
    from tinhso.directory.models import Membership

    position = Position.objects.create(name="Trưởng phòng", rank=10)
    Membership.objects.filter(user=office.specialist).update(position=position)
    labels = dict(forms.people_of(office.agency))
    assert labels[str(office.specialist.uid)] == "Lê Thị Chuyên Viên — Trưởng phòng, Phòng Kế hoạch"


def test_document_types_put_the_official_letter_first_then_follow_use(office):
    assert forms.doc_types_by_use()[0] == ("cv", "Công văn")
    for n in range(3):
        register(office, doc_type="tb", number_notation=f"{n + 1}/TB-UBND")
    agencies = Agency.objects.filter(pk=office.agency.pk)
    assert [k for k, _ in forms.doc_types_by_use(agencies)][:2] == ["tb", "cv"]


def test_the_use_of_each_type_is_counted_once_a_while_not_on_every_form(office):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    register(office, doc_type="tb", number_notation="1/TB-UBND")
    agencies = Agency.objects.filter(pk=office.agency.pk)
    assert forms.doc_types_by_use(agencies)[0][0] == "tb"
    with CaptureQueriesContext(connection) as again:
        assert forms.doc_types_by_use(agencies)[0][0] == "tb"
    assert not [q for q in again.captured_queries if "documents_" in q["sql"]]


def test_a_draft_needs_recipients_and_may_answer_an_incoming_document(office, other_office):
    incoming = register(office)
    with pytest.raises(DomainError) as err:
        services.create_draft(
            actor=office.specialist,
            agency=office.agency,
            doc_type="cv",
            subject="Về việc trả lời",
            pdf=make_pdf(),
        )
    assert err.value.code == "no_recipients"
    assert not OutgoingDocument.objects.exists()
    doc = services.create_draft(
        actor=office.specialist,
        agency=office.agency,
        doc_type="cv",
        subject="Về việc trả lời",
        pdf=make_pdf(),
        recipients=[other_office.agency],
        external_recipients=[("Bộ Nội vụ", "G09")],
        in_reply_to=incoming,
    )
    assert list(doc.planned_agencies.all()) == [other_office.agency]
    assert doc.in_reply_to == incoming and list(incoming.replies.all()) == [doc]
    # The dispatch form starts from the drafted recipients.
    html = login(office.leader).get(f"/documents/outgoing/{doc.uid}/").content.decode()
    assert other_office.agency.name in html and incoming.number_notation in html


def test_dispatch_picker_groups_by_level_and_saves_recipient_groups(office, other_office):
    for n in range(60):
        Agency.objects.create(
            code=f"H99.9{n:02d}", name=f"Ủy ban nhân dân xã Số {n}", kind="peoples_committee"
        )
    groups = dict(forms.agency_groups(exclude=office.agency))
    assert len(groups["Ủy ban nhân dân"]) == 60 and "Sở, ban, ngành" in groups
    communes = list(Agency.objects.filter(kind="peoples_committee"))
    group = services.create_recipient_group(
        actor=office.clerk, agency=office.agency, name="UBND các xã", members=communes
    )
    assert group.members.count() == 60
    with pytest.raises(DomainError) as err:
        services.create_recipient_group(
            actor=office.specialist, agency=office.agency, name="Khác", members=communes
        )
    assert err.value.code == "permission_denied"
    form = forms.DispatchForm(exclude=office.agency)
    assert [g.name for g in form.fields["agencies"].saved_groups] == ["UBND các xã"]
    assert RecipientGroup.objects.count() == 1


def test_sign_and_approve_asks_for_confirmation_and_names_the_signing_method(office):
    from tinhso.signing.services.demo import init_demo

    init_demo()
    doc = services.create_draft(
        actor=office.specialist,
        agency=office.agency,
        doc_type="qd",
        subject="Quyết định ban hành quy chế",
        pdf=make_pdf(),
        external_recipients=[("Bộ Nội vụ", "G09")],
    )
    services.submit_for_review(actor=office.specialist, document=doc, signer=office.leader)
    leader = login(office.leader)
    html = leader.get(f"/documents/outgoing/{doc.uid}/").content.decode()
    assert "chứng thư số lưu trên máy chủ" in html and 'name="confirm"' in html
    # One click without confirming signs nothing.
    r = leader.post(f"/documents/outgoing/{doc.uid}/sign/", {"digital": "1"}, follow=True)
    assert "Vui lòng xác nhận trước khi ký" in r.content.decode()
    doc.refresh_from_db()
    assert doc.status == "reviewed" and doc.files.count() == 1
    leader.post(f"/documents/outgoing/{doc.uid}/sign/", {"digital": "1", "confirm": "1"})
    doc.refresh_from_db()
    assert doc.status == "signed" and doc.digitally_signed


def test_my_parts_picked_from_the_follow_up_are_the_parts_read_for_the_user(office):
    """The incoming document's page picks the user's open parts from the assignments its
    follow-up table read (`my_parts(among=...)`): the same boxes as reading them again,
    for the lead in person, a unit member, a finished part, a part for information."""
    doc = register(office)
    services.assign_incoming(
        actor=office.leader,
        document=doc,
        lead=office.specialist,
        cooperate=[office.unit],
        info=[office.specialist2],
    )
    other = register(office, number_notation="77/UBND-VX")
    services.assign_incoming(actor=office.leader, document=other, lead=office.specialist2)
    (finished,) = other.assignments.filter(kind="lead")
    services.finish_assignment(actor=office.specialist2, assignment=finished, result="Xong")

    def shape(parts):
        return [(main.pk, [a.pk for a in also]) for main, also in parts]

    for document in (doc, other):
        among = [row["assignment"] for row in selectors.follow_up(document)]
        for user in (office.specialist, office.specialist2, office.leader, office.clerk):
            fresh = type(user).objects.get(pk=user.pk)  # the units read anew
            assert shape(selectors.my_parts(fresh, document, among=among)) == shape(
                selectors.my_parts(user, document)
            )
    assert shape(selectors.my_parts(office.specialist2, doc)) != []  # the unit's part


def test_the_incoming_page_reads_the_assignments_once_and_a_read_is_one_statement(office):
    """A view of an incoming document reads its assignments once (the follow-up and the
    user's own parts from the same rows) and counts the read with one UPDATE, without a
    transaction (or savepoint) around it; what the page shows is unchanged."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tinhso.documents.models import ReadReceipt

    doc = register(office)
    services.assign_incoming(
        actor=office.leader, document=doc, lead=office.specialist, cooperate=[office.unit]
    )
    client = login(office.specialist)
    url = f"/documents/incoming/{doc.uid}/"
    client.get(url)  # the first read inserts the receipt
    with CaptureQueriesContext(connection) as captured:
        html = client.get(url).content.decode()
    statements = [q["sql"] for q in captured.captured_queries]
    assert sum('FROM "documents_assignment"' in sql for sql in statements) == 1
    assert not [sql for sql in statements if sql.split()[0] in ("SAVEPOINT", "BEGIN")]
    assert sum(sql.startswith('UPDATE "documents_readreceipt"') for sql in statements) == 1
    assert html.count("Phần việc của tôi") == 1
    assert "Bạn cũng được giao" in html
    receipt = ReadReceipt.objects.get(incoming=doc, user=office.specialist)
    assert receipt.times == 2 and receipt.last_read_at > receipt.first_read_at
    assert "(2)</li>" in html


def test_the_only_agency_of_a_clerk_or_drafter_is_chosen_in_advance(office, other_office):
    """A clerk of one agency finds it chosen on the registration form, a drafter on the
    draft form; someone who works for two agencies chooses."""
    from tinhso.accounts import services as accounts
    from tinhso.accounts.models import Role

    chosen = f'<option value="{office.agency.pk}" selected>'
    clerk = login(office.clerk)
    assert chosen in clerk.get("/documents/incoming/new/").content.decode()
    assert chosen in login(office.specialist).get("/documents/outgoing/new/").content.decode()
    accounts.grant_role(user=office.clerk, agency=other_office.agency, role=Role.CLERK)
    page = login(office.clerk).get("/documents/incoming/new/").content.decode()
    agency_select = page.split('name="agency"')[1].split("</select>")[0]
    assert '<option value="" selected>' in agency_select  # to be chosen
