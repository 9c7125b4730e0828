"""The outcome: approve or refuse, attach the result, return it to the applicant.

The rules every use-case follows are in `common.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
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
from tinhso.onestop.services.forms_issued import issue_form


class SigningMethod(StrEnum):
    """How the approving leader signs the result (the same choices as documents)."""

    CERTIFICATE = "certificate"  # a key the platform holds: encrypted on the server or PKCS#11
    TOKEN = "token"  # the leader's own USB token, through the signing client


@dataclass(frozen=True)
class SigningOption:
    method: str
    certificate: Any  # tinhso.signing.models.Certificate
    label: str  # names the method and the certificate, for the confirmation


def latest_draft(dossier: Dossier) -> DossierFile | None:
    """The result draft the leader will sign: the newest one attached."""
    return dossier.files.filter(kind=DossierFile.Kind.RESULT_DRAFT).order_by("-pk").first()


def signing_options(user, agency) -> list[SigningOption]:
    """The ways `user` can sign a result of `agency` now: a certificate the platform holds
    (server key or PKCS#11: what `signing.sign_pdf` would use), and/or a USB token."""
    from django.utils import timezone

    from tinhso.core.errors import DomainError
    from tinhso.signing.models import Certificate
    from tinhso.signing.services.sign import select_certificate

    options: list[SigningOption] = []
    try:
        held = select_certificate(owner_user=user, agency=agency)
    except DomainError:
        held = None
    if held is not None:
        where = (
            "khóa bí mật lưu trên thiết bị ký HSM/token của máy chủ (PKCS#11)"
            if held.storage == Certificate.Storage.PKCS11
            else "khóa bí mật lưu mã hóa trên máy chủ"
        )
        options.append(
            SigningOption(
                SigningMethod.CERTIFICATE,
                held,
                f"Chứng thư số {held.common_name} do {_issuer(held)} cấp, {where}",
            )
        )
    now = timezone.now()
    token = (
        Certificate.objects.filter(
            owner_user=user,
            kind=Certificate.Kind.PERSONAL,
            storage=Certificate.Storage.REMOTE,
            status=Certificate.Status.ACTIVE,
            not_before__lte=now,
            not_after__gt=now,
        )
        .order_by("-not_after")
        .first()
    )
    if token is not None:
        options.append(
            SigningOption(
                SigningMethod.TOKEN,
                token,
                f"USB token của bạn: chứng thư số {token.common_name} do {_issuer(token)} cấp, "
                "ký bằng ứng dụng ký số trên máy tính",
            )
        )
    return options


def _issuer(cert) -> str:
    issuer = getattr(cert, "issuer_ca", None)
    return getattr(issuer, "common_name", "") or cert.issuer


def seal_certificate(agency):
    """The agency's certificate for its digital seal, or None."""
    from tinhso.core.errors import DomainError
    from tinhso.signing.services.sign import select_certificate

    try:
        return select_certificate(owner_agency=agency)
    except DomainError:
        return None


def _read(item: DossierFile) -> bytes:
    from django.core.files.storage import default_storage

    with default_storage.open(item.file.name or "", "rb") as handle:
        return handle.read()


def _reason(dossier: Dossier) -> str:
    return f"Phê duyệt kết quả giải quyết hồ sơ {dossier.display_code}"


def _sign(*, official, dossier: Dossier, draft: DossierFile, signing: str) -> tuple[bytes, str]:
    """The draft signed by the approving leader (and sealed when the procedure's result
    carries the agency's seal); with the words naming how."""
    from tinhso.signing.services import sign_pdf

    agency = dossier.agency
    if signing == SigningMethod.CERTIFICATE:
        signed = sign_pdf(
            pdf=_read(draft),
            signer=official,
            kind="personal",
            agency=agency,
            reason=_reason(dossier),
            location=agency.name,
        )
        how = "ký số bằng chứng thư số do hệ thống quản lý"
    elif signing == SigningMethod.TOKEN:
        signed = _token_signed(official=official, dossier=dossier, draft=draft)
        how = "ký số bằng USB token của người ký"
    else:
        raise ValidationFailed("Cách ký số không hợp lệ.", code=E.INVALID_SIGNING_METHOD)
    if dossier.procedure.result_needs_seal:
        signed = sign_pdf(
            pdf=signed,
            signer=official,
            kind="seal",
            agency=agency,
            reason=f"Ban hành kết quả giải quyết hồ sơ {dossier.display_code}",
            location=agency.name,
        )
        how += f"; đóng dấu (chữ ký số) {agency.name}"
    return signed, how


def _token_signed(*, official, dossier: Dossier, draft: DossierFile) -> bytes:
    """The PDF the leader's USB token signed in the session prepared for this draft."""
    from tinhso.signing.models import RemoteSigningSession

    session = (
        RemoteSigningSession.objects.filter(uid=dossier.signing_session, user=official).first()
        if dossier.signing_session
        else None
    )
    if session is None:
        raise ValidationFailed(
            "Chưa chuẩn bị ký bằng USB token cho kết quả này: bấm “Chuẩn bị ký bằng USB token” "
            "rồi ký bằng ứng dụng ký số trên máy tính.",
            code=E.SIGNING_NOT_PREPARED,
        )
    if session.status != RemoteSigningSession.Status.COMPLETED or not session.signed_pdf:
        raise ValidationFailed(
            "Ứng dụng ký số chưa gửi chữ ký về: hãy ký phiên này bằng USB token rồi hoàn tất.",
            code=E.SIGNING_PENDING,
        )
    signed = bytes(session.signed_pdf)
    if not signed.startswith(_read(draft)):
        raise ValidationFailed(
            "Tệp đã ký không phải dự thảo kết quả hiện tại; vui lòng chuẩn bị ký lại.",
            code=E.SIGNED_RESULT_MISMATCH,
        )
    return signed


def token_state(dossier: Dossier, user, draft: DossierFile | None) -> str:
    """The USB-token signature of the current draft: "" (none prepared), "pending" (the
    token has not signed yet) or "signed" (ready to approve)."""
    from tinhso.signing.models import RemoteSigningSession

    if not dossier.signing_session or draft is None:
        return ""
    session = RemoteSigningSession.objects.filter(uid=dossier.signing_session, user=user).first()
    if session is None:
        return ""
    if session.status == RemoteSigningSession.Status.COMPLETED and session.signed_pdf:
        return "signed" if bytes(session.signed_pdf).startswith(_read(draft)) else ""
    return "pending"


def token_session(dossier: Dossier, user) -> dict[str, Any] | None:
    """The pending token session of the dossier's result, as the signing client needs it."""
    import base64
    import hashlib

    from django.utils import timezone

    from tinhso.signing.models import RemoteSigningSession

    if not dossier.signing_session:
        return None
    session = RemoteSigningSession.objects.filter(uid=dossier.signing_session, user=user).first()
    if session is None:
        return None
    from tinhso.signing import ca
    from tinhso.signing.services.remote import _algorithm

    attrs = bytes(session.signed_attrs or b"")
    return {
        "algorithm": _algorithm(ca.load_certificate(session.certificate_pem)),
        "session_id": str(session.uid),
        "status": session.status,
        "signed": session.status == RemoteSigningSession.Status.COMPLETED,
        "expired": session.expires_at <= timezone.now(),
        "expires_at": session.expires_at,
        "digest_b64": base64.b64encode(hashlib.sha256(attrs).digest()).decode(),
    }


@transaction.atomic
def prepare_result_signature(
    *, official, dossier: Dossier, version: int | None = None
) -> dict[str, Any]:
    """Start signing the result draft with the leader's USB token: the server reserves the
    signature and returns what the token must sign (`signing.prepare_remote_signing`)."""
    from tinhso.signing.services import prepare_remote_signing

    workflow.check("prepare_signature", official, dossier)
    draft = latest_draft(dossier)
    token = next(
        o for o in signing_options(official, dossier.agency) if o.method == SigningMethod.TOKEN
    )
    assert draft is not None  # the workflow's guard
    prepared = prepare_remote_signing(
        pdf=_read(draft),
        user=official,
        certificate=token.certificate.certificate_pem,
        reason=_reason(dossier),
        location=dossier.agency.name,
        agency=dossier.agency,
    )
    _transition(
        dossier,
        allowed=workflow.states("prepare_signature"),
        action_label="chuẩn bị ký số",
        version=version,
        signing_session=prepared["session_id"],
    )
    _audit(official, "prepare_signature", dossier, session=prepared["session_id"])
    return prepared


@transaction.atomic
def approve(
    *,
    official,
    dossier: Dossier,
    result_summary: str = "",
    note: str = "",
    signing: str = SigningMethod.CERTIFICATE,
    version: int | None = None,
) -> Dossier:
    """The leader approves the result (status 9) and signs it: the result draft becomes
    the signed result (sealed by the agency when the procedure says so), which the citizen
    receives when the desk returns it. Early/on time/late is fixed now."""
    workflow.check("approve", official, dossier)
    draft = latest_draft(dossier)
    signed = how = None
    if draft is not None:
        signed, how = _sign(official=official, dossier=dossier, draft=draft, signing=signing)
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
        signing_session="",
    )
    result = None
    if draft is not None and signed is not None:
        base = (draft.original_name or "ket-qua.pdf").rsplit(".", 1)[0]
        stored = file_store.store_bytes(signed, folder="results", filename=f"{base}-da-ky.pdf")
        result = DossierFile.objects.create(
            dossier=dossier,
            kind=DossierFile.Kind.RESULT,
            name=draft.name,
            file=stored.name,
            original_name=stored.original_name,
            sha256=stored.sha256,
            size=stored.size,
            content_type="application/pdf",
            origin=DossierFile.Origin.OFFICIAL,
            uploaded_by=official,
        )
        _event(dossier, action="sign_result", actor=official, at=at, step=left, note=how or "")
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
    _audit(
        official,
        "approve",
        dossier,
        timeliness=dossier.timeliness,
        signed_sha256=result.sha256 if result else None,
        signing=signing if result else "paper",
    )
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
    event = _event(
        dossier, action="stop", actor=official, at=at, step=dossier.current_step, note=reasons
    )
    issue_form(dossier, "05", event=event)  # the process-control slip as it ended
    notify_applicant(dossier, "onestop_stopped", reasons=reasons)
    cancel_pending(dossier=dossier, actor=official, reason="stopped")
    # audit last: the chain-head lock is then held only until commit
    _audit(official, "reject", dossier, reasons=reasons)
    return dossier


