"""A dossier's life through the services: codes, deadlines, hand-overs, result, wallet."""

from __future__ import annotations

import re
from datetime import date

import pytest

from tinhso.core.errors import InvalidTransition, PermissionDenied, ValidationFailed
from tinhso.notify.models import Message
from tinhso.onestop import services
from tinhso.onestop.models import (
    PORTAL_STATUS,
    DossierEvent,
    DossierFile,
    DossierState,
    Rating,
    WalletItem,
)
from tinhso.onestop.services.clock import frozen
from tinhso.workdays.services import VN

from .conftest import accepted, at_last_step, pdf_file, submit, vn

pytestmark = pytest.mark.django_db


def test_whole_lifecycle_submit_accept_three_steps_approve_return_rate(world):
    w = world
    with frozen(vn(2026, 3, 2, 9, 0)):
        dossier = submit(w)
        assert dossier.state == DossierState.SUBMITTED and dossier.portal_status == 1
        assert dossier.code is None
        services.accept_dossier(officer=w.officer, dossier=dossier)
    assert re.fullmatch(r"000\.00\.15\.H41-260302-0001", dossier.code)
    assert dossier.portal_status == 2
    # 5 working days from Mon 2 March 09:00: Tue 3 .. Mon 9 March, end of office day
    assert dossier.due_at.astimezone(VN) == vn(2026, 3, 9, 17, 0)
    assert dossier.current_step == w.steps[0]
    with frozen(vn(2026, 3, 2, 10, 0)):
        services.forward_to_next_step(official=w.officer, dossier=dossier, to_user=w.specialist)
    assert dossier.state == DossierState.PROCESSING and dossier.portal_status == 4
    with frozen(vn(2026, 3, 4, 10, 0)):
        services.forward_to_next_step(official=w.specialist, dossier=dossier, to_user=w.leader)
    with frozen(vn(2026, 3, 5, 9, 0)):
        services.attach_result(official=w.leader, dossier=dossier, file=pdf_file("kq.pdf", b"kq"))
        services.approve(official=w.leader, dossier=dossier)
    assert dossier.state == DossierState.APPROVED and dossier.portal_status == 9
    assert dossier.timeliness == "early"
    with frozen(vn(2026, 3, 5, 14, 0)):
        services.return_result(officer=w.officer, dossier=dossier)
    assert dossier.state == DossierState.RETURNED and dossier.portal_status == 10
    # the result is now in the citizen's wallet
    assert WalletItem.objects.filter(owner=w.citizen, source="result").count() == 1
    services.rate(user=w.citizen, dossier=dossier, score=5, comment="Nhanh")
    assert Rating.objects.get(dossier=dossier).score == 5
    # form 05: every hand-over with who, when, on time or not
    actions = list(DossierEvent.objects.filter(dossier=dossier).values_list("action", flat=True))
    assert actions == [
        "submit",
        "accept",
        "forward",
        "forward",
        "attach_result",
        "sign_result",
        "approve",
        "return",
    ]
    forwards = DossierEvent.objects.filter(dossier=dossier, action="forward")
    assert all(e.on_time for e in forwards)
    assert forwards[0].from_user == w.officer and forwards[0].to_user == w.specialist


def test_every_state_maps_to_a_portal_status_code():
    assert set(PORTAL_STATUS) == set(DossierState.values)
    assert set(PORTAL_STATUS.values()) == set(range(1, 11))


def test_codes_are_per_receiving_agency_per_day(world):
    w = world
    with frozen(vn(2026, 3, 2, 9, 0)):
        first = accepted(w)
        second = accepted(w)
    with frozen(vn(2026, 3, 3, 9, 0)):
        third = accepted(w)
    assert first.code.endswith("-260302-0001")
    assert second.code.endswith("-260302-0002")
    assert third.code.endswith("-260303-0001")


def test_deadline_across_tet_2026(world):
    # domain/workdays.md worked example: 5 working days from Thu 12 Feb 2026 09:00
    with frozen(vn(2026, 2, 12, 9, 0)):
        dossier = accepted(world)
    assert dossier.due_at.astimezone(VN) == vn(2026, 2, 26, 17, 0)


def test_received_after_15h_counts_from_the_next_working_day(world):
    with frozen(vn(2026, 3, 2, 15, 30)):
        late = accepted(world)
    with frozen(vn(2026, 3, 2, 14, 59)):
        early = accepted(world)
    assert early.due_at.astimezone(VN).date() == date(2026, 3, 9)
    assert late.due_at.astimezone(VN).date() == date(2026, 3, 10)


