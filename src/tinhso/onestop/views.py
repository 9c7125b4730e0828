"""HTML pages of the public-service portal and the one-stop back office.

Thin: every write goes through `tinhso.onestop.services` (or `catalog_io`), every read
through `selectors` / `statistics`; a `DomainError` becomes a message on the page.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tinhso.accounts.models import Role, User
from tinhso.accounts.rules import can, is_platform_admin, visible_agency_filter
from tinhso.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from tinhso.directory.models import Agency
from tinhso.onestop import eforms, forms, pdf, selectors, services
from tinhso.onestop.models import (
    FINAL_STATES,
    Dossier,
    DossierFile,
    DossierState,
    Field,
    Payment,
    Procedure,
    ProcessStep,
    WalletItem,
)
from tinhso.onestop.services import files as file_store
from tinhso.onestop.services.clock import now as clock_now

S = DossierState
OFFICIAL_ROLES = (Role.ONESTOP_OFFICER, Role.SPECIALIST, Role.LEADER, Role.AGENCY_ADMIN)
QUEUE_TITLES = {
    "to_receive": gettext_lazy("Chờ tiếp nhận"),
    "to_process": gettext_lazy("Cần xử lý"),
    "due_soon": gettext_lazy("Sắp đến hạn"),
    "overdue": gettext_lazy("Quá hạn"),
    "waiting": gettext_lazy("Chờ công dân"),
    "to_return": gettext_lazy("Chờ trả kết quả"),
}


# ---------------------------------------------------------------------------------------
# Helpers


def _is_official(user) -> bool:
    return bool(
        getattr(user, "is_authenticated", False) and (user.is_official or user.is_superuser)
    )


def _forbidden(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "onestop/forbidden.html", {"message": message}, status=403)


def _error(request: HttpRequest, exc: DomainError) -> None:
    messages.error(request, exc.message)


def _dossier_or_404(uid: Any) -> Dossier:
    try:
        return services.get_dossier(uid=uid)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def _version(request: HttpRequest) -> int | None:
    try:
        return int(request.POST.get("version", ""))
    except ValueError:
        return None


def _commune_agencies():
    return Agency.objects.filter(
        kind=Agency.Kind.PEOPLES_COMMITTEE, status=Agency.Status.ACTIVE, admin_unit__level="commune"
    ).order_by("name")


def _procedure_agencies():
    ids = Procedure.objects.filter(is_active=True).values("agency_id")
    return Agency.objects.filter(pk__in=ids).order_by("name")


def _pdf_response(data: bytes, filename: str, *, inline: bool = True) -> HttpResponse:
    response = HttpResponse(data, content_type="application/pdf")
    disposition = "inline" if inline else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    return response


# ---------------------------------------------------------------------------------------
# Public: home, catalog, procedure, lookup


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    context: dict[str, Any] = {"search_form": forms.CatalogSearchForm(fields=(), agencies=())}
    context["fields"] = selectors.fields_with_counts().filter(procedure_count__gt=0)
    context["procedure_count"] = Procedure.objects.filter(is_active=True).count()
    if _is_official(user):
        context["queue_counts"] = [
            (name, QUEUE_TITLES[name], count)
            for name, count in selectors.queue_counts(user).items()
        ]
        context["can_stats"] = can(user, "onestop.view_statistics", None)
        context["can_catalog"] = can(user, "onestop.manage_catalog", None)
    elif user.is_authenticated:
        context["my_count"] = selectors.my_dossiers(user).count()
    return render(request, "onestop/home.html", context)


@require_GET
def catalog(request: HttpRequest) -> HttpResponse:
    fields = selectors.fields_with_counts().filter(procedure_count__gt=0)
    agencies = _procedure_agencies()
    form = forms.CatalogSearchForm(request.GET or None, fields=fields, agencies=agencies)
    procedures = Procedure.objects.none()
    if form.is_valid() or not request.GET:
        data = form.cleaned_data if form.is_bound else {}
        agency = None
        if data.get("agency"):
            agency = Agency.objects.filter(code=data["agency"]).first()
        procedures = selectors.search_procedures(
            q=data.get("q", ""),
            field=data.get("field") or None,
            agency=agency,
            level=data.get("level", ""),
            online_type=data.get("online_type", ""),
        )
    page = Paginator(procedures, 20).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query": query.urlencode()}
    if request.headers.get("HX-Request"):
        return render(request, "onestop/_catalog_results.html", context)
    return render(request, "onestop/catalog.html", context)


@require_GET
def procedure_detail(request: HttpRequest, code: str) -> HttpResponse:
    try:
        procedure = selectors.get_procedure(code=code)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    process = procedure.active_process()
    context = {
        "procedure": procedure,
        "papers": procedure.papers.all(),
        "steps": process.steps.order_by("order") if process else [],
        "legal_basis": [x for x in procedure.legal_basis.splitlines() if x.strip()],
        "fee_lines": [x for x in procedure.fee_note.splitlines() if x.strip()],
        "eform_fields": [
            (path, prop.get("title") or path)
            for path, prop in eforms.iter_fields(procedure.form_schema or {})
        ],
        "can_submit": procedure.is_active,
        "can_counter": _is_official(request.user) and _officer_agencies(request.user).exists(),
    }
    return render(request, "onestop/procedure.html", context)


@require_GET
def eform_pdf(request: HttpRequest, code: str) -> HttpResponse:
    """The procedure's blank e-form as a printable PDF (the paper template)."""
    try:
        procedure = selectors.get_procedure(code=code)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    return _pdf_response(pdf.blank_form_pdf(procedure), f"to-khai-{procedure.code}.pdf")


