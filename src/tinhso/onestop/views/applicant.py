"""The applicant's pages: submit a dossier, my dossiers, the wallet, actions and payment.

Thin: writes go through `tinhso.onestop.services`, reads through `selectors`.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tinhso.core.errors import DomainError, NotFound, ValidationFailed
from tinhso.core.files import attachment_response
from tinhso.core.pagination import paginate
from tinhso.onestop import eforms, forms, selectors, services
from tinhso.onestop.models import (
    PendingUpload,
    WalletItem,
)
from tinhso.onestop.services import files as file_store
from tinhso.onestop.services import uploads
from tinhso.onestop.views.common import (
    _citizen_required,
    _dossier_or_404,
    _error,
    _version,
)


def _papers(
    request: HttpRequest, papers: list, wallet_items: list, kept: dict[int, PendingUpload]
) -> tuple[list[services.Attachment], dict[int, str]]:
    """What the citizen gave for each paper: a new upload (checked and kept at once, so
    that a failed submission does not lose it), the upload kept from an earlier try, or a
    wallet pick. The e-form paper is generated from the e-form. Errors name the paper."""
    wallet = {str(w.uid): w for w in wallet_items}
    attachments: list[services.Attachment] = []
    errors: dict[int, str] = {}
    for paper in papers:
        if paper.is_eform:
            continue
        if request.POST.get(f"drop-{paper.pk}") == "1" and paper.pk in kept:
            uploads.discard_upload(user=request.user, pending=kept.pop(paper.pk))
        upload = request.FILES.get(f"paper-{paper.pk}")
        if upload is not None:
            try:
                kept[paper.pk] = uploads.keep_upload(user=request.user, paper=paper, file=upload)
            except DomainError as exc:
                errors[paper.pk] = exc.message
                continue
        chosen = request.POST.get(f"wallet-{paper.pk}", "")
        save = request.POST.get(f"save-{paper.pk}") == "1"  # "Lưu vào kho giấy tờ"
        if paper.pk in kept and (upload is not None or not chosen):
            attachments.append(
                services.Attachment(
                    pending=kept[paper.pk], paper=paper, name=paper.name, save_to_wallet=save
                )
            )
        elif chosen:
            item = wallet.get(chosen)
            if item is None:
                errors[paper.pk] = _("“%(name)s”: giấy tờ đã chọn không còn trong kho.") % {
                    "name": paper.name
                }
            else:
                attachments.append(
                    services.Attachment(wallet_item=item, paper=paper, name=paper.name)
                )
    return attachments, errors


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
    agencies = None if procedure.agency_id else selectors.competent_agencies(procedure)
    wallet_items = list(selectors.wallet(request.user))
    papers = list(procedure.papers.all())
    kept = uploads.pending_uploads(request.user, papers)  # kept from an earlier try
    data: dict = {}
    field_errors: dict = {}
    paper_errors: dict[int, str] = {}
    meta = forms.SubmitMetaForm(request.POST or None, agencies=agencies)
    if request.method == "POST":
        data = eforms.parse_form_data(schema, request.POST)
        cleaned, errors = eforms.collect_errors(schema, data)
        field_errors = errors.by_field
        attachments, paper_errors = _papers(request, papers, wallet_items, kept)
        if meta.is_valid() and not field_errors and not paper_errors:
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
                    # the e-form's delivery block, when it has one, is the answer
                    return_method=meta.cleaned_data["return_method"] or "online",
                    postal_address=meta.cleaned_data.get("postal_address", ""),
                )
            except ValidationFailed as exc:
                details = exc.details if isinstance(exc.details, dict) else {}
                field_errors = details.get("fields", {}) or field_errors
                missing = set(details.get("missing") or [])
                for paper in papers:
                    if paper.name in missing:
                        paper_errors[paper.pk] = _(
                            "“%(name)s” là giấy tờ bắt buộc: tải lên hoặc chọn từ kho giấy tờ."
                        ) % {"name": paper.name}
                messages.error(request, exc.message)
            except DomainError as exc:
                _error(request, exc)
            else:
                messages.success(
                    request,
                    _(
                        "Đã nộp hồ sơ. Mã theo dõi: %(code)s — dùng để tra cứu hồ sơ ngay từ "
                        "bây giờ. Cơ quan sẽ kiểm tra và tiếp nhận; bạn theo dõi tại trang này."
                    )
                    % {"code": dossier.tracking_code},
                )
                return redirect("onestop:dossier", uid=dossier.uid)
        else:
            messages.error(request, _("Hồ sơ chưa hợp lệ, vui lòng xem các trường được đánh dấu."))
            for paper in papers:  # which paper is wrong, said at the top too
                if paper.pk in paper_errors:
                    messages.error(request, paper_errors[paper.pk])
    if not data and schema:
        data = _prefill(schema, request.user)
    context = {
        "procedure": procedure,
        "eform_html": eforms.render_form(schema, data, field_errors),
        "papers": [
            {
                "paper": p,
                "error": paper_errors.get(p.pk),
                "kept": kept.get(p.pk),
                "chosen": request.POST.get(f"wallet-{p.pk}", ""),
                "save": request.POST.get(f"save-{p.pk}") == "1",
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
    dossiers = selectors.listed(selectors.my_dossiers(request.user))
    page = paginate(request, dossiers, 20)
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
    page = paginate(request, selectors.wallet(request.user), 20)
    return render(request, "onestop/wallet.html", {"form": form, "items": page, "page": page})


@login_required
@require_GET
def wallet_file(request: HttpRequest, uid) -> HttpResponseBase:
    item = WalletItem.objects.filter(uid=uid, owner_id=request.user.pk).first()
    if item is None:
        raise Http404(_("Không tìm thấy giấy tờ."))
    stored = item.file.name or ""
    return attachment_response(  # an upload: always a download, never shown as a page
        default_storage.open(stored, "rb"),
        filename=item.original_name or stored.rsplit("/", 1)[-1],
    )


@require_POST
def citizen_action(request: HttpRequest, uid, action: str) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("accounts:login")
    dossier = _dossier_or_404(uid)
    user = request.user
    try:
        if action == "answer_supplement":
            attachments = []
            keep = request.POST.get("save_to_wallet") == "1"  # "Lưu vào kho giấy tờ"
            for i, upload in enumerate(request.FILES.getlist("files"), start=1):
                attachments.append(
                    services.Attachment(
                        file=upload, name=f"Giấy tờ bổ sung {i}", save_to_wallet=keep
                    )
                )
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