def test_supplement_at_reception_lists_everything_then_back_to_reception(world):
    w = world
    dossier = submit(w)
    supplement = services.request_supplement(
        official=w.officer, dossier=dossier, items=["Bản sao CCCD", "Giấy ủy quyền"]
    )
    assert dossier.state == DossierState.RECEPTION_SUPPLEMENT and dossier.portal_status == 5
    assert supplement.items == ["Bản sao CCCD", "Giấy ủy quyền"]
    services.answer_supplement(
        user=w.citizen,
        dossier=dossier,
        attachments=[services.Attachment(file=pdf_file("cccd.pdf", b"x"), name="CCCD")],
    )
    assert dossier.state == DossierState.SUBMITTED
    services.accept_dossier(officer=w.officer, dossier=dossier)
    assert dossier.code


def test_supplement_during_processing_restarts_the_clock_from_zero(world):
    w = world
    with frozen(vn(2026, 3, 2, 9, 0)):
        dossier = accepted(w)
        services.forward_to_next_step(official=w.officer, dossier=dossier, to_user=w.specialist)
    assert dossier.due_at.astimezone(VN) == vn(2026, 3, 9, 17, 0)
    with frozen(vn(2026, 3, 4, 9, 0)):
        services.request_supplement(official=w.specialist, dossier=dossier, items=["Bản chính"])
    assert dossier.state == DossierState.SUPPLEMENT
    with frozen(vn(2026, 3, 10, 9, 0)):  # the citizen completes it a week later
        services.answer_supplement(
            user=w.citizen, dossier=dossier, attachments=[services.Attachment(file=pdf_file())]
        )
    assert dossier.state == DossierState.PROCESSING
    # 5 full working days again from Tue 10 March: Wed 11 .. Tue 17 March
    assert dossier.due_at.astimezone(VN) == vn(2026, 3, 17, 17, 0)
    assert dossier.clock_restarted
    with frozen(vn(2026, 3, 16, 9, 0)):  # would be late against the first date, not now
        services.attach_result(official=w.specialist, dossier=dossier, file=pdf_file())
        services.forward_to_next_step(official=w.specialist, dossier=dossier, to_user=w.leader)
        services.approve(official=w.leader, dossier=dossier)
    assert dossier.timeliness == "early"


def test_supplement_during_processing_only_within_three_working_days(world):
    w = world
    with frozen(vn(2026, 3, 2, 9, 0)):
        dossier = accepted(w)
    with frozen(vn(2026, 3, 6, 9, 0)), pytest.raises(ValidationFailed) as err:
        services.request_supplement(official=w.officer, dossier=dossier, items=["X"])
    assert err.value.code == "supplement_window_passed"
    dossier.refresh_from_db()
    assert dossier.state == DossierState.ACCEPTED


def test_the_appointment_may_be_extended_only_once_and_not_on_the_last_day(world):
    w = world
    with frozen(vn(2026, 3, 2, 9, 0)):
        dossier = accepted(w)
    with frozen(vn(2026, 3, 5, 9, 0)):
        extension = services.propose_extension(
            official=w.officer,
            dossier=dossier,
            new_due_date=date(2026, 3, 13),
            reason="Cần xác minh thêm",
            apology="Thành thật xin lỗi",
        )
    assert extension.old_due_at.astimezone(VN) == vn(2026, 3, 9, 17, 0)
    assert dossier.due_at.astimezone(VN) == vn(2026, 3, 13, 17, 0)
    assert dossier.original_due_at.astimezone(VN) == vn(2026, 3, 9, 17, 0)
    with frozen(vn(2026, 3, 6, 9, 0)), pytest.raises(InvalidTransition) as err:
        services.propose_extension(
            official=w.officer, dossier=dossier, new_due_date=date(2026, 3, 20), reason="Lần 2"
        )
    assert err.value.code == "already_extended"
    # another dossier, on its due date: too late to extend
    with frozen(vn(2026, 3, 2, 9, 0)):
        other = accepted(w)
    with frozen(vn(2026, 3, 9, 9, 0)), pytest.raises(ValidationFailed) as err:
        services.propose_extension(
            official=w.officer, dossier=other, new_due_date=date(2026, 3, 12), reason="Trễ"
        )
    assert err.value.code == "extension_too_late"