@require_http_methods(["GET", "POST"])
def lookup(request: HttpRequest) -> HttpResponse:
    form = forms.LookupForm(request.POST or request.GET or None)
    result = None
    error = None
    status = 200
    if form.is_bound and form.is_valid():
        # The same per-client limit as the API's lookup: 4 digits must not be guessable.
        from tinhso.onestop.api import LookupThrottle

        if not LookupThrottle().allow_request(request, None):
            error = _("Bạn đã tra cứu quá nhiều lần. Vui lòng thử lại sau ít phút.")
            status = 429
        else:
            try:
                result = selectors.lookup(
                    code=form.cleaned_data["code"], secret=form.cleaned_data["secret"]
                )
            except DomainError as exc:
                error = exc.message
    context = {"form": form, "result": result, "error": error}
    return render(request, "onestop/lookup.html", context, status=status)


# ---------------------------------------------------------------------------------------
# Citizen: submit, my dossiers, the dossier page, supplement, withdraw, pay, rate


def _citizen_required(request: HttpRequest) -> HttpResponse | None:
    if not request.user.is_authenticated:
        return redirect(
            f"{reverse('accounts:login')}?{urlencode({'next': request.get_full_path()})}"
        )
    if request.user.is_official:
        return _forbidden(
            request,
            _("Cán bộ nhập hồ sơ thay công dân tại chức năng Tiếp nhận tại quầy."),
        )
    return None


def _contact_from_form(data: dict) -> dict[str, str]:
    """The applicant's phone/address/ID from the e-form, for the lookup and the slips."""
    found: dict[str, str] = {}

    def walk(node: Any) -> None:
        if not isinstance(node, dict):
            return
        for key, value in node.items():
            if isinstance(value, dict):
                walk(value)
            elif isinstance(value, str):
                if key in ("phone", "contact_phone") and "phone" not in found:
                    found["phone"] = value
                elif key == "address" and "address" not in found:
                    found["address"] = value
                elif key == "citizen_id" and "citizen_id" not in found:
                    found["citizen_id"] = value

    walk(data)
    return found


def _delivery(data: dict) -> tuple[str | None, str]:
    delivery = data.get("delivery") if isinstance(data, dict) else None
    if isinstance(delivery, dict) and delivery.get("method"):
        return delivery["method"], delivery.get("post_address", "")
    return None, ""


def _attachments(request: HttpRequest, procedure: Procedure, wallet_items) -> tuple[list, dict]:
    """Files or wallet items chosen for each required paper: (attachments, errors)."""
    wallet = {str(w.uid): w for w in wallet_items}
    result: list[services.Attachment] = []
    errors: dict[int, str] = {}
    for paper in procedure.papers.all():
        upload = request.FILES.get(f"paper-{paper.pk}")
        chosen = request.POST.get(f"wallet-{paper.pk}", "")
        if upload is not None:
            result.append(services.Attachment(file=upload, paper=paper, name=paper.name))
        elif chosen:
            item = wallet.get(chosen)
            if item is None:
                errors[paper.pk] = _("Giấy tờ trong kho không tồn tại.")
            else:
                result.append(services.Attachment(wallet_item=item, paper=paper, name=paper.name))
    return result, errors


@require_http_methods(["GET", "POST"])
def submit(request: HttpRequest, code: str) -> HttpResponse:
    denied = _citizen_required(request)
    if denied:
        return denied
    try:
        procedure = selectors.get_procedure(code=code)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    schema = procedure.form_schema or {}
    agencies = None if procedure.agency_id else _commune_agencies()
    wallet_items = list(selectors.wallet(request.user))
    papers = list(procedure.papers.all())
    data: dict = {}
    field_errors: dict = {}
    paper_errors: dict = {}
    meta = forms.SubmitMetaForm(request.POST or None, agencies=agencies)
    if request.method == "POST":
        data = eforms.parse_form_data(schema, request.POST)
        cleaned, errors = eforms.collect_errors(schema, data)
        field_errors = errors.by_field
        attachments, paper_errors = _attachments(request, procedure, wallet_items)
        if meta.is_valid() and not field_errors and not paper_errors:
            contact = _contact_from_form(cleaned)
            method, post_address = _delivery(cleaned)
            agency = None
            if agencies is not None:
                agency = agencies.filter(code=meta.cleaned_data["agency"]).first()
            try:
                dossier = services.submit_dossier(
                    user=request.user,
                    procedure=procedure,
                    form_data=cleaned,
                    attachments=attachments,
                    agency=agency,
                    applicant_phone=contact.get("phone", ""),
                    applicant_address=contact.get("address", ""),
                    applicant_id_number=contact.get("citizen_id", ""),
                    return_method=method or meta.cleaned_data["return_method"] or "online",
                    postal_address=post_address or meta.cleaned_data.get("postal_address", ""),
                )
            except ValidationFailed as exc:
                details = exc.details or {}
                field_errors = details.get("fields", {}) if isinstance(details, dict) else {}
                messages.error(request, exc.message)
            except DomainError as exc:
                _error(request, exc)
            else:
                messages.success(
                    request,
                    _(
                        "Đã nộp hồ sơ. Cơ quan sẽ kiểm tra và tiếp nhận; bạn theo dõi tại trang này."
                    ),
                )
                return redirect("onestop:dossier", uid=dossier.uid)
        else:
            messages.error(request, _("Hồ sơ chưa hợp lệ, vui lòng xem các trường được đánh dấu."))
    if not data and schema:
        data = _prefill(schema, request.user)
    context = {
        "procedure": procedure,
        "eform_html": eforms.render_form(schema, data, field_errors),
        "papers": [
            {
                "paper": p,
                "error": paper_errors.get(p.pk),
                "chosen": request.POST.get(f"wallet-{p.pk}", ""),
            }
            for p in papers
        ],
        "wallet_items": wallet_items,
        "meta": meta,
        "has_delivery": "delivery" in (schema.get("properties") or {}),
        "max_mb": file_store.MAX_BYTES // (1024 * 1024),
        "accept": ".pdf,.jpg,.jpeg,.png",
    }
    return render(request, "onestop/submit.html", context)


