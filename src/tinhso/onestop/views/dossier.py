"""The dossier page and what hangs off it: forms 01-05, files, payment receipts.

Thin: writes go through `tinhso.onestop.services`, reads through `selectors`.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.core.files.storage import default_storage
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from tinhso.accounts.models import Role
from tinhso.accounts.rules import can
from tinhso.core.files import attachment_response
from tinhso.onestop import eforms, forms, pdf, selectors
from tinhso.onestop.models import (
    FINAL_STATES,
    Dossier,
    DossierFile,
    Payment,
)
from tinhso.onestop.views.common import (
    S,
    _citizen_actions,
    _dossier_or_404,
    _forbidden,
    _is_official,
    _official_actions,
    _officials_of,
    _pdf_response,
)


@require_GET
def dossier_detail(request: HttpRequest, uid) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect(
            f"{reverse('accounts:login')}?{urlencode({'next': request.get_full_path()})}"
        )
    dossier = _dossier_or_404(uid)
    user = request.user
    if not can(user, "onestop.view_dossier", dossier):
        return _forbidden(
            request,
            _(
                "Bạn không có quyền xem hồ sơ này: hồ sơ thuộc cơ quan khác với cơ quan bạn "
                "đang công tác."
            ),
        )
    is_applicant = can(user, "onestop.act_as_applicant", dossier)
    schema = dossier.procedure.form_schema or {}
    files = list(dossier.files.all())
    supplements = list(dossier.supplements.order_by("requested_at"))
    payments = list(dossier.payments.order_by("created_at"))
    official_actions = (
        [] if is_applicant and not _is_official(user) else _official_actions(user, dossier)
    )
    handling = dossier.handling_agency or dossier.agency
    steps = (
        list(dossier.process_template.steps.order_by("order"))
        if dossier.process_template_id
        else []
    )
    context = {
        "dossier": dossier,
        "is_applicant": is_applicant,
        "is_official": _is_official(user),
        "form_rows": eforms.summarise(schema, dossier.form_data),
        "papers": [
            f for f in files if f.kind in (DossierFile.Kind.PAPER, DossierFile.Kind.SUPPLEMENT)
        ],
        "results": [f for f in files if f.kind == DossierFile.Kind.RESULT],
        "supplements": supplements,
        "open_supplement": next((s for s in reversed(supplements) if s.answered_at is None), None),
        "payments": payments,
        "pending_payments": [p for p in payments if p.status == Payment.Status.PENDING],
        "events": list(selectors.process_slip(dossier))
        if _is_official(user) or is_applicant
        else [],
        "citizen_actions": _citizen_actions(user, dossier),
        "official_actions": official_actions,
        "assignees": _officials_of(handling, (Role.SPECIALIST, Role.LEADER, Role.ONESTOP_OFFICER))
        if {"assign", "forward", "send_back"} & set(official_actions)
        else [],
        "earlier_steps": [
            s for s in steps if dossier.current_step and s.order < dossier.current_step.order
        ],
        "steps": steps,
        "extension": getattr(dossier, "extension", None) if dossier.extended_once else None,
        "is_final": dossier.state in FINAL_STATES,
        "rating": getattr(dossier, "rating", None) if dossier.state == S.RETURNED else None,
        "rate_form": forms.RateForm(),
        "withdraw_form": forms.WithdrawForm(),
        "supplement_form": forms.SupplementAnswerForm(),
        "wallet_items": list(selectors.wallet(user)) if is_applicant else [],
        "forms_available": _forms_available(dossier),
    }
    return render(request, "onestop/dossier.html", context)


def _forms_available(dossier: Dossier) -> list[tuple[str, str]]:
    available = []
    if dossier.code:
        available.append(("01", _("Mẫu 01 — Giấy tiếp nhận và hẹn trả kết quả")))
    if dossier.supplements.exists():
        available.append(("02", _("Mẫu 02 — Phiếu yêu cầu bổ sung hồ sơ")))
    if dossier.state == S.REFUSED:
        available.append(("03", _("Mẫu 03 — Phiếu từ chối tiếp nhận")))
    if dossier.extended_once:
        available.append(("04", _("Mẫu 04 — Phiếu xin lỗi và hẹn lại ngày trả")))
    if dossier.code:
        available.append(("05", _("Mẫu 05 — Phiếu kiểm soát quá trình giải quyết")))
    return available


@require_GET
def dossier_form_pdf(request: HttpRequest, uid, form: str) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("accounts:login")
    dossier = _dossier_or_404(uid)
    if not can(request.user, "onestop.view_dossier", dossier):
        return _forbidden(request, _("Bạn không có quyền xem hồ sơ này."))
    builders = {
        "01": pdf.receipt_pdf,
        "02": pdf.supplement_pdf,
        "03": pdf.refusal_pdf,
        "04": pdf.apology_pdf,
        "05": pdf.control_slip_pdf,
    }
    if form not in builders or form not in dict(_forms_available(dossier)):
        raise Http404(_("Phiếu này chưa có cho hồ sơ."))
    if form == "05":
        data = pdf.control_slip_pdf(dossier, events=list(selectors.process_slip(dossier)))
    else:
        data = builders[form](dossier)
    return _pdf_response(data, f"mau-{form}-{dossier.code or dossier.uid}.pdf")


@require_GET
def dossier_file(request: HttpRequest, uid, file_uid) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("accounts:login")
    dossier = _dossier_or_404(uid)
    if not can(request.user, "onestop.view_dossier", dossier):
        return _forbidden(request, _("Bạn không có quyền xem hồ sơ này."))
    item = dossier.files.filter(uid=file_uid).first()
    if item is None:
        raise Http404(_("Không tìm thấy tệp."))
    return attachment_response(  # an upload: always a download, never shown as a page
        default_storage.open(item.file.name, "rb"),
        filename=item.original_name or item.file.name.rsplit("/", 1)[-1],
    )
