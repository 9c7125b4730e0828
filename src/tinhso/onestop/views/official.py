"""The officials' pages: queues and actions on a dossier (counter reception: counter.py).

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
from django.views.decorators.http import require_GET, require_POST

from tinhso.accounts.models import Role, User
from tinhso.accounts.rules import can, visible_agency_filter
from tinhso.core.errors import DomainError, PermissionDenied, ValidationFailed
from tinhso.directory.models import Agency
from tinhso.onestop import selectors, services
from tinhso.onestop.models import (
    ProcessStep,
)
from tinhso.onestop.services.clock import now as clock_now
from tinhso.onestop.views.common import (
    QUEUE_TITLES,
    _dossier_or_404,
    _error,
    _forbidden,
    _lines,
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