def _prefill(schema: dict, user) -> dict:
    """Declare once: the applicant block starts with what the account already knows."""
    known = {
        "full_name": user.full_name,
        "citizen_id": user.citizen_id or "",
        "phone": user.phone,
        "email": user.email,
    }
    data: dict = {}
    for name, prop in eforms.ordered_properties(schema):
        if prop.get("type") == "object":
            props = prop.get("properties") or {}
            if "citizen_id" in props and "full_name" in props:
                data[name] = {k: v for k, v in known.items() if v and k in props}
                break
    return data


@login_required
@require_GET
def my_dossiers(request: HttpRequest) -> HttpResponse:
    dossiers = selectors.my_dossiers(request.user)
    page = Paginator(dossiers, 20).get_page(request.GET.get("page"))
    return render(request, "onestop/my_dossiers.html", {"page": page})


@login_required
@require_http_methods(["GET", "POST"])
def wallet(request: HttpRequest) -> HttpResponse:
    form = forms.WalletUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.add_to_wallet(
                user=request.user, file=form.cleaned_data["file"], name=form.cleaned_data["name"]
            )
        except DomainError as exc:
            _error(request, exc)
        else:
            messages.success(request, _("Đã lưu giấy tờ vào kho."))
            return redirect("onestop:wallet")
    return render(
        request, "onestop/wallet.html", {"form": form, "items": selectors.wallet(request.user)}
    )


@login_required
@require_GET
def wallet_file(request: HttpRequest, uid) -> HttpResponse:
    item = WalletItem.objects.filter(uid=uid, owner=request.user).first()
    if item is None:
        raise Http404(_("Không tìm thấy giấy tờ."))
    return FileResponse(
        default_storage.open(item.file.name, "rb"),
        as_attachment=True,
        filename=item.original_name or item.file.name.rsplit("/", 1)[-1],
    )


# ---------------------------------------------------------------------------------------
# The dossier page (citizen and officials)


def _officials_of(agency, roles) -> list[User]:
    if agency is None:
        return []
    return list(
        User.objects.filter(
            role_grants__agency=agency, role_grants__role__in=list(roles), is_active=True
        )
        .distinct()
        .order_by("full_name", "username")
    )


def _official_actions(user, dossier: Dossier) -> list[str]:
    """The actions the page offers: what the state allows and the user's role permits."""
    state = dossier.state
    actions: list[str] = []
    if state == S.SUBMITTED and can(user, "onestop.accept_dossier", dossier):
        actions += ["accept", "reception_supplement", "refuse"]
    processing = state in (S.ACCEPTED, S.PROCESSING)
    if (processing or state == S.PAUSED) and can(user, "onestop.assign_dossier", dossier):
        actions.append("assign")
    if can(user, "onestop.process_dossier", dossier):
        if state == S.ACCEPTED:
            actions.append("start")
        if processing:
            steps = (
                list(dossier.process_template.steps.order_by("order"))
                if dossier.process_template_id
                else []
            )
            current = dossier.current_step
            is_last = bool(steps) and current is not None and current.pk == steps[-1].pk
            next_kind = None
            if current is not None and steps:
                later = [s for s in steps if s.order > current.order]
                next_kind = later[0].kind if later else None
            if not is_last and next_kind != ProcessStep.Kind.RETURN:
                actions.append("forward")
            if state == S.PROCESSING:
                actions.append("send_back")
            actions += ["supplement", "financial", "pause"]
            if not dossier.extended_once:
                actions.append("extend")
        if state == S.PAUSED:
            actions.append("resume")
    if can(user, "onestop.approve_dossier", dossier):
        if processing:
            actions += ["approve", "reject"]
        elif state in (S.PAUSED, S.SUPPLEMENT, S.FINANCIAL):
            actions.append("reject")
    if state in (S.ACCEPTED, S.PROCESSING, S.APPROVED) and (
        can(user, "onestop.approve_dossier", dossier)
        or can(user, "onestop.process_dossier", dossier)
        or can(user, "onestop.return_result", dossier)
    ):
        actions.append("attach_result")
    if state == S.APPROVED and can(user, "onestop.return_result", dossier):
        actions.append("return_result")
    seen: set[str] = set()
    return [a for a in actions if not (a in seen or seen.add(a))]


def _citizen_actions(user, dossier: Dossier) -> list[str]:
    if not can(user, "onestop.act_as_applicant", dossier):
        return []
    actions = []
    if dossier.state in (S.RECEPTION_SUPPLEMENT, S.SUPPLEMENT):
        actions.append("answer_supplement")
    if dossier.state in (
        S.SUBMITTED,
        S.RECEPTION_SUPPLEMENT,
        S.ACCEPTED,
        S.PROCESSING,
        S.SUPPLEMENT,
        S.FINANCIAL,
        S.PAUSED,
    ):
        actions.append("withdraw")
    if dossier.state == S.RETURNED and not hasattr_rating(dossier):
        actions.append("rate")
    return actions