def test_late_result_after_the_appointment_is_late(world):
    w = world
    with frozen(vn(2026, 3, 2, 9, 0)):
        dossier = at_last_step(w)
    with frozen(vn(2026, 3, 9, 16, 0)):
        on_time = at_last_step(w)
    with frozen(vn(2026, 3, 10, 9, 0)):
        services.approve(official=w.leader, dossier=dossier)
    assert dossier.timeliness == "late"
    with frozen(vn(2026, 3, 17, 10, 0)):  # due 17 March: received after the 15:00 cut-off
        services.approve(official=w.leader, dossier=on_time)
    assert on_time.timeliness == "on_time"


def test_paused_time_does_not_count_against_the_agency(world):
    w = world
    with frozen(vn(2026, 3, 2, 9, 0)):
        dossier = accepted(w)
        services.forward_to_next_step(official=w.officer, dossier=dossier, to_user=w.specialist)
    with frozen(vn(2026, 3, 3, 9, 0)):
        services.pause(official=w.specialist, dossier=dossier, reason="Chờ kết quả xác minh")
    assert dossier.state == DossierState.PAUSED
    with frozen(vn(2026, 3, 6, 9, 0)):  # Tue → Fri: 3 working days paused
        services.resume(official=w.specialist, dossier=dossier)
    assert dossier.state == DossierState.PROCESSING
    assert dossier.due_at.astimezone(VN) == vn(2026, 3, 12, 17, 0)
    assert dossier.paused_days == 3


def test_invalid_transition_changes_nothing(world):
    w = world
    dossier = submit(w)
    version = dossier.version
    with pytest.raises(InvalidTransition):
        services.approve(official=w.leader, dossier=dossier)
    with pytest.raises(InvalidTransition):
        services.return_result(officer=w.officer, dossier=dossier)
    dossier.refresh_from_db()
    assert dossier.state == DossierState.SUBMITTED and dossier.version == version
    with pytest.raises(InvalidTransition) as err:
        services.rate(user=w.citizen, dossier=dossier, score=4)
    assert err.value.code == "invalid_transition"


def test_approval_only_at_the_last_step(world):
    w = world
    dossier = accepted(w)
    services.forward_to_next_step(official=w.officer, dossier=dossier, to_user=w.specialist)
    with pytest.raises(InvalidTransition) as err:
        services.approve(official=w.leader, dossier=dossier)
    assert err.value.code == "not_at_last_step"


def test_officials_outside_the_agency_are_refused(world):
    w = world
    dossier = submit(w)
    with pytest.raises(PermissionDenied):
        services.accept_dossier(officer=w.outsider_officer, dossier=dossier)
    services.accept_dossier(officer=w.officer, dossier=dossier)
    with pytest.raises(PermissionDenied):
        services.forward_to_next_step(official=w.outsider, dossier=dossier)
    with pytest.raises(PermissionDenied):
        services.withdraw(user=w.citizen2, dossier=dossier)
    # a specialist cannot approve
    services.forward_to_next_step(official=w.officer, dossier=dossier, to_user=w.specialist)
    services.forward_to_next_step(official=w.specialist, dossier=dossier, to_user=w.leader)
    with pytest.raises(PermissionDenied):
        services.approve(official=w.specialist2, dossier=dossier)
    dossier.refresh_from_db()
    assert dossier.state == DossierState.PROCESSING


def test_assignee_must_belong_to_the_handling_agency(world):
    w = world
    dossier = accepted(w)
    with pytest.raises(ValidationFailed) as err:
        services.forward_to_next_step(official=w.officer, dossier=dossier, to_user=w.outsider)
    assert err.value.code == "assignee_outside_agency"


def test_stale_version_is_a_conflict(world):
    from tinhso.core.errors import Conflict

    w = world
    dossier = accepted(w)
    services.forward_to_next_step(official=w.officer, dossier=dossier, to_user=w.specialist)
    stale_version = dossier.version - 1
    with pytest.raises(Conflict) as err:
        services.pause(official=w.specialist, dossier=dossier, reason="x", version=stale_version)
    assert err.value.code == "dossier_changed" and err.value.status == 409


def test_send_back_returns_to_the_previous_official(world):
    w = world
    dossier = at_last_step(w)
    services.send_back(official=w.leader, dossier=dossier, note="Thiếu căn cứ")
    assert dossier.current_step == w.steps[1]
    assert dossier.assignee == w.specialist


