"""Forms 01–05 as issued: frozen when their event happens, rendered once, served as stored.

`issue_form` runs inside the use-case's transaction (accept → 01, supplement request → 02,
refusal → 03, extension → 04, the end of a processed dossier → 05, and a new 01 when a
supplement restarts the clock). It freezes what the form says — the papers as received
so far, the appointment as it is at that moment — in `IssuedForm.content`, and after
commit asks the worker to render the PDF (`render_issued_form`, a django-tasks task).
The PDF is stored with its SHA-256 by a conditional UPDATE: a form is rendered once, a
rendered form is never rewritten, and a later event makes a new row.

If someone asks for a form before the worker got to it (the counter officer printing
form 01 right away), `stored_pdf` renders it from the same frozen content and stores it
through the same conditional UPDATE — there is still one file per issued form.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.core.files.storage import default_storage
from django.db import transaction

from tinhso.onestop import pdf
from tinhso.onestop.models import (
    Dossier,
    DossierEvent,
    DossierFile,
    Extension,
    IssuedForm,
    ReceivedPaper,
    SupplementRequest,
)
from tinhso.onestop.services import files as file_store
from tinhso.onestop.services.clock import now as clock_now
from tinhso.workdays.services import VN

logger = logging.getLogger(__name__)
N = IssuedForm.Number


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _person_name(user) -> str:
    if user is None:
        return ""
    return getattr(user, "full_name", "") or getattr(user, "username", "") or str(user)


def _agency(agency) -> dict[str, str]:
    if agency is None:
        return {"name": "", "parent": ""}
    parent = agency.parent if agency.parent_id else None
    return {"name": agency.name, "parent": parent.name if parent is not None else ""}


def _common(dossier: Dossier, *, agency=None) -> dict[str, Any]:
    procedure = dossier.procedure
    return {
        "agency": _agency(agency or dossier.receiving_agency),
        "code": dossier.code or "",
        "applicant": {
            "name": dossier.applicant_name,
            "id_number": dossier.applicant_id_number,
            "address": dossier.applicant_address,
            "phone": dossier.applicant_phone,
            "email": dossier.applicant_email,
        },
        "procedure": {
            "name": procedure.name,
            "code": procedure.code,
            "processing_days": str(procedure.processing_days),
        },
    }


def _local_day(moment: datetime) -> str:
    return moment.astimezone(VN).strftime("%d/%m/%Y")


def receipt_papers(dossier: Dossier) -> list[dict[str, Any]]:
    """What form 01 lists: the papers handed in (counter: with originals and copies), the
    files of an online dossier, the e-form declaration, and every supplement so far."""
    rows: list[dict[str, Any]] = []
    covered: set[int] = set()
    for paper in ReceivedPaper.objects.filter(dossier=dossier).order_by("received_at", "pk"):
        note = ""
        if paper.stage == ReceivedPaper.Stage.SUPPLEMENT:
            note = f"bổ sung ngày {_local_day(paper.received_at)}"
        rows.append(
            {
                "name": paper.name,
                "originals": paper.originals,
                "copies": paper.copies,
                "note": note,
            }
        )
        if paper.required_paper_id:
            covered.add(paper.required_paper_id)
    files = DossierFile.objects.filter(
        dossier=dossier, kind__in=(DossierFile.Kind.PAPER, DossierFile.Kind.SUPPLEMENT)
    ).order_by("created_at", "pk")
    for item in files:
        if item.required_paper_id and item.required_paper_id in covered:
            continue  # the scan of a paper handed in: listed once, as the paper
        note = "bản điện tử"
        if item.origin == DossierFile.Origin.EFORM:
            note = "tờ khai điện tử"
        if item.kind == DossierFile.Kind.SUPPLEMENT:
            note += ", nộp bổ sung"
        rows.append({"name": item.name, "originals": 0, "copies": 0, "note": note})
        if item.required_paper_id:
            covered.add(item.required_paper_id)
    if dossier.form_data:
        for declaration in dossier.procedure.papers.all():  # prefetched by the caller
            if declaration.is_eform and declaration.pk not in covered:
                rows.append(
                    {
                        "name": declaration.name,
                        "originals": 0,
                        "copies": 0,
                        "note": "tờ khai điện tử",
                    }
                )
    return rows


def _receipt_content(dossier: Dossier) -> dict[str, Any]:
    content = _common(dossier)
    previous = (
        IssuedForm.objects.filter(dossier=dossier, number=N.RECEIPT)
        .order_by("-issued_at", "-pk")
        .first()
    )
    content.update(
        papers=receipt_papers(dossier),
        received_at=_iso(dossier.received_at),
        clock_started_at=_iso(dossier.clock_started_at),
        appointment=_iso(dossier.due_at),
        return_method=str(dossier.get_return_method_display()),
        postal_address=dossier.postal_address if dossier.return_method == "post" else "",
        fee_vnd=dossier.fee_vnd,
        fee_paid=dossier.fee_paid,
        received_by=_person_name(dossier.received_by),
    )
    if previous is not None:
        content["replaces"] = _iso(previous.issued_at)
        content["reissue_reason"] = (
            "hồ sơ đã được bổ sung đầy đủ; thời hạn giải quyết tính lại từ đầu."
        )
    return content


def _supplement_content(dossier: Dossier, supplement: SupplementRequest) -> dict[str, Any]:
    content = _common(dossier)
    content.update(
        items=list(supplement.items or []),
        note=supplement.note,
        stage=supplement.stage,
        requested_at=_iso(supplement.requested_at),
        requested_by=_person_name(supplement.requested_by),
    )
    return content


def _refusal_content(dossier: Dossier, *, officer) -> dict[str, Any]:
    content = _common(dossier)
    reasons = [line.strip() for line in (dossier.refusal_reasons or "").splitlines()]
    content.update(
        reasons=[r for r in reasons if r],
        refused_at=_iso(dossier.finished_at),
        officer=_person_name(officer),
    )
    return content


def _apology_content(dossier: Dossier, extension: Extension) -> dict[str, Any]:
    content = _common(dossier, agency=dossier.agency)
    content.update(
        received_at=_iso(dossier.received_at),
        old_due_at=_iso(extension.old_due_at),
        new_due_at=_iso(extension.new_due_at),
        reason=extension.reason,
        apology=extension.apology,
        proposed_at=_iso(extension.created_at),
    )
    return content


def _with_agency(name: str, agency_name: str, other: str) -> str:
    return name + (f" ({agency_name})" if agency_name and agency_name != other else "")


def control_lines(dossier: Dossier) -> list[dict[str, Any]]:
    """The form-05 lines: every action and hand-over, with labels as of now."""
    events = (
        DossierEvent.objects.filter(dossier=dossier)
        .order_by("at", "pk")
        .values(
            "at",
            "action",
            "step_name",
            "from_name",
            "to_name",
            "from_agency__name",
            "to_agency__name",
            "step_due_at",
            "on_time",
            "note",
        )
    )
    lines = []
    for event in events:
        from_agency = event["from_agency__name"] or ""
        to_agency = event["to_agency__name"] or ""
        label = pdf.action_label(event["action"])
        lines.append(
            {
                "at": _iso(event["at"]),
                "label": label + (f" — {event['step_name']}" if event["step_name"] else ""),
                "from": _with_agency(event["from_name"], from_agency, to_agency),
                "to": _with_agency(event["to_name"], to_agency, from_agency),
                "step_due_at": _iso(event["step_due_at"]),
                "on_time": event["on_time"],
                "note": event["note"],
            }
        )
    return lines


def _control_content(dossier: Dossier) -> dict[str, Any]:
    content = _common(dossier)
    content.update(
        received_at=_iso(dossier.received_at),
        due_at=_iso(dossier.due_at),
        events=control_lines(dossier),
        timeliness=str(dossier.get_timeliness_display()) if dossier.timeliness else "",
    )
    return content


def provisional_control_slip(dossier: Dossier) -> bytes:
    """Form 05 of a dossier still being processed, as it stands now, marked as a preview:
    not stored and not issued (the slip is issued when the dossier ends)."""
    content = _control_content(dossier)
    content["provisional"] = _iso(clock_now())
    return pdf.control_slip_pdf(content)


def issue_form(
    dossier: Dossier,
    number: str,
    *,
    event: DossierEvent | None = None,
    at: datetime | None = None,
    supplement: SupplementRequest | None = None,
    extension: Extension | None = None,
    officer=None,
) -> IssuedForm:
    """Freeze form `number` of `dossier` as it stands now; render it after commit."""
    if number == N.RECEIPT:
        content = _receipt_content(dossier)
    elif number == N.SUPPLEMENT:
        if supplement is None:
            raise ValueError("form 02 needs its supplement request")
        content = _supplement_content(dossier, supplement)
    elif number == N.REFUSAL:
        content = _refusal_content(dossier, officer=officer)
    elif number == N.APOLOGY:
        if extension is None:
            raise ValueError("form 04 needs its extension")
        content = _apology_content(dossier, extension)
    elif number == N.CONTROL:
        content = _control_content(dossier)
    else:
        raise ValueError(f"unknown form {number}")
    form = IssuedForm.objects.create(
        dossier=dossier,
        number=number,
        event=event,
        action=event.action if event is not None else "",
        issued_at=at or (event.at if event is not None else clock_now()),
        content=content,
    )
    form_id = form.pk
    transaction.on_commit(lambda: schedule_render(form_id))
    return form


def schedule_render(form_id: int) -> None:
    """Ask the worker to render one issued form (after the commit that issued it)."""
    from tinhso.onestop.tasks import render_issued_form_task

    try:
        render_issued_form_task.enqueue(form_id)
    except Exception:  # the form is rendered on first download anyway; never fail the caller
        logger.exception("could not enqueue the rendering of issued form %s", form_id)


def render_issued_form(form_id: int) -> str:
    """Render and store one issued form's PDF, once. Returns what happened."""
    form = IssuedForm.objects.select_related("dossier").filter(pk=form_id).first()
    if form is None:
        return "missing"
    if form.sha256:
        return "already_rendered"
    data = pdf.render_form(form.number, form.content)
    code = (form.content.get("code") or str(form.dossier.uid)).replace("/", "-")
    stored = file_store.store_bytes(data, folder="forms", filename=f"mau-{form.number}-{code}.pdf")
    updated = IssuedForm.objects.filter(pk=form.pk, sha256="").update(
        file=stored.name, sha256=stored.sha256, size=stored.size, rendered_at=clock_now()
    )
    if not updated:  # someone else stored it first: theirs is the one issued
        default_storage.delete(stored.name)
        return "already_rendered"
    return "rendered"