def hasattr_rating(dossier: Dossier) -> bool:
    from tinhso.onestop.models import Rating

    return Rating.objects.filter(dossier=dossier).exists()


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
    return FileResponse(
        default_storage.open(item.file.name, "rb"),
        as_attachment=True,
        filename=item.original_name or item.file.name.rsplit("/", 1)[-1],
    )


@require_GET
def payment_receipt(request: HttpRequest, uid, payment_uid) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("accounts:login")
    dossier = _dossier_or_404(uid)
    if not can(request.user, "onestop.view_dossier", dossier):
        return _forbidden(request, _("Bạn không có quyền xem hồ sơ này."))
    payment = dossier.payments.filter(uid=payment_uid, status=Payment.Status.PAID).first()
    if payment is None:
        raise Http404(_("Không có biên lai."))
    return _pdf_response(pdf.payment_receipt_pdf(payment), f"bien-lai-{payment.receipt_number}.pdf")


@require_POST
def pay(request: HttpRequest, uid, payment_uid) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("accounts:login")
    dossier = _dossier_or_404(uid)
    payment = dossier.payments.filter(uid=payment_uid).first()
    if payment is None:
        raise Http404(_("Không tìm thấy khoản thanh toán."))
    from tinhso.onestop.payments.services import payment_url

    back = request.build_absolute_uri(reverse("onestop:dossier", kwargs={"uid": dossier.uid}))
    try:
        url = payment_url(user=request.user, payment=payment, return_url=back)
    except DomainError as exc:
        _error(request, exc)
        return redirect("onestop:dossier", uid=dossier.uid)
    return redirect(url)


@require_POST
def citizen_action(request: HttpRequest, uid, action: str) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("accounts:login")
    dossier = _dossier_or_404(uid)
    user = request.user
    try:
        if action == "answer_supplement":
            attachments = []
            for i, upload in enumerate(request.FILES.getlist("files"), start=1):
                attachments.append(services.Attachment(file=upload, name=f"Giấy tờ bổ sung {i}"))
            for wuid in request.POST.getlist("wallet"):
                item = WalletItem.objects.filter(uid=wuid, owner=user).first()
                if item is not None:
                    attachments.append(services.Attachment(wallet_item=item, name=item.name))
            services.answer_supplement(
                user=user,
                dossier=dossier,
                attachments=attachments,
                note=request.POST.get("note", ""),
                version=_version(request),
            )
            messages.success(request, _("Đã gửi giấy tờ bổ sung."))
        elif action == "withdraw":
            services.withdraw(
                user=user,
                dossier=dossier,
                reason=request.POST.get("reason", ""),
                version=_version(request),
            )
            messages.success(request, _("Đã rút hồ sơ."))
        elif action == "rate":
            form = forms.RateForm(request.POST)
            if not form.is_valid():
                raise ValidationFailed(_("Vui lòng chọn mức độ hài lòng."), code="rating_invalid")
            services.rate(
                user=user,
                dossier=dossier,
                score=form.cleaned_data["score"],
                comment=form.cleaned_data["comment"],
            )
            messages.success(request, _("Cảm ơn bạn đã đánh giá."))
        else:
            raise Http404()
    except DomainError as exc:
        _error(request, exc)
    return redirect("onestop:dossier", uid=dossier.uid)


# ---------------------------------------------------------------------------------------
# Officials: queues, actions, counter entry


def _official_required(request: HttpRequest) -> HttpResponse | None:
    if not request.user.is_authenticated:
        return redirect(
            f"{reverse('accounts:login')}?{urlencode({'next': request.get_full_path()})}"
        )
    if not _is_official(request.user):
        return _forbidden(request, _("Trang này dành cho cán bộ, công chức."))
    return None


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
    dossiers = selectors.queue(request.user, name)
    search = (request.GET.get("s") or "").strip()
    if search:
        dossiers = dossiers.filter(Q(code__icontains=search) | Q(applicant_name__icontains=search))
    page = Paginator(dossiers, 25).get_page(request.GET.get("page"))
    tabs = [(key, title, counts.get(key, 0)) for key, title in QUEUE_TITLES.items()]
    context = {
        "tabs": tabs,
        "current": name,
        "title": QUEUE_TITLES[name],
        "page": page,
        "search": search,
        "now": clock_now(),
        "is_officer": bool(
            Agency.objects.filter(
                visible_agency_filter(request.user, [Role.ONESTOP_OFFICER])
            ).exists()
        ),
    }
    return render(request, "onestop/queue.html", context)


def _lines(text: str) -> list[str]:
    return [line.strip(" -•\t") for line in (text or "").splitlines() if line.strip(" -•\t")]


def _user_in(request: HttpRequest, key: str) -> User | None:
    value = request.POST.get(key) or ""
    if not value:
        return None
    try:
        return User.objects.filter(uid=value).first()
    except (ValueError, DjangoValidationError):
        return None


