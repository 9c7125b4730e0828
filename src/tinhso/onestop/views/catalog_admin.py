"""Administration of the procedure catalogue: list, export, edit a procedure.

Thin: writes go through `tinhso.onestop.services`, reads through `selectors`.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from tinhso.accounts.models import Role
from tinhso.accounts.rules import holds_role, is_platform_admin, visible_agency_filter
from tinhso.core.collation import vi
from tinhso.core.errors import DomainError, PermissionDenied, ValidationFailed
from tinhso.core.pagination import paginate
from tinhso.directory.models import Agency
from tinhso.onestop import eforms, forms, selectors, services
from tinhso.onestop.models import (
    Field,
    Procedure,
    ProcessStep,
)
from tinhso.onestop.views.common import (
    _error,
    _forbidden,
    _lines,
    _official_required,
    _xlsx_response,
)


def _catalog_admin_required(request: HttpRequest) -> HttpResponse | None:
    denied = _official_required(request)
    if denied:
        return denied
    user = request.user
    if not holds_role(user, [Role.AGENCY_ADMIN]):
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
    page = paginate(request, procedures, 30)
    context = {
        "upload": upload,
        "import_errors": import_errors,
        "page": page,
        "q": q,
        "can_import": is_platform_admin(user),
    }
    if context["can_import"]:
        from tinhso.onestop.services.catalog import synonyms_text

        context["synonyms"] = synonyms_text()
    return render(request, "onestop/catalog_admin.html", context)


@require_http_methods(["POST"])
def catalog_synonyms(request: HttpRequest) -> HttpResponse:
    """Save the search synonyms (platform administrators; the rest get a 403)."""
    denied = _catalog_admin_required(request)
    if denied:
        return denied
    if not is_platform_admin(request.user):
        return _forbidden(
            request, _("Từ đồng nghĩa dùng chung cho cả tỉnh: chỉ quản trị nền tảng sửa.")
        )
    text = request.POST.get("synonyms", "")
    try:
        count = services.save_search_synonyms(actor=request.user, text=text)
    except DomainError as exc:  # nothing saved: show the text again with what is wrong
        return render(
            request,
            "onestop/catalog_synonyms_error.html",
            {"synonyms": text, "message": exc.message},
            status=400,
        )
    messages.success(request, _("Đã lưu %(n)s dòng từ đồng nghĩa.") % {"n": count})
    return redirect("onestop:catalog_admin")


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
    fields = Field.objects.order_by(vi("name"))
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
            "agency": procedure.agency.code if procedure.agency else "",
            "receiving_agency": procedure.receiving_agency.code
            if procedure.receiving_agency
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