def stored_pdf(form: IssuedForm) -> IssuedForm:
    """The issued form with its stored file (rendered now if the worker has not yet)."""
    if not form.sha256:
        render_issued_form(form.pk)
        form.refresh_from_db()
    return form


# ---------------------------------------------------------------------------------------
# The declaration (tờ khai) generated from the e-form: the procedure's e-form paper


def declare_from_eform(dossier: Dossier, *, actor, by_officer: bool = False) -> bool:
    """Inside the submission's transaction: freeze what the applicant declared and, after
    commit, have the worker render it as the dossier's e-form paper (a PDF file with
    origin EFORM). Nothing happens when the procedure has no e-form paper, the e-form is
    empty, or a file was given for that paper. Returns whether one was scheduled."""
    from tinhso.onestop.eforms import summarise

    paper = next((p for p in dossier.procedure.papers.all() if p.is_eform), None)
    if paper is None or not dossier.form_data:
        return False
    if DossierFile.objects.filter(dossier=dossier, required_paper=paper).exists():
        return False
    schema = dossier.procedure.form_schema or {}
    how = (
        "(cán bộ một cửa nhập theo lời khai; người khai ký tên trên bản in)"
        if by_officer
        else f"(đã xác nhận khi nộp trực tuyến bằng tài khoản {getattr(actor, 'username', '')})"
    )
    content = {
        "title": schema.get("title") or paper.name,
        "procedure": {"name": dossier.procedure.name, "code": dossier.procedure.code},
        "agency": dossier.receiving_agency.name,
        "rows": [list(row) for row in summarise(schema, dossier.form_data)],
        "declarant": dossier.applicant_name,
        "how": how,
        "declared_at": _iso(dossier.submitted_at),
        "tracking_code": dossier.tracking_code or "",
    }
    dossier_id, paper_id = dossier.pk, paper.pk
    transaction.on_commit(lambda: _schedule_declaration(dossier_id, paper_id, content))
    return True