@require_POST
def official_action(request: HttpRequest, uid, action: str) -> HttpResponse:
    denied = _official_required(request)
    if denied:
        return denied
    dossier = _dossier_or_404(uid)
    user = request.user
    if not can(user, "onestop.view_dossier", dossier):
        return _forbidden(request, _("Hồ sơ thuộc cơ quan khác; bạn không thể thao tác."))
    post = request.POST
    version = _version(request)
    success = ""
    try:
        if action == "accept":
            services.accept_dossier(
                officer=user, dossier=dossier, version=version, note=post.get("note", "")
            )
            success = _("Đã tiếp nhận hồ sơ, cấp mã và giấy hẹn (Mẫu 01).")
        elif action in ("reception_supplement", "supplement"):
            items = _lines(post.get("items", ""))
            if not items:
                raise ValidationFailed(
                    _("Vui lòng liệt kê đầy đủ giấy tờ cần bổ sung."), code="items_required"
                )
            services.request_supplement(
                official=user,
                dossier=dossier,
                items=items,
                note=post.get("note", ""),
                version=version,
            )
            success = _("Đã gửi yêu cầu bổ sung (Mẫu 02) tới công dân.")
        elif action == "refuse":
            services.refuse_reception(
                officer=user, dossier=dossier, reasons=post.get("reasons", ""), version=version
            )
            success = _("Đã từ chối tiếp nhận (Mẫu 03).")
        elif action == "assign":
            assignee = _user_in(request, "assignee")
            if assignee is None:
                raise ValidationFailed(_("Vui lòng chọn người xử lý."), code="assignee_required")
            services.assign(
                official=user,
                dossier=dossier,
                assignee=assignee,
                note=post.get("note", ""),
                version=version,
            )
            success = _("Đã phân công xử lý.")
        elif action == "start":
            services.start_processing(official=user, dossier=dossier, version=version)
            success = _("Đã nhận hồ sơ để xử lý.")
        elif action == "forward":
            services.forward_to_next_step(
                official=user,
                dossier=dossier,
                to_user=_user_in(request, "to_user"),
                note=post.get("note", ""),
                version=version,
            )
            success = _("Đã chuyển hồ sơ sang bước tiếp theo.")
        elif action == "send_back":
            step = None
            if post.get("to_step", "").isdigit():
                step = ProcessStep.objects.filter(
                    pk=post.get("to_step"), template_id=dossier.process_template_id
                ).first()
            services.send_back(
                official=user,
                dossier=dossier,
                note=post.get("note", ""),
                to_step=step,
                version=version,
            )
            success = _("Đã chuyển trả hồ sơ.")
        elif action == "financial":
            services.request_financial_obligation(
                official=user,
                dossier=dossier,
                amount_vnd=post.get("amount_vnd", ""),
                note=post.get("note", ""),
                version=version,
            )
            success = _("Đã thông báo nghĩa vụ tài chính.")
        elif action == "pause":
            services.pause(
                official=user, dossier=dossier, reason=post.get("reason", ""), version=version
            )
            success = _("Đã tạm dừng xử lý hồ sơ.")
        elif action == "resume":
            services.resume(
                official=user, dossier=dossier, note=post.get("note", ""), version=version
            )
            success = _("Đã tiếp tục xử lý hồ sơ.")
        elif action == "extend":
            try:
                new_date = date.fromisoformat(post.get("new_due_date", ""))
            except ValueError as exc:
                raise ValidationFailed(
                    _("Ngày hẹn mới không hợp lệ."), code="invalid_date"
                ) from exc
            services.propose_extension(
                official=user,
                dossier=dossier,
                new_due_date=new_date,
                reason=post.get("reason", ""),
                apology=post.get("apology", ""),
                version=version,
            )
            success = _("Đã gia hạn và gửi thư xin lỗi (Mẫu 04).")
        elif action == "approve":
            services.approve(
                official=user,
                dossier=dossier,
                result_summary=post.get("result_summary", ""),
                note=post.get("note", ""),
                version=version,
            )
            success = _("Đã phê duyệt kết quả.")
        elif action == "reject":
            services.reject(
                official=user, dossier=dossier, reasons=post.get("reasons", ""), version=version
            )
            success = _("Đã dừng xử lý hồ sơ.")
        elif action == "attach_result":
            upload = request.FILES.get("file")
            if upload is None:
                raise ValidationFailed(_("Vui lòng chọn tệp kết quả (PDF)."), code="file_required")
            services.attach_result(
                official=user,
                dossier=dossier,
                file=upload,
                name=post.get("name") or "Kết quả giải quyết",
            )
            success = _("Đã đính kèm kết quả.")
        elif action == "return_result":
            services.return_result(
                officer=user,
                dossier=dossier,
                method=post.get("method") or None,
                note=post.get("note", ""),
                version=version,
            )
            success = _("Đã trả kết quả.")
        else:
            raise Http404()
    except PermissionDenied as exc:
        return _forbidden(request, exc.message)
    except DomainError as exc:
        _error(request, exc)
    else:
        messages.success(request, success)
    return redirect("onestop:dossier", uid=dossier.uid)


def _officer_agencies(user):
    return Agency.objects.filter(visible_agency_filter(user, [Role.ONESTOP_OFFICER])).order_by(
        "name"
    )


