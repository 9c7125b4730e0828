"""What an applicant does with a dossier: submit, answer a supplement request, withdraw, rate.

The rules every use-case follows are in `common.py`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import transaction

from tinhso.accounts.rules import require
from tinhso.core.errors import Conflict, ValidationFailed
from tinhso.onestop import workflow
from tinhso.onestop.errors import OnestopError as E
from tinhso.onestop.models import (
    Channel,
    Dossier,
    DossierFile,
    IssuedForm,
    Procedure,
    Rating,
    RequiredPaper,
    ReturnMethod,
)
from tinhso.onestop.payments.services import cancel_pending, create_payment
from tinhso.onestop.services.clock import now as clock_now
from tinhso.onestop.services.common import (
    Attachment,
    S,
    _attach,
    _audit,
    _event,
    _step_due,
    _transition,
    notify_applicant,
)
from tinhso.onestop.services.forms_issued import declare_from_eform, issue_form
from tinhso.workdays.services import Calendar


def _validate_form(procedure: Procedure, form_data: Any) -> dict:
    schema = procedure.form_schema or {}
    if not schema:
        return dict(form_data or {})
    from tinhso.onestop.eforms import validate_form_data

    return validate_form_data(schema, form_data or {})


# ---------------------------------------------------------------------------------------
# What the e-form already says: the applicant's identity and contact, how the result is
# delivered. Asked once, in the e-form; the dossier's fields are filled from it.

PERSON_FIELDS = {
    "full_name": "name",
    "citizen_id": "id_number",
    "phone": "phone",
    "email": "email",
    "address": "address",
}


def person_block(schema: dict | None) -> str | None:
    """The e-form's block about the person who submits (the first group that has both a
    full name and an ID number, e.g. "applicant"), or None."""
    from tinhso.onestop.eforms import ordered_properties

    for name, prop in ordered_properties(schema or {}):
        if prop.get("type") == "object":
            props = prop.get("properties") or {}
            if "full_name" in props and "citizen_id" in props:
                return name
    return None


def person_fields(schema: dict | None) -> set[str]:
    """Which of name / id_number / phone / email / address the e-form's person block asks."""
    block = person_block(schema)
    if block is None:
        return set()
    props = ((schema or {}).get("properties") or {})[block].get("properties") or {}
    return {ours for theirs, ours in PERSON_FIELDS.items() if theirs in props}


def applicant_from_form(schema: dict | None, data: dict | None) -> dict[str, str]:
    """name / id_number / phone / email / address as the e-form gives them (what it has).

    Outside the person block, a top-level `contact_phone` or the first `phone`, `address`
    or `citizen_id` anywhere also count (forms of businesses, couples...)."""
    found: dict[str, str] = {}
    block = person_block(schema)
    if block and isinstance((data or {}).get(block), dict):
        for theirs, ours in PERSON_FIELDS.items():
            value = data[block].get(theirs)  # type: ignore[index]
            if isinstance(value, str) and value.strip():
                found[ours] = value.strip()

    def walk(node: Any) -> None:
        if not isinstance(node, dict):
            return
        for key, value in node.items():
            if isinstance(value, dict):
                walk(value)
            elif isinstance(value, str) and value.strip():
                if key in ("phone", "contact_phone"):
                    found.setdefault("phone", value.strip())
                elif key == "address":
                    found.setdefault("address", value.strip())
                elif key == "citizen_id":
                    found.setdefault("id_number", value.strip())

    walk({k: v for k, v in (data or {}).items() if k != "delivery"})
    return found


def delivery_from_form(data: dict | None) -> tuple[str | None, str]:
    """(return method, postal address) from the e-form's `delivery` block, if it has one."""
    delivery = (data or {}).get("delivery") if isinstance(data, dict) else None
    if isinstance(delivery, dict) and delivery.get("method") in ReturnMethod.values:
        return delivery["method"], str(delivery.get("post_address") or "")
    return None, ""


def eform_satisfied(paper: RequiredPaper, form_data: dict | None) -> bool:
    """The declaration paper is the e-form itself once the e-form is filled in."""
    return bool(paper.is_eform and form_data)


def _check_required_papers(
    procedure: Procedure, attachments: Sequence[Attachment], form_data: dict | None = None
) -> None:
    given = {a.paper.pk for a in attachments if a.paper is not None}
    missing = [
        p.name
        for p in procedure.papers.all()
        if p.is_required and p.pk not in given and not eform_satisfied(p, form_data)
    ]
    if missing:
        raise ValidationFailed(
            "Hồ sơ còn thiếu giấy tờ bắt buộc: " + "; ".join(missing) + ".",
            code=E.MISSING_PAPERS,
            details={"missing": missing},
        )


