"""The officials' pages: queues and actions on a dossier (counter reception: counter.py).

Thin: writes go through `tinhso.onestop.services`, reads through `selectors`.
"""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from tinhso.accounts.models import Role
from tinhso.accounts.rules import can, holds_role
from tinhso.core.errors import DomainError, PermissionDenied
from tinhso.core.pagination import paginate
from tinhso.onestop import selectors, services, workflow
from tinhso.onestop.services.clock import now as clock_now
from tinhso.onestop.views.common import (
    QUEUE_TITLES,
    _dossier_or_404,
    _error,
    _forbidden,
    _official_required,
    _version,
)


@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    denied = _official_required(request)
    if denied:
        return denied
    name = request.GET.get("q") or "to_process"
    if name not in QUEUE_TITLES:
        name = "to_process"
    counts = selectors.queue_counts(request.user)
    if "q" not in request.GET and not counts.get(name) and counts.get("to_receive"):
        name = "to_receive"
    dossiers = selectors.listed(selectors.queue(request.user, name))
    search = (request.GET.get("s") or "").strip()
    if search:
        dossiers = dossiers.filter(
            Q(code__icontains=search)
            | Q(tracking_code__icontains=search)
            | Q(applicant_name__icontains=search)
        )
    page = paginate(request, dossiers, 25, count=None if search else counts[name])
    tabs = [(key, title, counts.get(key, 0)) for key, title in QUEUE_TITLES.items()]
    context = {
        "tabs": tabs,
        "current": name,
        "title": QUEUE_TITLES[name],
        "page": page,
        "search": search,
        "now": clock_now(),
        "is_officer": holds_role(request.user, [Role.ONESTOP_OFFICER]),
    }
    return render(request, "onestop/queue.html", context)


@require_POST
def official_action(request: HttpRequest, uid, action: str) -> HttpResponse:
    """Run one action of the transition table (`onestop.workflow`) from the dossier page."""
    denied = _official_required(request)
    if denied:
        return denied
    dossier = _dossier_or_404(uid)
    user = request.user
    entry = workflow.ACTIONS.get(action)
    if entry is None:
        raise Http404()
    if not can(user, "onestop.view_dossier", dossier):
        return _forbidden(request, _("Hồ sơ thuộc cơ quan khác; bạn không thể thao tác."))
    try:
        workflow.ensure_current(dossier, _version(request))
    except DomainError as exc:
        _error(request, exc)
        return redirect("onestop:dossier", uid=dossier.uid)
    form = entry.make_form(dossier, user, request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _form_error(form))
        return redirect("onestop:dossier", uid=dossier.uid)
    if entry.confirm and request.POST.get("confirm") != "1":
        if not entry.allowed(user, dossier):  # say why now, not after the confirmation
            return _refused(request, entry, dossier)
        return render(request, "onestop/confirm.html", _confirmation(entry, dossier, form))
    try:
        entry.execute(user=user, dossier=dossier, values=form.values(), version=_version(request))
    except PermissionDenied as exc:
        return _forbidden(request, exc.message)
    except DomainError as exc:
        _error(request, exc)
    else:
        dossier = services.get_dossier(uid=dossier.uid)
        text = str(entry.success)
        if "{where}" in text:
            text = text.replace("{where}", selectors.whereabouts(dossier) or "—")
        messages.success(request, text)
    return redirect("onestop:dossier", uid=dossier.uid)


def _refused(request: HttpRequest, entry: workflow.Action, dossier) -> HttpResponse:
    try:
        entry.check(request.user, dossier)
    except PermissionDenied as exc:
        return _forbidden(request, exc.message)
    except DomainError as exc:
        _error(request, exc)
    return redirect("onestop:dossier", uid=dossier.uid)


def _confirmation(entry: workflow.Action, dossier, form) -> dict:
    """What the person confirms, in words: for an approval, which file is signed, how
    (naming the certificate and where its key is), and whose seal follows."""
    from tinhso.onestop.services import results

    values = form.values()
    draft = results.latest_draft(dossier)
    options = {o.method: o for o in results.signing_options(form.user, dossier.agency)}
    chosen = options.get(values.get("signing") or "") if draft is not None else None
    token = chosen is not None and chosen.method == results.SigningMethod.TOKEN
    return {
        "dossier": dossier,
        "action": entry,
        "hidden": [
            (name, value)
            for name, value in form.data.items()
            if name not in ("confirm", "csrfmiddlewaretoken")
        ],
        "draft": draft,
        "option": chosen,
        "token": token,
        "token_state": results.token_state(dossier, form.user, draft) if token else "",
        "seal_agency": dossier.agency if draft and dossier.procedure.result_needs_seal else None,
    }


def _form_error(form) -> str:
    """The first error of an action form, with the field it is about."""
    for name, errors in form.errors.items():
        field = form.fields.get(name)
        label = f"{field.label}: " if field is not None and field.label else ""
        return f"{label}{errors[0]}"
    return _("Dữ liệu không hợp lệ.")