@require_http_methods(["GET", "POST"])
def counter(request: HttpRequest) -> HttpResponse:
    """Counter entry: choose a procedure, then fill the e-form on the citizen's behalf."""
    denied = _official_required(request)
    if denied:
        return denied
    desks = list(_officer_agencies(request.user))
    if not desks:
        return _forbidden(request, _("Chỉ cán bộ một cửa được tiếp nhận hồ sơ tại quầy."))
    code = request.GET.get("procedure") or request.POST.get("procedure") or ""
    procedure = Procedure.objects.filter(code=code, is_active=True).first() if code else None
    if procedure is None:
        q = request.GET.get("q", "")
        results = selectors.search_procedures(q=q)[:30] if q else []
        return render(request, "onestop/counter_pick.html", {"q": q, "results": results})
    schema = procedure.form_schema or {}
    applicant_form = forms.CounterApplicantForm(request.POST or None)
    agencies = None if procedure.agency_id else _commune_agencies()
    meta = forms.SubmitMetaForm(request.POST or None, agencies=agencies)
    data: dict = {}
    field_errors: dict = {}
    if request.method == "POST":
        data = eforms.parse_form_data(schema, request.POST)
        cleaned, errors = eforms.collect_errors(schema, data)
        field_errors = errors.by_field
        attachments, _paper_errors = _attachments(request, procedure, [])
        if applicant_form.is_valid() and meta.is_valid() and not field_errors:
            a = applicant_form.cleaned_data
            agency = (
                agencies.filter(code=meta.cleaned_data["agency"]).first()
                if agencies is not None
                else None
            )
            receiving = None
            desk_code = request.POST.get("desk")
            if desk_code:
                receiving = next((d for d in desks if d.code == desk_code), None)
            try:
                dossier = services.receive_counter_dossier(
                    officer=request.user,
                    procedure=procedure,
                    applicant_name=a["applicant_name"],
                    form_data=cleaned,
                    attachments=attachments,
                    agency=agency,
                    receiving_agency=receiving,
                    applicant_id_number=a["applicant_id_number"],
                    applicant_phone=a["applicant_phone"],
                    applicant_email=a["applicant_email"],
                    applicant_address=a["applicant_address"],
                    return_method=a["return_method"],
                    fee_paid_cash=a["fee_paid_cash"],
                )
            except ValidationFailed as exc:
                details = exc.details or {}
                field_errors = details.get("fields", {}) if isinstance(details, dict) else {}
                _error(request, exc)
            except DomainError as exc:
                _error(request, exc)
            else:
                messages.success(
                    request, _("Đã tiếp nhận hồ sơ %(code)s.") % {"code": dossier.code}
                )
                return redirect("onestop:dossier", uid=dossier.uid)
        else:
            messages.error(request, _("Hồ sơ chưa hợp lệ, vui lòng xem các trường được đánh dấu."))
    context = {
        "procedure": procedure,
        "applicant_form": applicant_form,
        "meta": meta,
        "desks": desks,
        "eform_html": eforms.render_form(schema, data, field_errors),
        "papers": procedure.papers.all(),
    }
    return render(request, "onestop/counter.html", context)


# ---------------------------------------------------------------------------------------
# Leaders: statistics and the form-06 register


def _stats_agencies(user):
    if is_platform_admin(user):
        return (
            Agency.objects.filter(status=Agency.Status.ACTIVE)
            .exclude(kind=Agency.Kind.PEOPLES_COUNCIL)
            .order_by("path")
        )
    return Agency.objects.filter(
        visible_agency_filter(user, [Role.LEADER, Role.AGENCY_ADMIN])
    ).order_by("path")


def _stats_params(request: HttpRequest):
    user = request.user
    agencies = _stats_agencies(user)
    start, end = forms.default_period()
    initial = {"start": start, "end": end, "group_by": "agency"}
    form = forms.PeriodForm(request.GET or None, initial=initial, agencies=agencies)
    data = dict(initial)
    if form.is_bound and form.is_valid():
        data.update({k: v for k, v in form.cleaned_data.items() if v})
    agency = None
    if data.get("agency"):
        agency = agencies.filter(code=data["agency"]).first()
    if agency is None and not is_platform_admin(user):
        # Leaders see only their own agencies: default to the first (highest) one.
        agency = agencies.first()
    from tinhso.onestop.statistics import Period

    return form, Period(data["start"], data["end"]), data.get("group_by") or "agency", agency


@require_GET
def statistics_page(request: HttpRequest) -> HttpResponse:
    denied = _official_required(request)
    if denied:
        return denied
    if not can(request.user, "onestop.view_statistics", None):
        return _forbidden(request, _("Thống kê dành cho lãnh đạo và quản trị cơ quan."))
    from tinhso.onestop import exports, statistics

    form, period, group_by, agency = _stats_params(request)
    if agency is not None and not can(request.user, "onestop.view_statistics", agency):
        return _forbidden(request, _("Bạn không được xem số liệu của cơ quan này."))
    total = statistics.summary(period=period, agency=agency)[0]
    rows = statistics.summary(period=period, group_by=group_by, agency=agency)
    context = {
        "form": form,
        "period": period,
        "agency": agency,
        "total": total,
        "rows": rows,
        "group_by": group_by,
        "rules": statistics.RULES,
        "rules_vi": exports.RULES_VI,
        "query": request.GET.urlencode(),
    }
    return render(request, "onestop/statistics.html", context)


@require_GET
def statistics_xlsx(request: HttpRequest) -> HttpResponse:
    denied = _official_required(request)
    if denied:
        return denied
    if not can(request.user, "onestop.view_statistics", None):
        return _forbidden(request, _("Thống kê dành cho lãnh đạo và quản trị cơ quan."))
    from tinhso.onestop import exports, statistics

    _form, period, group_by, agency = _stats_params(request)
    if agency is not None and not can(request.user, "onestop.view_statistics", agency):
        return _forbidden(request, _("Bạn không được xem số liệu của cơ quan này."))
    total = statistics.summary(period=period, agency=agency)[0]
    rows = statistics.summary(period=period, group_by=group_by, agency=agency)
    data = exports.statistics_xlsx(
        rows=rows, total=total, period=period, group_by=group_by, agency=agency
    )
    return _xlsx_response(data, f"thong-ke-ho-so-{period.start:%Y%m%d}-{period.end:%Y%m%d}.xlsx")