def _resolve_agencies(procedure: Procedure, agency) -> tuple[Any, Any]:
    from tinhso.onestop.selectors import competent_agencies

    competent = procedure.agency or agency
    if competent is None:
        raise ValidationFailed("Vui lòng chọn cơ quan giải quyết hồ sơ.", code=E.AGENCY_REQUIRED)
    if agency is not None and not competent_agencies(procedure).filter(pk=agency.pk).exists():
        # e.g. a commune procedure sent to a department, or to a closed commune
        raise ValidationFailed(
            "Cơ quan đã chọn không giải quyết thủ tục này.", code=E.AGENCY_MISMATCH
        )
    receiving = procedure.receiving_agency or competent
    return competent, receiving


def _new_dossier(
    *,
    procedure: Procedure,
    competent,
    receiving,
    channel: str,
    applicant,
    submitted_by,
    applicant_name: str,
    applicant_id_number: str,
    applicant_phone: str,
    applicant_email: str,
    applicant_address: str,
    form_data: dict,
    return_method: str,
    postal_address: str,
    at: datetime,
) -> Dossier:
    if not (applicant_name or "").strip():
        raise ValidationFailed("Vui lòng nhập họ tên người nộp hồ sơ.", code=E.APPLICANT_REQUIRED)
    if applicant_email:
        try:
            if len(applicant_email) > (Dossier._meta.get_field("applicant_email").max_length or 0):
                raise DjangoValidationError("too long")
            validate_email(applicant_email)
        except DjangoValidationError:
            raise ValidationFailed(
                "Địa chỉ thư điện tử không hợp lệ.", code="invalid_email"
            ) from None
    # one answer to "how is the result delivered": the e-form's, when it asks
    method, post_address = delivery_from_form(form_data)
    if method is not None:
        return_method = method
        postal_address = post_address or postal_address
    if return_method not in ReturnMethod.values:
        raise ValidationFailed("Hình thức nhận kết quả không hợp lệ.", code=E.INVALID_RETURN)
    if return_method == ReturnMethod.POST and not (postal_address or applicant_address):
        raise ValidationFailed(
            "Vui lòng nhập địa chỉ nhận kết quả qua bưu chính.", code=E.POSTAL_ADDRESS_REQUIRED
        )
    template = procedure.active_process()
    return Dossier.objects.create(
        procedure=procedure,
        field_id=procedure.field_id,
        process_template=template,
        agency=competent,
        receiving_agency=receiving,
        channel=channel,
        online_type=procedure.online_type if channel == Channel.ONLINE else "",
        state=S.SUBMITTED,
        applicant=applicant,
        submitted_by=submitted_by,
        applicant_name=applicant_name.strip(),
        applicant_id_number=(applicant_id_number or "").strip(),
        applicant_phone=(applicant_phone or "").strip(),
        applicant_email=(applicant_email or "").strip(),
        applicant_address=(applicant_address or "").strip(),
        form_data=form_data,
        submitted_at=at,
        fee_vnd=procedure.fee_vnd,
        return_method=return_method,
        postal_address=postal_address or "",
    )


@transaction.atomic
def submit_dossier(
    *,
    user,
    procedure: Procedure,
    form_data: dict | None = None,
    attachments: Sequence[Attachment] = (),
    agency=None,
    applicant_name: str = "",
    applicant_id_number: str = "",
    applicant_phone: str = "",
    applicant_email: str = "",
    applicant_address: str = "",
    return_method: str = ReturnMethod.ONLINE,
    postal_address: str = "",
) -> Dossier:
    """A citizen submits a dossier online (status 1). A fee creates a pending payment."""
    if not getattr(user, "is_authenticated", False):
        from tinhso.core.errors import PermissionDenied

        raise PermissionDenied("Vui lòng đăng nhập để nộp hồ sơ trực tuyến.")
    if not procedure.is_active:
        raise ValidationFailed("Thủ tục này hiện không áp dụng.", code=E.PROCEDURE_INACTIVE)
    require(user, "onestop.submit_dossier", procedure)
    cleaned = _validate_form(procedure, form_data)
    _check_required_papers(procedure, attachments, cleaned)
    competent, receiving = _resolve_agencies(procedure, agency)
    said = applicant_from_form(procedure.form_schema, cleaned)  # declared once, in the e-form
    at = clock_now()
    dossier = _new_dossier(
        procedure=procedure,
        competent=competent,
        receiving=receiving,
        channel=Channel.ONLINE,
        applicant=user,
        submitted_by=user,
        applicant_name=applicant_name or user.full_name or said.get("name") or user.username,
        applicant_id_number=applicant_id_number
        or said.get("id_number")
        or (user.citizen_id or user.tax_code or ""),
        applicant_phone=applicant_phone or said.get("phone") or user.phone,
        applicant_email=applicant_email or said.get("email") or user.email,
        applicant_address=applicant_address or said.get("address", ""),
        form_data=cleaned,
        return_method=return_method,
        postal_address=postal_address,
        at=at,
    )
    _attach(dossier, attachments, kind=DossierFile.Kind.PAPER, actor=user, owner=user)
    declare_from_eform(dossier, actor=user)  # the tờ khai, from the e-form: not uploaded
    if procedure.fee_vnd:
        create_payment(dossier=dossier, amount_vnd=procedure.fee_vnd, purpose="fee")
    _event(dossier, action="submit", actor=user, at=at, to_agency=receiving)
    _audit(user, "submit_dossier", dossier, agency=receiving.pk, procedure=procedure.code)
    return dossier