def test_refusal_at_reception_with_reasons(world):
    w = world
    dossier = submit(w)
    with pytest.raises(ValidationFailed):
        services.refuse_reception(officer=w.officer, dossier=dossier, reasons=" ")
    services.refuse_reception(officer=w.officer, dossier=dossier, reasons="Không thuộc thẩm quyền")
    assert dossier.state == DossierState.REFUSED and dossier.portal_status == 3


def test_withdraw_and_stop(world):
    w = world
    dossier = accepted(w)
    services.withdraw(user=w.citizen, dossier=dossier, reason="Nộp nhầm")
    assert dossier.portal_status == 7
    other = at_last_step(w)
    services.reject(official=w.leader, dossier=other, reasons="Không đủ điều kiện")
    assert other.portal_status == 8


def test_rating_is_allowed_once(world):
    from tinhso.core.errors import Conflict

    w = world
    dossier = at_last_step(w)
    services.approve(official=w.leader, dossier=dossier)
    services.rate(user=w.citizen, dossier=dossier, score=2)
    with pytest.raises(Conflict):
        services.rate(user=w.citizen, dossier=dossier, score=5)
    with pytest.raises(ValidationFailed):
        services.rate(user=w.citizen, dossier=at_approved(w), score=9)


def at_approved(w):
    dossier = at_last_step(w)
    return services.approve(official=w.leader, dossier=dossier)


def test_notifications_at_acceptance_supplement_extension_result(world):
    w = world
    with frozen(vn(2026, 3, 2, 9, 0)):
        dossier = accepted(w)
    templates = lambda: list(  # noqa: E731
        Message.objects.filter(related_object__contains=dossier.code).values_list(
            "template", flat=True
        )
    )
    assert templates().count("onestop_accepted") == 2  # e-mail + SMS
    with frozen(vn(2026, 3, 3, 9, 0)):
        services.request_supplement(official=w.officer, dossier=dossier, items=["Bản sao"])
        services.answer_supplement(user=w.citizen, dossier=dossier, note="Đã bổ sung")
    with frozen(vn(2026, 3, 4, 9, 0)):
        services.propose_extension(
            official=w.officer, dossier=dossier, new_due_date=date(2026, 3, 20), reason="Xác minh"
        )
        services.forward_to_next_step(official=w.officer, dossier=dossier, to_user=w.specialist)
        services.forward_to_next_step(official=w.specialist, dossier=dossier, to_user=w.leader)
        services.attach_result(official=w.leader, dossier=dossier, file=pdf_file("kq.pdf"))
        services.approve(official=w.leader, dossier=dossier)
        services.return_result(officer=w.officer, dossier=dossier)
    sent = templates()
    for template in ("onestop_supplement", "onestop_extension", "onestop_result"):
        assert sent.count(template) == 2, template
    body = Message.objects.filter(template="onestop_supplement", channel="email").first().body
    assert "Bản sao" in body


def test_counter_dossier_for_a_person_without_account_notifies_their_phone(world):
    w = world
    dossier = services.receive_counter_dossier(
        officer=w.officer,
        procedure=w.procedure,
        applicant_name="Lê Văn C",
        applicant_phone="0905111222",
        form_data={"ho_ten": "Lê Văn C"},
    )
    assert dossier.state == DossierState.ACCEPTED and dossier.channel == "counter"
    assert Message.objects.filter(address="0905111222", template="onestop_accepted").exists()
    with pytest.raises(PermissionDenied):
        services.receive_counter_dossier(
            officer=w.outsider_officer,
            procedure=w.procedure,
            applicant_name="X",
            form_data={"ho_ten": "Xy"},
        )


def test_invalid_eform_and_missing_papers_change_nothing(world):
    from tinhso.onestop.models import Dossier

    w = world
    with pytest.raises(ValidationFailed) as err:
        submit(w, form_data={"so_ban": 99})
    assert err.value.code == "eform_invalid"
    from tinhso.onestop.models import RequiredPaper

    RequiredPaper.objects.create(procedure=w.procedure, order=2, name="Giấy ủy quyền")
    with pytest.raises(ValidationFailed) as err:
        submit(w, attachments=[])  # the declaration is the e-form; the other paper is missing
    assert err.value.code == "missing_papers"
    assert err.value.details["missing"] == ["Giấy ủy quyền"]
    assert Dossier.objects.count() == 0


