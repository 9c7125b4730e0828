"""The officials' pages: queues, actions on a dossier, counter reception.

Thin: writes go through `tinhso.onestop.services`, reads through `selectors`.
"""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tinhso.accounts.models import Role, User
from tinhso.accounts.rules import can, visible_agency_filter
from tinhso.core.errors import DomainError, PermissionDenied, ValidationFailed
from tinhso.directory.models import Agency
from tinhso.onestop import eforms, forms, selectors, services
from tinhso.onestop.models import (
    Procedure,
    ProcessStep,
)
from tinhso.onestop.services.clock import now as clock_now
from tinhso.onestop.views.common import (
    QUEUE_TITLES,
    _attachments,
    _commune_agencies,
    _dossier_or_404,
    _error,
    _forbidden,
    _lines,
    _officer_agencies,
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