def _schedule_declaration(dossier_id: int, paper_id: int, content: dict) -> None:
    from tinhso.onestop.tasks import render_declaration_task

    try:
        render_declaration_task.enqueue(dossier_id, paper_id, content)
    except Exception:  # the dossier is complete without it (the e-form data is the record)
        logger.exception("could not enqueue the declaration of dossier %s", dossier_id)


def render_declaration(dossier_id: int, paper_id: int, content: dict) -> str:
    """Render and attach the declaration PDF, once per dossier."""
    dossier = Dossier.objects.filter(pk=dossier_id).first()
    paper = dossier.procedure.papers.filter(pk=paper_id).first() if dossier else None
    if dossier is None or paper is None:
        return "missing"
    if DossierFile.objects.filter(dossier=dossier, required_paper=paper).exists():
        return "already_attached"
    data = pdf.declaration_pdf(content)
    code = (dossier.tracking_code or str(dossier.uid)).replace("/", "-")
    stored = file_store.store_bytes(data, folder="dossiers", filename=f"to-khai-{code}.pdf")
    with transaction.atomic():
        Dossier.objects.select_for_update().filter(pk=dossier.pk).first()  # one at a time
        if DossierFile.objects.filter(dossier=dossier, required_paper=paper).exists():
            transaction.on_commit(lambda: default_storage.delete(stored.name))
            return "already_attached"
        DossierFile.objects.create(
            dossier=dossier,
            kind=DossierFile.Kind.PAPER,
            required_paper=paper,
            name=paper.name,
            file=stored.name,
            original_name=stored.original_name,
            sha256=stored.sha256,
            size=stored.size,
            content_type=stored.content_type,
            origin=DossierFile.Origin.EFORM,
            uploaded_by=dossier.submitted_by,
        )
    return "rendered"
