"""The dossier page and what hangs off it: forms 01-05, files, payment receipts.

Thin: writes go through `tinhso.onestop.services`, reads through `selectors`.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.files.storage import default_storage
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from tinhso.accounts.rules import can
from tinhso.core.files import attachment_response
from tinhso.onestop import eforms, forms, selectors, workflow
from tinhso.onestop.models import (
    FINAL_STATES,
    Dossier,
    DossierFile,
    Payment,
)
from tinhso.onestop.services import results
from tinhso.onestop.views.common import (
    S,
    _dossier_or_404,
    _forbidden,
    _is_official,
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
    return render(request, "onestop/dossier.html", dossier_context(request, dossier))


def dossier_context(request: HttpRequest, dossier: Dossier) -> dict[str, Any]:
    user = request.user
    is_applicant = can(user, "onestop.act_as_applicant", dossier)
    is_official = _is_official(user)
    schema = dossier.procedure.form_schema or {}
    files = selectors.visible_file_list(dossier, user)
    supplements = selectors.supplement_list(dossier)
    payments = selectors.payment_list(dossier)
    # What the page offers is exactly what the transition table allows this person now.
    offered = workflow.available(user, dossier)
    official_actions = (
        [a for a in offered if a.card and (a.actor == workflow.Actor.OFFICIAL or not is_applicant)]
        if is_official
        else []
    )
    primary = workflow.expected(user, dossier, official_actions)
    others = [a for a in official_actions if a is not primary]
    citizen_actions = (
        [a.name for a in offered if a.actor == workflow.Actor.APPLICANT] if is_applicant else []
    )
    open_supplement = next((s for s in reversed(supplements) if s.answered_at is None), None)
    # the wallet is offered only in the answer to an open supplement request
    answers_supplement = bool(
        is_applicant and open_supplement and "answer_supplement" in citizen_actions
    )
    return {
        "dossier": dossier,
        "is_applicant": is_applicant,
        "is_official": is_official,
        "form_rows": eforms.summarise(schema, dossier.form_data),
        "papers": [
            f for f in files if f.kind in (DossierFile.Kind.PAPER, DossierFile.Kind.SUPPLEMENT)
        ],
        "results": [
            (f, selectors.signature_statement(f))
            for f in files
            if f.kind == DossierFile.Kind.RESULT
        ],
        "drafts": [f for f in files if f.kind == DossierFile.Kind.RESULT_DRAFT],
        "token_session": results.token_session(dossier, user) if is_official else None,
        "site_url": getattr(settings, "TINHSO_SITE_URL", "") or request.build_absolute_uri("/"),
        "supplements": supplements,
        "open_supplement": open_supplement,
        "payments": payments,
        "pending_payments": [p for p in payments if p.status == Payment.Status.PENDING],
        "events": selectors.process_slip_lines(dossier) if is_official or is_applicant else [],
        "citizen_actions": citizen_actions,
        "primary_action": _card(primary, dossier, user) if primary else None,
        "other_actions": [_card(a, dossier, user) for a in others],
        "whereabouts": selectors.whereabouts(dossier) if is_official else "",
        "extension": getattr(dossier, "extension", None) if dossier.extended_once else None,
        "is_final": dossier.state in FINAL_STATES,
        "rating": getattr(dossier, "rating", None) if dossier.state == S.RETURNED else None,
        "rate_form": forms.RateForm(),
        "withdraw_form": forms.WithdrawForm(),
        "supplement_form": forms.SupplementAnswerForm(),
        "wallet_items": list(selectors.wallet(user)) if answers_supplement else [],
        "issued_forms": selectors.issued_form_list(dossier),
        "received_papers": selectors.received_paper_list(dossier),
    }


def _card(action: workflow.Action, dossier: Dossier, user) -> dict[str, Any]:
    return {"action": action, "form": action.make_form(dossier, user)}


@require_GET
def dossier_file(request: HttpRequest, uid, file_uid) -> HttpResponseBase:
    if not request.user.is_authenticated:
        return redirect("accounts:login")
    dossier = _dossier_or_404(uid)
    if not can(request.user, "onestop.view_dossier", dossier):
        return _forbidden(request, _("Bạn không có quyền xem hồ sơ này."))
    item = selectors.visible_files(dossier, request.user).filter(uid=file_uid).first()
    if item is None:
        raise Http404(_("Không tìm thấy tệp."))
    stored = item.file.name or ""
    return attachment_response(  # an upload: always a download, never shown as a page
        default_storage.open(stored, "rb"),
        filename=item.original_name or stored.rsplit("/", 1)[-1],
    )
