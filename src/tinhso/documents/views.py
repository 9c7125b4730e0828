"""Document pages (thin: parse a form, call a service or selector, render)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from tinhso.accounts.models import Role, User
from tinhso.accounts.rules import can, holds_role, visible_agency_ids
from tinhso.core.errors import DomainError, NotFound, PermissionDenied
from tinhso.core.files import attachment_response
from tinhso.core.pagination import paginate
from tinhso.documents import exports, forms, selectors, services
from tinhso.documents.errors import DocumentErrorCode as E
from tinhso.documents.models import ReviewStep
from tinhso.documents.rules import OFFICE_ROLES


def _error_page(request: HttpRequest, err: DomainError) -> HttpResponse:
    return render(request, "documents/error.html", {"error": err}, status=err.status)


def domain_errors(view: Callable) -> Callable:
    """Show a domain error (not found, permission) as a page instead of a 500."""

    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except DomainError as err:
            return _error_page(request, err)

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


def office_required(view: Callable) -> Callable:
    """The documents desk is for officials: anyone else (a citizen) gets a clear 403 page
    saying so, instead of an empty desk."""

    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not selectors.is_office_user(request.user):
            return _error_page(
                request,
                PermissionDenied(
                    _(
                        "Trang văn bản điều hành dành cho cán bộ, công chức làm việc với văn "
                        "bản của cơ quan. Tài khoản của bạn không có quyền truy cập."
                    ),
                    code=E.NO_ACCESS,
                ),
            )
        return view(request, *args, **kwargs)

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


def _run(request: HttpRequest, fn: Callable[[], Any], success: str) -> bool:
    try:
        fn()
    except DomainError as err:
        messages.error(request, err.message)
        return False
    messages.success(request, success)
    return True


def _pdf(upload) -> tuple[bytes, str]:
    return upload.read(), upload.name


# ---------------------------------------------------------------------------------------
# Workspace


@login_required
@require_GET
@office_required
def home(request: HttpRequest) -> HttpResponse:
    ws = selectors.workspace(request.user)
    user = request.user
    return render(
        request,
        "documents/home.html",
        {
            "ws": ws,
            "can_register": holds_role(user, {Role.CLERK, Role.LEADER}),
            "can_draft": holds_role(user, OFFICE_ROLES),
        },
    )


# ---------------------------------------------------------------------------------------
# Incoming


def _own_agency(user, roles) -> dict[str, Any]:
    """The form's agency chosen in advance when the user works for only one (most clerks
    and drafters): one choice less on every document."""
    ids = visible_agency_ids(user, roles)
    return {"agency": next(iter(ids))} if ids is not None and len(ids) == 1 else {}


@login_required
@office_required
def incoming_new(request: HttpRequest) -> HttpResponse:
    roles = {Role.CLERK, Role.LEADER}
    agencies = selectors.office_agencies(request.user, roles)
    form = forms.IncomingForm(
        request.POST or None,
        request.FILES or None,
        agencies=agencies,
        initial=_own_agency(request.user, roles),
    )
    duplicates = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        pdf, name = _pdf(data["file"])
        try:
            document = services.register_incoming(
                actor=request.user,
                agency=data["agency"],
                pdf=pdf,
                filename=name,
                sender_agency=data["sender_agency"],
                sender_name=data["sender_name"],
                number_notation=data["number_notation"],
                issued_on=data["issued_on"],
                doc_type=data["doc_type"],
                subject=data["subject"],
                urgency=data["urgency"],
                confidentiality=data["confidentiality"],
                page_count=data["page_count"],
                deadline=data["deadline"],
                source=data["source"],
                allow_duplicate=data["allow_duplicate"],
            )
        except DomainError as err:
            messages.error(request, err.message)
            if err.code == E.POSSIBLE_DUPLICATE:
                duplicates = err.details
        else:
            messages.success(
                request,
                _("Đã vào sổ văn bản đến, số đến %(n)s.") % {"n": document.arrival_number},
            )
            return redirect("documents:incoming", uid=document.uid)
    return render(request, "documents/incoming_new.html", {"form": form, "duplicates": duplicates})


@login_required
@domain_errors
def incoming_detail(request: HttpRequest, uid) -> HttpResponse:
    document = selectors.incoming_for(request.user, uid)
    services.mark_read(user=request.user, incoming=document)
    user = request.user
    follow_up = selectors.follow_up(document)
    mine = selectors.my_parts(user, document, among=[row["assignment"] for row in follow_up])
    can_assign = can(user, "documents.assign", document) and document.status in (
        "registered",
        "in_progress",
    )
    return render(
        request,
        "documents/incoming_detail.html",
        {
            "document": document,
            "files": selectors.incoming_files(document),
            "follow_up": follow_up,
            "reads": selectors.incoming_reads(document),
            "mine": [
                {
                    "assignment": a,
                    "note_form": forms.NoteForm(prefix=f"n{a.pk}"),
                    "also": also,
                    "forward_form": forms.ForwardForm(
                        prefix=f"f{a.pk}", agency=document.agency, user=user
                    ),
                    "finish_form": forms.FinishForm(prefix=f"d{a.pk}"),
                }
                for a, also in mine
            ],
            "assign_form": forms.AssignForm(agency=document.agency) if can_assign else None,
            "can_accept": document.status == "pending"
            and can(user, "documents.register_incoming", document.agency),
            "file_form": forms.FileToRecordForm(agency=document.agency),
        },
    )


@login_required
@require_POST
@domain_errors
def incoming_accept(request: HttpRequest, uid) -> HttpResponse:
    document = selectors.incoming_for(request.user, uid)
    _run(
        request,
        lambda: services.accept_incoming(actor=request.user, document=document),
        _("Đã vào sổ văn bản."),
    )
    return redirect("documents:incoming", uid=uid)


@login_required
@require_POST
@domain_errors
def incoming_assign(request: HttpRequest, uid) -> HttpResponse:
    document = selectors.incoming_for(request.user, uid)
    form = forms.AssignForm(request.POST, agency=document.agency)
    if not form.is_valid():
        messages.error(request, _("Vui lòng chọn đơn vị/cá nhân chủ trì hợp lệ."))
        return redirect("documents:incoming", uid=uid)
    data = form.cleaned_data
    _run(
        request,
        lambda: services.assign_incoming(
            actor=request.user,
            document=document,
            lead=forms.resolve_target(data["lead"]),
            cooperate=[forms.resolve_target(v) for v in data["cooperate"]],
            info=[forms.resolve_target(v) for v in data["info"]],
            deadline=data["deadline"],
            instruction=data["instruction"],
        ),
        _("Đã phân công xử lý."),
    )
    return redirect("documents:incoming", uid=uid)


@login_required
@require_POST
@domain_errors
def assignment_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    assignment = selectors.assignment_for(request.user, pk)
    uid = assignment.document.uid
    if action == "note":
        form = forms.NoteForm(request.POST, request.FILES, prefix=f"n{pk}")
        if form.is_valid():
            upload = form.cleaned_data.get("file")
            pdf, name = _pdf(upload) if upload else (None, "")
            _run(
                request,
                lambda: services.add_note(
                    actor=request.user,
                    assignment=assignment,
                    text=form.cleaned_data["text"],
                    pdf=pdf,
                    filename=name,
                ),
                _("Đã ghi ý kiến xử lý."),
            )
    elif action == "forward":
        forward = forms.ForwardForm(
            request.POST, prefix=f"f{pk}", agency=assignment.document.agency, user=request.user
        )
        if forward.is_valid():
            _run(
                request,
                lambda: services.forward_assignment(
                    actor=request.user,
                    assignment=assignment,
                    to=forms.resolve_target(forward.cleaned_data["to"]),
                    instruction=forward.cleaned_data["instruction"],
                ),
                _("Đã chuyển tiếp."),
            )
        else:
            messages.error(request, _("Vui lòng chọn người hoặc đơn vị nhận chuyển tiếp."))
    elif action == "finish":
        finish = forms.FinishForm(request.POST, prefix=f"d{pk}")
        if finish.is_valid():
            _run(
                request,
                lambda: services.finish_assignment(
                    actor=request.user, assignment=assignment, result=finish.cleaned_data["result"]
                ),
                _("Đã hoàn thành xử lý."),
            )
    else:
        raise NotFound()
    return redirect("documents:incoming", uid=uid)


# ---------------------------------------------------------------------------------------
# Outgoing


@login_required
@office_required
def outgoing_new(request: HttpRequest) -> HttpResponse:
    agencies = selectors.office_agencies(request.user)
    initial = _own_agency(request.user, OFFICE_ROLES)
    reply_to = request.GET.get("reply_to")
    if reply_to:
        initial["in_reply_to"] = reply_to
    form = forms.DraftForm(
        request.POST or None, request.FILES or None, agencies=agencies, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        pdf, name = _pdf(data["file"])
        try:
            answered = (
                selectors.incoming_for(request.user, data["in_reply_to"])
                if data["in_reply_to"]
                else None
            )
            document = services.create_draft(
                actor=request.user,
                agency=data["agency"],
                doc_type=data["doc_type"],
                subject=data["subject"],
                pdf=pdf,
                filename=name,
                drafting_unit=data["drafting_unit"],
                urgency=data["urgency"],
                confidentiality=data["confidentiality"],
                recipients=list(data["recipients"]),
                external_recipients=form.external_list(),
                in_reply_to=answered,
            )
        except DomainError as err:
            messages.error(request, err.message)
        else:
            messages.success(request, _("Đã tạo dự thảo."))
            return redirect("documents:outgoing", uid=document.uid)
    return render(request, "documents/outgoing_new.html", {"form": form})


@login_required
@domain_errors
def outgoing_detail(request: HttpRequest, uid) -> HttpResponse:
    document = selectors.outgoing_for(request.user, uid)
    services.mark_read(user=request.user, outgoing=document)
    user = request.user
    status = document.status
    pending_step = document.review_steps.filter(status=ReviewStep.Status.PENDING).first()
    is_clerk = can(user, "documents.number", document)
    can_approve = can(user, "documents.approve", document)
    return render(
        request,
        "documents/outgoing_detail.html",
        {
            "document": document,
            "files": document.files.all(),
            "steps": document.review_steps.select_related("reviewer"),
            "recipients": selectors.recipients_with_reads(document),
            "can_edit": status == "draft" and can(user, "documents.edit_draft", document),
            "version_form": forms.VersionForm(),
            "submit_form": forms.SubmitForm(agency=document.agency),
            "can_review": bool(
                status == "in_review" and pending_step and pending_step.reviewer_id == user.pk
            ),
            "comment_form": forms.CommentForm(),
            "can_approve": can_approve and status == "reviewed",
            "can_sign": can_approve and status in ("reviewed", "approved"),
            "can_number": is_clerk and status == "signed",
            "can_seal": is_clerk and status == "numbered",
            "can_dispatch": is_clerk and status == "issued",
            "dispatch_form": forms.DispatchForm(
                exclude=document.agency,
                initial={
                    "agencies": list(document.planned_agencies.all()),
                    "external": document.planned_external,
                },
            ),
            "group_form": forms.RecipientGroupForm(),
            "planned": list(document.planned_agencies.all()),
            "signing": selectors.signing_method(user, document) if can_approve else None,
            "file_form": forms.FileToRecordForm(agency=document.agency),
        },
    )


@login_required
@require_POST
@domain_errors
def outgoing_action(request: HttpRequest, uid, action: str) -> HttpResponse:
    document = selectors.outgoing_for(request.user, uid)
    user = request.user
    post = request.POST
    if action == "version":
        form = forms.VersionForm(post, request.FILES)
        if form.is_valid():
            pdf, name = _pdf(form.cleaned_data["file"])
            _run(
                request,
                lambda: services.add_draft_version(
                    actor=user, document=document, pdf=pdf, filename=name
                ),
                _("Đã thêm phiên bản mới."),
            )
        else:
            messages.error(request, _("Vui lòng chọn tệp PDF."))
    elif action == "submit":
        submit = forms.SubmitForm(post, agency=document.agency)
        if submit.is_valid():
            # Keep the order in which reviewers were listed in the request.
            reviewer_uids = [u for u in post.getlist("reviewers") if u]
            _run(
                request,
                lambda: services.submit_for_review(
                    actor=user,
                    document=document,
                    reviewers=[User.objects.get(uid=u) for u in reviewer_uids],
                    signer=User.objects.get(uid=submit.cleaned_data["signer"]),
                ),
                _("Đã gửi xem xét."),
            )
        else:
            messages.error(request, _("Vui lòng chọn lãnh đạo ký."))
    elif action in ("approve_review", "return_review"):
        _run(
            request,
            lambda: services.review_draft(
                actor=user,
                document=document,
                approve=action == "approve_review",
                comment=post.get("comment", ""),
            ),
            _("Đã ghi ý kiến xem xét."),
        )
    elif action == "approve":
        _run(
            request,
            lambda: services.approve_outgoing(actor=user, document=document),
            _("Đã duyệt."),
        )
    elif action == "return":
        _run(
            request,
            lambda: services.return_to_drafter(
                actor=user, document=document, comment=post.get("comment", "")
            ),
            _("Đã trả lại dự thảo."),
        )
    elif action == "sign":
        if post.get("confirm") != "1":
            # "Duyệt và ký số" signs only after the leader confirmed (and saw how).
            messages.error(request, _("Vui lòng xác nhận trước khi ký."))
        else:
            _run(
                request,
                lambda: services.sign_outgoing(
                    actor=user, document=document, digital=post.get("digital", "1") == "1"
                ),
                _("Đã ký văn bản."),
            )
    elif action == "recipient_group":
        group_form = forms.RecipientGroupForm(post)
        dispatch = forms.DispatchForm(post, exclude=document.agency)
        if group_form.is_valid() and dispatch.is_valid():
            _run(
                request,
                lambda: services.create_recipient_group(
                    actor=user,
                    agency=document.agency,
                    name=group_form.cleaned_data["name"],
                    members=list(dispatch.cleaned_data["agencies"]),
                ),
                _("Đã lưu nhóm nơi nhận."),
            )
        else:
            messages.error(request, _("Vui lòng đặt tên nhóm và chọn nơi nhận."))
    elif action == "number":
        _run(
            request,
            lambda: services.number_outgoing(actor=user, document=document),
            _("Đã cấp số văn bản."),
        )
    elif action == "seal":
        _run(
            request,
            lambda: services.seal_outgoing(actor=user, document=document),
            _("Đã ký số cơ quan (đóng dấu)."),
        )
    elif action == "dispatch":
        dispatch = forms.DispatchForm(post, exclude=document.agency)
        if dispatch.is_valid():
            _run(
                request,
                lambda: services.dispatch_outgoing(
                    actor=user,
                    document=document,
                    agencies=list(dispatch.cleaned_data["agencies"]),
                    external=dispatch.external_list(),
                ),
                _("Đã phát hành văn bản."),
            )
        else:
            messages.error(request, _("Nơi nhận không hợp lệ."))
    else:
        raise NotFound()
    return redirect("documents:outgoing", uid=uid)


# ---------------------------------------------------------------------------------------
# Files, search, registers, statistics, work records


@login_required
@require_GET
@domain_errors
def file_download(request: HttpRequest, pk: int) -> HttpResponse:
    doc_file = selectors.file_for(request.user, pk)
    # An uploaded file: always a download (tinhso.core.files.attachment_response).
    return attachment_response(
        services.read_file_bytes(doc_file), filename=f"{doc_file.sha256[:16]}.pdf"
    )


SEARCH_PAGE = 50
SEARCH_DEPTH = 10_000  # matches reachable by page links


@login_required
@require_GET
@office_required
def search(request: HttpRequest) -> HttpResponse:
    form = forms.SearchForm(request.GET or None, agencies=selectors.office_agencies(request.user))
    page = pager = None
    error = None
    if form.is_valid():
        data = form.cleaned_data
        wanted = paginate(request, range(SEARCH_DEPTH), SEARCH_PAGE)  # ?page=, bounded

        def run(offset: int):
            return selectors.search_documents(
                user=request.user,
                q=data["q"],
                kind=data["kind"] or "all",
                doc_type=data["doc_type"] or None,
                status=data["status"] or None,
                agency=data["agency"],
                date_from=data["date_from"],
                date_to=data["date_to"],
                limit=SEARCH_PAGE,
                offset=offset,
            )

        try:
            page = run(wanted.start_index() - 1)
            # the page bar over every match (deep pages: narrow the search instead)
            pager = Paginator(range(min(page.total, SEARCH_DEPTH)), SEARCH_PAGE).get_page(
                wanted.number
            )
            if page.total and not page.items and pager.number != wanted.number:
                page = run(pager.start_index() - 1)  # past the last page: show the last
        except DomainError as err:
            error = err.message
    return render(
        request,
        "documents/search.html",
        {"form": form, "page": page, "pager": pager, "error": error},
    )


@login_required
@require_GET
@office_required
def registers(request: HttpRequest) -> HttpResponse:
    page = paginate(request, selectors.registers_for(request.user), 50)
    return render(request, "documents/registers.html", {"registers": page, "page": page})


@login_required
@require_GET
@domain_errors
def register_detail(request: HttpRequest, pk: int) -> HttpResponse:
    register = selectors.register_visible_to(request.user, pk)
    return render(
        request,
        "documents/register_detail.html",
        {
            "register": register,
            "columns": selectors.register_columns(register),
            "rows": paginate(request, selectors.register_rows(register), 100),
        },
    )


@login_required
@require_GET
@domain_errors
def register_export(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    register = selectors.register_visible_to(request.user, pk)
    name = f"so-{register.direction}-{register.year}-{register.agency.code}"
    if fmt == "pdf":
        response = HttpResponse(exports.register_pdf(register), content_type="application/pdf")
    elif fmt == "xlsx":
        response = HttpResponse(
            exports.register_xlsx(register),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    else:
        raise NotFound()
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


@login_required
@require_GET
@office_required
def statistics(request: HttpRequest) -> HttpResponse:
    form = forms.PeriodForm(request.GET or None)
    date_from, date_to = form.period()
    agencies = [
        a
        for a in selectors.office_agencies(request.user, {Role.LEADER, Role.CLERK})
        if can(request.user, "documents.view_statistics", a)
    ]
    rows: list = []
    error = None
    if form.is_bound and not form.is_valid():  # e.g. a date beyond 2099: say so, answer 400
        error = " ".join(str(m) for messages in form.errors.values() for m in messages)
    try:
        rows = selectors.statistics(agencies=agencies[:200], date_from=date_from, date_to=date_to)
    except DomainError as err:
        error = err.message
    return render(
        request,
        "documents/statistics.html",
        {"form": form, "rows": rows, "error": error, "date_from": date_from, "date_to": date_to},
        status=400 if error else 200,
    )


@login_required
@office_required
def work_records(request: HttpRequest) -> HttpResponse:
    agencies = selectors.office_agencies(request.user)
    form = forms.WorkRecordForm(request.POST or None, agencies=agencies)
    if request.method == "POST" and form.is_valid():
        try:
            record = services.create_work_record(
                actor=request.user,
                agency=form.cleaned_data["agency"],
                title=form.cleaned_data["title"],
            )
        except DomainError as err:
            messages.error(request, err.message)
        else:
            messages.success(request, _("Đã lập hồ sơ %(code)s.") % {"code": record.code})
            return redirect("documents:work_record", uid=record.uid)
    return render(
        request,
        "documents/work_records.html",
        {"form": form, "records": paginate(request, selectors.work_records_for(request.user), 30)},
    )


@login_required
@domain_errors
def work_record_detail(request: HttpRequest, uid) -> HttpResponse:
    record = selectors.work_record_for(request.user, uid)
    if request.method == "POST" and request.POST.get("action") == "close":
        _run(
            request,
            lambda: services.close_work_record(actor=request.user, work_record=record),
            _("Đã đóng hồ sơ."),
        )
        return redirect("documents:work_record", uid=uid)
    items = record.items.select_related("incoming", "outgoing")
    return render(request, "documents/work_record_detail.html", {"record": record, "items": items})


@login_required
@require_POST
@domain_errors
def file_into_record(request: HttpRequest, kind: str, uid) -> HttpResponse:
    if kind not in ("incoming", "outgoing"):
        raise NotFound()
    incoming = selectors.incoming_for(request.user, uid) if kind == "incoming" else None
    outgoing = selectors.outgoing_for(request.user, uid) if kind == "outgoing" else None
    agency = incoming.agency if incoming is not None else outgoing.agency  # type: ignore[union-attr]
    target = reverse(f"documents:{kind}", kwargs={"uid": uid})
    form = forms.FileToRecordForm(request.POST, agency=agency)
    if form.is_valid():
        _run(
            request,
            lambda: services.file_document(
                actor=request.user,
                work_record=form.cleaned_data["record"],
                incoming=incoming,
                outgoing=outgoing,
            ),
            _("Đã đưa văn bản vào hồ sơ công việc."),
        )
    else:
        messages.error(request, _("Vui lòng chọn hồ sơ công việc đang mở."))
    return redirect(target)
