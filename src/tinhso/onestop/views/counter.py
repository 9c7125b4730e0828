"""Counter reception: one form for the officer who receives a citizen's papers.

1. Look the citizen up by ID number (CCCD): their account and earlier dossiers prefill
   the applicant's details (GET, so it works without JavaScript).
2. The e-form, filled on the citizen's behalf: the applicant is asked here when the
   e-form has a person block — the counter's own applicant fields are only those the
   e-form does not ask, and the delivery choice only when the e-form has none.
3. The checklist of the procedure's papers: ticked when handed in, with the number of
   originals and copies, and an optional scan. Required papers must be ticked; the error
   names the missing paper and the page keeps what was entered.

Thin: writes go through `tinhso.onestop.services`, reads through `selectors`.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from tinhso.accounts.models import User
from tinhso.core.errors import DomainError, ValidationFailed
from tinhso.onestop import eforms, forms, selectors, services
from tinhso.onestop.models import Procedure, RequiredPaper
from tinhso.onestop.services.applicant import person_block, person_fields
from tinhso.onestop.services.reception import MAX_COPIES
from tinhso.onestop.signals import counter_dossier_received
from tinhso.onestop.views.common import (
    _error,
    _forbidden,
    _officer_agencies,
    _official_required,
)


def _count(raw: Any, default: int) -> int | None:
    text = str(raw if raw is not None else default).strip()
    if not text:
        return 0
    if not text.isdigit() or int(text) > MAX_COPIES:
        return None
    return int(text)


def _checklist(request: HttpRequest, papers: list[RequiredPaper]) -> tuple[list, list, dict]:
    """(PaperReceived for the ticked papers, scans, row errors by paper pk) from the POST."""
    ticked: list[services.PaperReceived] = []
    scans: list[services.Attachment] = []
    errors: dict[int, str] = {}
    for paper in papers:
        upload = request.FILES.get(f"paper-{paper.pk}")
        if upload is not None:
            scans.append(services.Attachment(file=upload, paper=paper, name=paper.name))
        if request.POST.get(f"recv-{paper.pk}") != "1":
            continue
        originals = _count(request.POST.get(f"orig-{paper.pk}"), paper.copies_original)
        copies = _count(request.POST.get(f"copy-{paper.pk}"), paper.copies_copy)
        if originals is None or copies is None:
            errors[paper.pk] = _("Số bản chính và bản sao là số từ 0 đến %(max)s.") % {
                "max": MAX_COPIES
            }
            continue
        ticked.append(services.PaperReceived(paper, originals, copies))
    return ticked, scans, errors


def _rows(request: HttpRequest, papers: list[RequiredPaper], errors: dict[int, str]) -> list:
    posted = request.method == "POST"
    rows = []
    for paper in papers:
        rows.append(
            {
                "paper": paper,
                # a fresh form: the declaration the officer types in is ticked already
                "ticked": request.POST.get(f"recv-{paper.pk}") == "1" if posted else paper.is_eform,
                "originals": request.POST.get(f"orig-{paper.pk}", paper.copies_original)
                if posted
                else paper.copies_original,
                "copies": request.POST.get(f"copy-{paper.pk}", paper.copies_copy)
                if posted
                else paper.copies_copy,
                "error": errors.get(paper.pk, ""),
            }
        )
    return rows


def _account(uid: str) -> User | None:
    if not uid:
        return None
    try:
        return User.objects.filter(uid=uid).exclude(kind=User.Kind.OFFICIAL).first()
    except (ValueError, DjangoValidationError):
        return None


def _prefill(schema: dict, found) -> dict:
    """The e-form's person block filled with what the look-up found."""
    block = person_block(schema)
    if found is None or block is None:
        return {}
    props = (schema.get("properties") or {})[block].get("properties") or {}
    values = {
        "full_name": found.name,
        "citizen_id": found.id_number,
        "phone": found.phone,
        "email": found.email,
        "address": found.address,
    }
    return {block: {k: v for k, v in values.items() if v and k in props}}


