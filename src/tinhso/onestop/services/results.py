"""The outcome: approve or refuse, attach the result, return it to the applicant.

The rules every use-case follows are in `common.py`.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from tinhso.core.errors import ValidationFailed
from tinhso.onestop import workflow
from tinhso.onestop.errors import OnestopError as E
from tinhso.onestop.models import (
    Dossier,
    DossierFile,
    ReturnMethod,
    WalletItem,
)
from tinhso.onestop.payments.services import cancel_pending
from tinhso.onestop.services import files as file_store
from tinhso.onestop.services.clock import now as clock_now
from tinhso.onestop.services.common import (
    S,
    _audit,
    _event,
    _transition,
    notify_applicant,
    timeliness_of,
)


def latest_draft(dossier: Dossier) -> DossierFile | None:
    """The result file the leader will sign (the newest one attached)."""
    return dossier.files.filter(kind=DossierFile.Kind.RESULT).order_by("-pk").first()


@transaction.atomic
def approve(
    *,
    official,
    dossier: Dossier,
    result_summary: str = "",
    note: str = "",
    version: int | None = None,
) -> Dossier:
    """The leader approves the result (status 9). Early/on time/late is fixed now."""
    workflow.check("approve", official, dossier)
    at = clock_now()
    left, left_due = dossier.current_step, dossier.step_due_at
    _transition(
        dossier,
        allowed=workflow.states("approve"),
        action_label="phê duyệt",
        version=version,
        state=S.APPROVED,
        result_at=at,
        timeliness=timeliness_of(at, dossier.due_at),
        result_summary=result_summary or dossier.result_summary,
        handling_agency=dossier.receiving_agency,
        assignee=None,
    )
    _event(
        dossier,
        action="approve",
        actor=official,
        at=at,
        to_agency=dossier.receiving_agency,
        step=left,
        step_due_at=left_due,
        on_time=(left_due is None or at <= left_due),
        note=note,
    )
    _audit(official, "approve", dossier, timeliness=dossier.timeliness)
    return dossier


@transaction.atomic
def reject(*, official, dossier: Dossier, reasons: str, version: int | None = None) -> Dossier:
    """Stop processing with reasons (status 8); the applicant is told why."""
    workflow.check("reject", official, dossier)
    if not (reasons or "").strip():
        raise ValidationFailed("Vui lòng nêu rõ lý do dừng xử lý.", code=E.REASONS_REQUIRED)
    at = clock_now()
    _transition(
        dossier,
        allowed=workflow.states("reject"),
        action_label="dừng xử lý",
        version=version,
        state=S.STOPPED,
        stop_reasons=reasons.strip(),
        result_at=at,
        finished_at=at,
        assignee=None,
    )
    _event(dossier, action="stop", actor=official, at=at, step=dossier.current_step, note=reasons)
    notify_applicant(dossier, "onestop_stopped", reasons=reasons)
    cancel_pending(dossier=dossier, actor=official, reason="stopped")
    # audit last: the chain-head lock is then held only until commit
    _audit(official, "reject", dossier, reasons=reasons)
    return dossier


@transaction.atomic
def attach_result(
    *, official, dossier: Dossier, file: Any, name: str = "Kết quả giải quyết"
) -> DossierFile:
    """Attach the result document (a PDF, later digitally signed)."""
    workflow.check("attach_result", official, dossier)
    if file is None:
        raise ValidationFailed("Vui lòng chọn tệp kết quả (PDF).", code=E.FILE_REQUIRED)
    stored = file_store.store(file, folder="results", allowed={"pdf": file_store.ALLOWED["pdf"]})
    result = DossierFile.objects.create(
        dossier=dossier,
        kind=DossierFile.Kind.RESULT,
        name=name,
        file=stored.name,
        original_name=stored.original_name,
        sha256=stored.sha256,
        size=stored.size,
        content_type=stored.content_type,
        uploaded_by=official,
    )
    _event(dossier, action="attach_result", actor=official, at=clock_now(), note=name)
    _audit(official, "attach_result", dossier, sha256=stored.sha256)
    return result


@transaction.atomic
def return_result(
    *,
    officer,
    dossier: Dossier,
    method: str | None = None,
    note: str = "",
    version: int | None = None,
) -> Dossier:
    """Return the result (status 10) at the counter, online or by post. Result files go
    to the applicant's wallet."""
    workflow.check("return_result", officer, dossier)
    method = method or dossier.return_method
    if method not in ReturnMethod.values:
        raise ValidationFailed("Hình thức trả kết quả không hợp lệ.", code=E.INVALID_RETURN)
    results = list(dossier.files.filter(kind=DossierFile.Kind.RESULT))
    if method == ReturnMethod.ONLINE and not results:
        raise ValidationFailed(
            "Trả kết quả trực tuyến cần tệp kết quả điện tử.", code=E.RESULT_FILE_REQUIRED
        )
    at = clock_now()
    _transition(
        dossier,
        allowed=workflow.states("return_result"),
        action_label="trả kết quả",
        version=version,
        state=S.RETURNED,
        returned_at=at,
        finished_at=at,
        return_method=method,
        handling_agency=dossier.receiving_agency,
    )
    if dossier.applicant_id is not None:
        for result in results:
            wallet, _ = WalletItem.objects.get_or_create(
                owner_id=dossier.applicant_id,
                sha256=result.sha256,
                defaults=dict(
                    name=f"{result.name} — {dossier.procedure.name}"[:500],
                    source=WalletItem.Source.RESULT,
                    file=result.file.name,
                    original_name=result.original_name,
                    size=result.size,
                    content_type=result.content_type,
                    source_dossier=dossier,
                ),
            )
            if result.wallet_item_id is None:
                DossierFile.objects.filter(pk=result.pk).update(wallet_item=wallet)
    _event(dossier, action="return", actor=officer, at=at, note=note or method)
    notify_applicant(
        dossier, "onestop_result", method=ReturnMethod(method).label, timeliness=dossier.timeliness
    )
    # audit last: the chain-head lock is then held only until commit
    _audit(officer, "return_result", dossier, method=method)
    return dossier