def test_file_type_and_size_limits(world, settings):
    from tinhso.onestop.models import Dossier
    from tinhso.onestop.services import files

    w = world
    exe = pdf_file("virus.exe")
    with pytest.raises(ValidationFailed) as err:
        submit(w, attachments=[services.Attachment(file=exe, paper=w.paper)])
    assert err.value.code == "file_type_not_allowed"
    fake = pdf_file("fake.pdf")
    fake.seek(0)
    fake.write(b"MZ not a pdf")
    with pytest.raises(ValidationFailed) as err:
        submit(w, attachments=[services.Attachment(file=fake, paper=w.paper)])
    assert err.value.code == "file_content_mismatch"
    big = pdf_file("big.pdf", b"0" * (files.MAX_BYTES + 1))
    with pytest.raises(ValidationFailed) as err:
        submit(w, attachments=[services.Attachment(file=big, paper=w.paper)])
    assert err.value.code == "file_too_large"
    assert Dossier.objects.count() == 0


def test_wallet_papers_are_stored_once_and_reused(world):
    w = world
    keep = [services.Attachment(file=pdf_file(), paper=w.paper, save_to_wallet=True)]
    first = submit(w, attachments=keep)
    item = WalletItem.objects.get(owner=w.citizen)
    # the same content again: no second wallet item, same stored file
    keep = [services.Attachment(file=pdf_file(), paper=w.paper, save_to_wallet=True)]
    second = submit(w, attachments=keep)
    assert WalletItem.objects.filter(owner=w.citizen).count() == 1
    third = submit(w, attachments=[services.Attachment(wallet_item=item, paper=w.paper)])
    names = {f.file.name for f in DossierFile.objects.filter(dossier__in=[first, second, third])}
    assert names == {item.file.name}
    assert len(item.sha256) == 64
    # another citizen cannot use it
    with pytest.raises(ValidationFailed) as err:
        submit(
            w, user=w.citizen2, attachments=[services.Attachment(wallet_item=item, paper=w.paper)]
        )
    assert err.value.code == "wallet_not_owner"


def test_leader_assigns_within_the_agency_only(world):
    w = world
    dossier = accepted(w)
    services.forward_to_next_step(official=w.officer, dossier=dossier)
    services.assign(official=w.leader, dossier=dossier, assignee=w.specialist2)
    assert dossier.assignee == w.specialist2
    with pytest.raises(ValidationFailed) as err:
        services.assign(official=w.leader, dossier=dossier, assignee=w.outsider)
    assert err.value.code == "assignee_outside_agency"
    with pytest.raises(PermissionDenied):
        services.assign(official=w.specialist, dossier=dossier, assignee=w.specialist)
    event = DossierEvent.objects.filter(dossier=dossier, action="assign").get()
    assert event.from_user == w.leader and event.to_user == w.specialist2


def test_inter_agency_step_hands_the_dossier_to_the_other_agency(world):
    from decimal import Decimal

    from tinhso.accounts.models import Role
    from tinhso.onestop import selectors
    from tinhso.onestop.models import ProcessStep, ProcessTemplate

    w = world
    w.template.is_active = False
    w.template.save()
    template = ProcessTemplate.objects.create(procedure=w.procedure, name="Liên thông")
    for order, (name, role, agency, days) in enumerate(
        [
            ("Tiếp nhận", Role.ONESTOP_OFFICER, None, "0.5"),
            ("Xác minh tại Sở Xây dựng", Role.SPECIALIST, w.other, "2.5"),
            ("Thẩm định", Role.SPECIALIST, None, "1"),
            ("Phê duyệt", Role.LEADER, None, "1"),
        ],
        start=1,
    ):
        ProcessStep.objects.create(
            template=template, order=order, name=name, role=role, agency=agency,
            budget_days=Decimal(days), kind="inter_agency" if agency else "processing",
        )  # fmt: skip
    dossier = accepted(w)
    services.forward_to_next_step(official=w.officer, dossier=dossier)
    assert dossier.handling_agency == w.other
    assert dossier in selectors.to_process(w.outsider)  # the other agency's specialist
    with pytest.raises(PermissionDenied):
        services.forward_to_next_step(official=w.specialist, dossier=dossier)
    services.forward_to_next_step(official=w.outsider, dossier=dossier, to_user=w.specialist)
    assert dossier.handling_agency == w.dept
    event = DossierEvent.objects.filter(dossier=dossier, action="forward").last()
    assert event.from_agency == w.other and event.to_agency == w.dept