@require_http_methods(["GET", "POST"])
def counter(request: HttpRequest) -> HttpResponse:
    """Choose a procedure, then receive the citizen's papers in one form."""
    denied = _official_required(request)
    if denied:
        return denied
    desks = list(_officer_agencies(request.user))
    if not desks:
        return _forbidden(request, _("Chỉ cán bộ một cửa được tiếp nhận hồ sơ tại quầy."))
    code = request.GET.get("procedure") or request.POST.get("procedure") or ""
    # the service centre's queue ticket this reception started from (tinhso.counter)
    queue_ticket = (request.GET.get("queue_ticket") or request.POST.get("queue_ticket") or "")[:40]
    procedure = Procedure.objects.filter(code=code, is_active=True).first() if code else None
    if procedure is None:
        q = request.GET.get("q", "")
        results = selectors.search_procedures(q=q)[:30] if q else []
        return render(request, "onestop/counter_pick.html", {"q": q, "results": results})

    schema = procedure.form_schema or {}
    papers = list(procedure.papers.all())
    has_delivery = "delivery" in (schema.get("properties") or {})
    agencies = None if procedure.agency_id else selectors.competent_agencies(procedure)
    found = None
    lookup = forms.CitizenLookupForm(request.GET if "cccd" in request.GET else None)
    if request.method == "GET" and lookup.is_bound and lookup.is_valid():
        try:
            found = services.look_up_citizen(
                officer=request.user, id_number=lookup.cleaned_data["cccd"]
            )
        except DomainError as exc:
            lookup.add_error("cccd", exc.message)
        else:
            if found is None:
                messages.info(
                    request,
                    _("Chưa có thông tin của công dân này; vui lòng nhập vào tờ khai."),
                )
    initial: dict[str, str] = {}
    if found is not None:
        initial = {
            "applicant_name": found.name,
            "applicant_id_number": found.id_number,
            "applicant_phone": found.phone,
            "applicant_email": found.email,
            "applicant_address": found.address,
        }
    applicant_form = forms.CounterApplicantForm(
        request.POST or None,
        initial=initial,
        asked=person_fields(schema),
        has_delivery=has_delivery,
        has_fee=bool(procedure.fee_vnd),
    )
    meta = forms.SubmitMetaForm(request.POST or None, agencies=agencies)
    data: dict = _prefill(schema, found)
    field_errors: dict = {}
    paper_errors: dict[int, str] = {}
    account_uid = str(found.account.uid) if found is not None and found.account else ""
    if request.method == "POST":
        account_uid = request.POST.get("applicant_account", "")
        data = eforms.parse_form_data(schema, request.POST)
        cleaned, errors = eforms.collect_errors(schema, data)
        field_errors = errors.by_field
        ticked, scans, paper_errors = _checklist(request, papers)
        if applicant_form.is_valid() and meta.is_valid() and not field_errors and not paper_errors:
            a = applicant_form.cleaned_data
            agency = (
                agencies.filter(code=meta.cleaned_data["agency"]).first()
                if agencies is not None
                else None
            )
            desk_code = request.POST.get("desk")
            receiving = next((d for d in desks if d.code == desk_code), None) if desk_code else None
            try:
                dossier = services.receive_counter_dossier(
                    officer=request.user,
                    procedure=procedure,
                    applicant_name=a.get("applicant_name", ""),
                    form_data=cleaned,
                    attachments=scans,
                    papers_received=ticked,
                    agency=agency,
                    receiving_agency=receiving,
                    applicant=_account(account_uid),
                    applicant_id_number=a.get("applicant_id_number", ""),
                    applicant_phone=a.get("applicant_phone", ""),
                    applicant_email=a.get("applicant_email", ""),
                    applicant_address=a.get("applicant_address", ""),
                    return_method=a.get("return_method") or "counter",
                    postal_address=a.get("postal_address", ""),
                    fee_paid_cash=a.get("fee_paid_cash", False),
                )
            except ValidationFailed as exc:
                details = exc.details if isinstance(exc.details, dict) else {}
                field_errors = details.get("fields", {}) or field_errors
                missing = set(details.get("missing") or [])
                for paper in papers:
                    if paper.name in missing:
                        paper_errors[paper.pk] = _("Giấy tờ bắt buộc: chưa đánh dấu đã nhận.")
                _error(request, exc)
            except DomainError as exc:
                _error(request, exc)
            else:
                counter_dossier_received.send(
                    sender=counter,
                    dossier=dossier,
                    officer=request.user,
                    queue_ticket=queue_ticket,
                )
                messages.success(
                    request,
                    _("Đã tiếp nhận hồ sơ %(code)s; giấy tiếp nhận và hẹn trả (Mẫu 01) ở dưới.")
                    % {"code": dossier.code},
                )
                return redirect("onestop:dossier", uid=dossier.uid)
        else:
            messages.error(request, _("Hồ sơ chưa hợp lệ, vui lòng xem các trường được đánh dấu."))
    context = {
        "procedure": procedure,
        "lookup": lookup,
        "found": found,
        "account_uid": account_uid,
        "applicant_form": applicant_form,
        "meta": meta,
        "desks": desks,
        "eform_html": eforms.render_form(schema, data, field_errors),
        "rows": _rows(request, papers, paper_errors),
        "max_copies": MAX_COPIES,
        "queue_ticket": queue_ticket,
    }
    return render(request, "onestop/counter.html", context)