@transaction.atomic
def attach_result(
    *, official, dossier: Dossier, file: Any, name: str = "Kết quả giải quyết"
) -> DossierFile:
    """Attach the result draft (a PDF) that the approving leader will sign. Officials see
    it; the applicant receives only the signed result, when it is returned."""
    workflow.check("attach_result", official, dossier)
    if file is None:
        raise ValidationFailed("Vui lòng chọn tệp kết quả (PDF).", code=E.FILE_REQUIRED)
    from tinhso.signing.services import open_pdf

    file_store.check(file, allowed={"pdf": file_store.ALLOWED["pdf"]})
    file.seek(0)
    open_pdf(file.read())  # a PDF the leader can sign (invalid_pdf / encrypted_pdf if not)
    file.seek(0)
    stored = file_store.store(file, folder="results", allowed={"pdf": file_store.ALLOWED["pdf"]})
    draft = DossierFile.objects.create(
        dossier=dossier,
        kind=DossierFile.Kind.RESULT_DRAFT,
        name=(name or "Kết quả giải quyết").strip()[:500],
        file=stored.name,
        original_name=stored.original_name,
        sha256=stored.sha256,
        size=stored.size,
        content_type=stored.content_type,
        origin=DossierFile.Origin.OFFICIAL,
        uploaded_by=official,
    )
    if dossier.signing_session:  # a token session prepared for an older draft is void
        _transition(
            dossier, allowed=workflow.states("attach_result"), action_label="đính kèm kết quả",
            signing_session="",
        )  # fmt: skip
    _event(dossier, action="attach_result", actor=official, at=clock_now(), note=draft.name)
    _audit(official, "attach_result", dossier, sha256=stored.sha256)
    return draft


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
    event = _event(
        dossier, action="return", actor=officer, at=at, note=note or str(ReturnMethod(method).label)
    )
    issue_form(dossier, "05", event=event)  # the process-control slip as it ended
    notify_applicant(
        dossier, "onestop_result", method=ReturnMethod(method).label, timeliness=dossier.timeliness
    )
    # audit last: the chain-head lock is then held only until commit
    _audit(officer, "return_result", dossier, method=method)
    return dossier