def _xlsx_response(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(
        data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _register_params(request: HttpRequest):
    form, period, _group, agency = _stats_params(request)
    return form, period, agency


@require_GET
def register_page(request: HttpRequest) -> HttpResponse:
    denied = _official_required(request)
    if denied:
        return denied
    if not can(request.user, "onestop.view_statistics", None):
        return _forbidden(request, _("Sổ theo dõi dành cho lãnh đạo và quản trị cơ quan."))
    from tinhso.onestop import statistics

    form, period, agency = _register_params(request)
    rows = statistics.register_rows(period=period, receiving_agency=agency, limit=500)
    context = {
        "form": form,
        "period": period,
        "agency": agency,
        "rows": rows,
        "columns": statistics.REGISTER_COLUMNS,
        "query": request.GET.urlencode(),
        "truncated": len(rows) >= 500,
    }
    return render(request, "onestop/register.html", context)


@require_GET
def register_xlsx(request: HttpRequest) -> HttpResponse:
    denied = _official_required(request)
    if denied:
        return denied
    if not can(request.user, "onestop.view_statistics", None):
        return _forbidden(request, _("Sổ theo dõi dành cho lãnh đạo và quản trị cơ quan."))
    from tinhso.onestop import exports, statistics

    _form, period, agency = _register_params(request)
    rows = statistics.register_rows(period=period, receiving_agency=agency)
    data = exports.register_xlsx(rows=rows, period=period, agency=agency)
    return _xlsx_response(data, f"so-theo-doi-ho-so-{period.start:%Y%m%d}-{period.end:%Y%m%d}.xlsx")


# ---------------------------------------------------------------------------------------
# Catalog administration


def _catalog_admin_required(request: HttpRequest) -> HttpResponse | None:
    denied = _official_required(request)
    if denied:
        return denied
    user = request.user
    if not (
        is_platform_admin(user)
        or Agency.objects.filter(visible_agency_filter(user, [Role.AGENCY_ADMIN])).exists()
    ):
        return _forbidden(request, _("Quản trị danh mục thủ tục dành cho quản trị viên."))
    return None


@require_http_methods(["GET", "POST"])
def catalog_admin(request: HttpRequest) -> HttpResponse:
    denied = _catalog_admin_required(request)
    if denied:
        return denied
    from tinhso.onestop import catalog_io

    upload = forms.CatalogUploadForm(request.POST or None, request.FILES or None)
    import_errors: list = []
    if request.method == "POST" and upload.is_valid():
        try:
            result = catalog_io.import_catalog(upload.cleaned_data["file"], actor=request.user)
        except catalog_io.CatalogImportError as exc:
            import_errors = exc.errors
            messages.error(request, exc.message)
        except DomainError as exc:
            _error(request, exc)
        else:
            messages.success(request, _("Đã nhập danh mục: %(r)s.") % {"r": result})
            return redirect("onestop:catalog_admin")
    q = request.GET.get("q", "")
    procedures = selectors.search_procedures(q=q, active_only=False)
    user = request.user
    if not is_platform_admin(user):
        agencies = Agency.objects.filter(visible_agency_filter(user, [Role.AGENCY_ADMIN]))
        procedures = procedures.filter(agency__in=agencies)
    page = Paginator(procedures, 30).get_page(request.GET.get("page"))
    context = {
        "upload": upload,
        "import_errors": import_errors,
        "page": page,
        "q": q,
        "can_import": is_platform_admin(user),
    }
    return render(request, "onestop/catalog_admin.html", context)


@require_GET
def catalog_export(request: HttpRequest, fmt: str) -> HttpResponse:
    denied = _catalog_admin_required(request)
    if denied:
        return denied
    from tinhso.onestop import catalog_io

    if fmt == "xlsx":
        return _xlsx_response(catalog_io.export_xlsx(), "danh-muc-thu-tuc.xlsx")
    response = HttpResponse(
        catalog_io.export_json(), content_type="application/json; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="danh-muc-thu-tuc.json"'
    return response


def _paper_lines(procedure: Procedure) -> str:
    return "\n".join(
        " | ".join(
            [
                p.name,
                str(p.copies_original),
                str(p.copies_copy),
                "có" if p.is_required else "không",
                p.template_name,
            ]
        )
        for p in procedure.papers.all()
    )


def _step_lines(procedure: Procedure) -> str:
    template = procedure.active_process()
    if template is None:
        return ""
    return "\n".join(
        " | ".join([s.name, s.role, f"{Decimal(s.budget_days).normalize():f}", s.org_unit_name])
        for s in template.steps.order_by("order")
    )


def _parse_papers(text: str) -> list[dict]:
    papers = []
    for number, line in enumerate(_lines(text), start=1):
        parts = [p.strip() for p in line.split("|")]
        try:
            papers.append(
                {
                    "name": parts[0],
                    "copies_original": int(parts[1]) if len(parts) > 1 and parts[1] else 1,
                    "copies_copy": int(parts[2]) if len(parts) > 2 and parts[2] else 0,
                    "is_required": (parts[3].lower() not in ("không", "khong", "0", "no"))
                    if len(parts) > 3
                    else True,
                    "template_name": parts[4] if len(parts) > 4 else "",
                }
            )
        except ValueError as exc:
            raise ValidationFailed(
                _("Thành phần hồ sơ dòng %(n)s: số bản phải là số nguyên.") % {"n": number},
                code="invalid_papers",
            ) from exc
    return papers


def _parse_steps(text: str) -> list[dict]:
    steps = []
    lines = _lines(text)
    for number, line in enumerate(lines, start=1):
        parts = [p.strip() for p in line.split("|")]
        if len(parts) < 3:
            raise ValidationFailed(
                _("Quy trình dòng %(n)s: cần 'tên | vai trò | số ngày'.") % {"n": number},
                code="invalid_steps",
            )
        role = parts[1]
        kind = ProcessStep.Kind.PROCESSING
        if role == Role.ONESTOP_OFFICER:
            kind = ProcessStep.Kind.RECEPTION if number == 1 else ProcessStep.Kind.RETURN
        elif role == Role.LEADER:
            kind = ProcessStep.Kind.APPROVAL
        steps.append(
            {
                "name": parts[0],
                "role": role,
                "budget_days": parts[2].replace(",", "."),
                "org_unit_name": parts[3] if len(parts) > 3 else "",
                "kind": kind,
                "agency": None,
            }
        )
    return steps


@require_http_methods(["GET", "POST"])
def procedure_edit(request: HttpRequest, code: str | None = None) -> HttpResponse:
    denied = _catalog_admin_required(request)
    if denied:
        return denied
    procedure = Procedure.objects.filter(code=code).first() if code else None
    if code and procedure is None:
        raise Http404(_("Không tìm thấy thủ tục."))
    fields = Field.objects.order_by("name")
    agencies = Agency.objects.filter(status=Agency.Status.ACTIVE).order_by("path")
    initial: dict[str, Any] = {
        "online_type": "partial",
        "is_active": True,
        "fee_vnd": 0,
        "levels": ["province"],
    }
    if procedure is not None:
        initial = {
            "name": procedure.name,
            "field": procedure.field.code,
            "levels": procedure.level_list,
            "agency": procedure.agency.code if procedure.agency_id else "",
            "receiving_agency": procedure.receiving_agency.code
            if procedure.receiving_agency_id
            else "",
            "processing_days": procedure.processing_days,
            "processing_time_note": procedure.processing_time_note,
            "fee_vnd": procedure.fee_vnd,
            "fee_note": procedure.fee_note,
            "online_type": procedure.online_type,
            "legal_basis": procedure.legal_basis,
            "result_description": procedure.result_description,
            "is_active": procedure.is_active,
            "form_schema": json.dumps(procedure.form_schema, ensure_ascii=False, indent=2)
            if procedure.form_schema
            else "",
            "papers": _paper_lines(procedure),
            "steps": _step_lines(procedure),
        }
    form = forms.ProcedureForm(
        request.POST or None, initial=initial, fields=fields, agencies=agencies
    )
    new_code = request.POST.get("code", "").strip() if procedure is None else procedure.code
    preview = None
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            schema = json.loads(d["form_schema"]) if d["form_schema"].strip() else {}
        except json.JSONDecodeError as exc:
            form.add_error(
                "form_schema",
                _("JSON không hợp lệ: %(m)s (dòng %(l)s).") % {"m": exc.msg, "l": exc.lineno},
            )
            schema = None
        if schema is not None:
            from tinhso.onestop import catalog_io

            try:
                if not catalog_io.CODE_RE.match(new_code):
                    raise ValidationFailed(
                        _("Mã thủ tục không đúng dạng (ví dụ 1.001612)."), code="invalid_code"
                    )
                steps = _parse_steps(d["steps"])
                steps_changed = (
                    procedure is None or d["steps"].strip() != _step_lines(procedure).strip()
                )
                papers_changed = (
                    procedure is None or d["papers"].strip() != _paper_lines(procedure).strip()
                )
                saved = services.upsert_procedure(
                    actor=request.user,
                    code=new_code,
                    field=fields.get(code=d["field"]),
                    # Papers are replaced only when edited: replacing them unlinks the
                    # papers of past dossiers (DossierFile.required_paper SET_NULL).
                    papers=_parse_papers(d["papers"]) if papers_changed else None,
                    steps=steps if steps_changed else None,
                    name=d["name"],
                    levels=",".join(d["levels"]),
                    agency=agencies.filter(code=d["agency"]).first() if d["agency"] else None,
                    receiving_agency=agencies.filter(code=d["receiving_agency"]).first()
                    if d["receiving_agency"]
                    else None,
                    processing_days=d["processing_days"],
                    processing_time_note=d["processing_time_note"],
                    fee_vnd=d["fee_vnd"],
                    fee_note=d["fee_note"],
                    online_type=d["online_type"],
                    legal_basis=d["legal_basis"],
                    result_description=d["result_description"],
                    is_active=d["is_active"],
                    form_schema=eforms.normalise_schema(schema) if schema else {},
                )
            except PermissionDenied as exc:
                return _forbidden(request, exc.message)
            except DomainError as exc:
                _error(request, exc)
            else:
                messages.success(request, _("Đã lưu thủ tục %(code)s.") % {"code": saved.code})
                return redirect("onestop:procedure_edit", code=saved.code)
    if procedure is not None and procedure.form_schema:
        preview = eforms.render_form(procedure.form_schema, prefix="preview", readonly=True)
    return render(
        request,
        "onestop/procedure_edit.html",
        {"form": form, "procedure": procedure, "preview": preview, "new_code": new_code},
    )