@transaction.atomic
def answer_supplement(
    *,
    user,
    dossier: Dossier,
    attachments: Sequence[Attachment] = (),
    note: str = "",
    form_data: dict | None = None,
    version: int | None = None,
) -> Dossier:
    """The citizen (or the counter officer on their behalf) completes the dossier.

    At reception it goes back to the reception queue; during processing it resumes and
    the clock restarts from zero: the appointment is recomputed from now."""
    workflow.check("answer_supplement", user, dossier)
    supplement = dossier.supplements.filter(answered_at__isnull=True).order_by("-pk").first()
    assert supplement is not None  # the workflow's guard
    if not attachments and not note.strip() and form_data is None:
        raise ValidationFailed(
            "Vui lòng đính kèm giấy tờ bổ sung hoặc ghi nội dung bổ sung.",
            code=E.SUPPLEMENT_EMPTY,
        )
    at = clock_now()
    changes: dict[str, Any] = {}
    if form_data is not None:
        changes["form_data"] = _validate_form(dossier.procedure, form_data)
    if dossier.state == S.RECEPTION_SUPPLEMENT:
        _transition(
            dossier,
            allowed=(S.RECEPTION_SUPPLEMENT,),  # of workflow.states("answer_supplement")
            action_label="bổ sung hồ sơ",
            version=version,
            state=S.SUBMITTED,
            **changes,
        )
    else:
        cal = Calendar()
        due = cal.add_working_days(at, dossier.procedure.processing_days)
        dossier.clock_started_at = at
        dossier.paused_days = Decimal("0")
        _transition(
            dossier,
            allowed=(S.SUPPLEMENT,),
            action_label="bổ sung hồ sơ",
            version=version,
            state=S.PROCESSING,
            clock_started_at=at,
            clock_restarted=True,
            due_at=due,
            original_due_at=due,
            paused_at=None,
            paused_days=Decimal("0"),
            step_due_at=_step_due(cal, dossier, dossier.current_step),
            **changes,
        )
    owner = dossier.applicant if dossier.applicant_id else None
    _attach(dossier, attachments, kind=DossierFile.Kind.SUPPLEMENT, actor=user, owner=owner)
    supplement.answered_at = at
    supplement.answer_note = note
    supplement.save(update_fields=["answered_at", "answer_note"])
    event = _event(dossier, action="answer_supplement", actor=user, at=at, note=note)
    if dossier.state == S.PROCESSING:
        # the clock restarted: a new form 01 with every paper so far and the new date
        issue_form(dossier, IssuedForm.Number.RECEIPT, event=event)
        notify_applicant(dossier, "onestop_restarted")
    # audit last: the chain-head lock is then held only until commit
    _audit(user, "answer_supplement", dossier, files=len(attachments))
    return dossier


@transaction.atomic
def withdraw(*, user, dossier: Dossier, reason: str = "", version: int | None = None) -> Dossier:
    """The applicant withdraws the dossier (status 7)."""
    workflow.check("withdraw", user, dossier)
    at = clock_now()
    _transition(
        dossier,
        allowed=workflow.states("withdraw"),
        action_label="rút hồ sơ",
        version=version,
        state=S.WITHDRAWN,
        withdraw_reason=reason,
        finished_at=at,
        assignee=None,
    )
    event = _event(dossier, action="withdraw", actor=user, at=at, note=reason)
    cancel_pending(dossier=dossier, actor=user, reason="withdrawn")
    if dossier.code:  # accepted: the process-control slip as it ended
        issue_form(dossier, IssuedForm.Number.CONTROL, event=event)
    _audit(user, "withdraw", dossier, reason=reason)
    return dossier


@transaction.atomic
def rate(*, user, dossier: Dossier, score: int, comment: str = "") -> Rating:
    """The applicant rates the handling once, after the result (or a stop)."""
    workflow.check("rate", user, dossier)
    try:
        score = int(score)
    except (TypeError, ValueError) as exc:
        raise ValidationFailed("Điểm đánh giá phải từ 1 đến 5.", code=E.INVALID_SCORE) from exc
    if not 1 <= score <= 5:
        raise ValidationFailed("Điểm đánh giá phải từ 1 đến 5.", code=E.INVALID_SCORE)
    from django.db import IntegrityError

    try:
        with transaction.atomic():
            rating = Rating.objects.create(
                dossier=dossier, user=user, score=score, comment=(comment or "").strip()
            )
    except IntegrityError as exc:
        raise Conflict("Hồ sơ này đã được đánh giá.", code=E.ALREADY_RATED) from exc
    _audit(user, "rate", dossier, score=score)
    return rating
