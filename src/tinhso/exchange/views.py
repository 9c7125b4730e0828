"""Exchange pages (thin): the receiving queue with accept/refuse, the sender's view of a
document with revoke/update/replace, and the administrator's address book, outbox,
inbox, dead letters and statistics."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from tinhso.accounts.rules import can
from tinhso.core.errors import DomainError, PermissionDenied
from tinhso.core.pagination import paginate
from tinhso.exchange import edxml, selectors, services
from tinhso.exchange.models import Endpoint, InboxItem, OutboxMessage

PER_PAGE = 30


def _error(request: HttpRequest, err: DomainError) -> HttpResponse:
    return render(request, "exchange/error.html", {"error": err}, status=err.status)


def domain_errors(view: Callable) -> Callable:
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except DomainError as err:
            return _error(request, err)

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


def _admin_only(request: HttpRequest) -> None:
    if not can(request.user, "exchange.admin"):
        raise PermissionDenied(_("Trang này dành cho quản trị trục liên thông."))


def _run(request: HttpRequest, fn: Callable[[], Any], success: str) -> bool:
    try:
        fn()
    except DomainError as err:
        messages.error(request, err.message)
        return False
    messages.success(request, success)
    return True


STATES = [
    ("arrived", gettext_lazy("Chờ tiếp nhận")),
    ("accepted", gettext_lazy("Đã tiếp nhận")),
    ("refused", gettext_lazy("Đã từ chối")),
    ("revoked", gettext_lazy("Đã bị thu hồi")),
    ("replaced", gettext_lazy("Đã bị thay thế")),
    ("all", gettext_lazy("Tất cả")),
]


@require_GET
@login_required
@domain_errors
def home(request: HttpRequest) -> HttpResponse:
    """The receiving clerk's queue of arrived packages."""
    state = request.GET.get("state", "arrived")
    if state not in dict(STATES):
        state = "arrived"
    page = paginate(request, selectors.queue(request.user, state=state), PER_PAGE)
    return render(
        request,
        "exchange/home.html",
        {
            "page": page,
            "state": state,
            "states": STATES,
            "is_admin": can(request.user, "exchange.admin"),
        },
    )


def _item(request: HttpRequest, uid: Any) -> InboxItem:
    item = selectors.item_for(request.user, uid)
    if item is None:
        raise Http404
    return item


@require_GET
@login_required
@domain_errors
def item(request: HttpRequest, uid: Any) -> HttpResponse:
    item = _item(request, uid)
    package = None
    try:
        package = edxml.read_unsigned(bytes(item.payload))
    except DomainError:
        package = None
    return render(
        request,
        "exchange/item.html",
        {
            "item": item,
            "package": package,
            "can_decide": item.state == "arrived"
            and can(request.user, "exchange.receive", item.agency),
            "followups": item.followups.order_by("created_at"),
        },
    )


@require_GET
@login_required
@domain_errors
def item_file(request: HttpRequest, uid: Any, index: int) -> HttpResponse:
    from tinhso.core.files import attachment_response

    item = _item(request, uid)
    package = edxml.read_unsigned(bytes(item.payload))
    attachments = package.attachments if isinstance(package, edxml.DocumentPackage) else []
    if index >= len(attachments):
        raise Http404
    att = attachments[index]
    return attachment_response(att.data, filename=att.name)


# What the clerk is told once a package is accepted, by its business type.
ACCEPTED = {
    0: gettext_lazy("Đã tiếp nhận; đã gửi trạng thái cho cơ quan gửi."),
    1: gettext_lazy("Đã đồng ý thu hồi (15); văn bản đã nhận được đánh dấu thu hồi."),
    2: gettext_lazy("Đã đồng ý cập nhật (15); đã gửi trạng thái cho cơ quan gửi."),
}


@require_POST
@login_required
@domain_errors
def accept(request: HttpRequest, uid: Any) -> HttpResponse:
    item = _item(request, uid)
    _run(
        request,
        lambda: services.accept_item(actor=request.user, item=item),
        str(ACCEPTED.get(item.business_type, ACCEPTED[0])),
    )
    return redirect("exchange:item", uid=item.uid)


@require_POST
@login_required
@domain_errors
def refuse(request: HttpRequest, uid: Any) -> HttpResponse:
    item = _item(request, uid)
    _run(
        request,
        lambda: services.refuse_item(
            actor=request.user, item=item, reason=request.POST.get("reason", "")[:2000]
        ),
        _("Đã từ chối; đã gửi lý do cho cơ quan gửi."),
    )
    return redirect("exchange:item", uid=item.uid)


def _outgoing(request: HttpRequest, uid: Any) -> Any:
    from tinhso.documents.models import OutgoingDocument

    document = OutgoingDocument.objects.filter(uid=uid).select_related("agency").first()
    if document is None or not can(request.user, "documents.view_outgoing", document):
        raise Http404
    return document


@require_GET
@login_required
@domain_errors
def document(request: HttpRequest, uid: Any) -> HttpResponse:
    """The sender's view: each receiver's state, revoke / update / replace."""
    from tinhso.documents.models import OutgoingDocument

    doc = _outgoing(request, uid)
    replacements = (
        OutgoingDocument.objects.filter(agency=doc.agency, status__in=["issued", "dispatched"])
        .exclude(pk=doc.pk)
        .order_by("-issued_on", "-id")[:50]
    )
    return render(
        request,
        "exchange/document.html",
        {
            "document": doc,
            "transmissions": selectors.transmissions_of(doc),
            "can_act": can(request.user, "documents.number", doc),
            "replacements": replacements,
        },
    )


@require_POST
@login_required
@domain_errors
def business(request: HttpRequest, uid: Any) -> HttpResponse:
    from tinhso.documents.models import OutgoingDocument

    doc = _outgoing(request, uid)
    action = request.POST.get("action", "")
    reason = request.POST.get("reason", "")[:2000]
    if action == "revoke":
        _run(
            request,
            lambda: services.revoke_document(actor=request.user, document=doc, reason=reason),
            _("Đã gửi yêu cầu thu hồi cho các nơi nhận."),
        )
    elif action == "update":
        added = [c for c in request.POST.get("added", "").replace(",", " ").split() if c][:50]
        removed = [c for c in request.POST.get("removed", "").replace(",", " ").split() if c][:50]
        _run(
            request,
            lambda: services.update_document(
                actor=request.user,
                document=doc,
                reason=reason,
                document_info=request.POST.get("document_info", "")[:2000],
                added=added,
                removed=removed,
            ),
            _("Đã gửi thông tin cập nhật cho các nơi nhận."),
        )
    elif action == "replace":
        replacement = (
            OutgoingDocument.objects.filter(
                uid=str(request.POST.get("replacement", "")), agency=doc.agency
            ).first()
            if _is_uuid(request.POST.get("replacement", ""))
            else None
        )
        if replacement is None:
            messages.error(request, _("Vui lòng chọn văn bản thay thế."))
        else:
            _run(
                request,
                lambda: services.replace_document(
                    actor=request.user, document=doc, replacement=replacement, reason=reason
                ),
                _("Đã gửi văn bản thay thế cho các nơi nhận."),
            )
    else:
        messages.error(request, _("Thao tác không hợp lệ."))
    return redirect("exchange:document", uid=doc.uid)


def _is_uuid(value: str) -> bool:
    import uuid

    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


# ---------------------------------------------------------------------------- admin
@require_GET
@login_required
@domain_errors
def outbox(request: HttpRequest) -> HttpResponse:
    _admin_only(request)
    state = request.GET.get("state", "")
    state = state if state in OutboxMessage.State.values else ""
    kind = request.GET.get("kind", "")
    kind = kind if kind in OutboxMessage.Kind.values else ""
    q = request.GET.get("q", "").strip()[:100]
    page = paginate(request, selectors.outbox(state=state, kind=kind, q=q), PER_PAGE)
    counts = selectors.outbox_counts()
    return render(
        request,
        "exchange/outbox.html",
        {
            "page": page,
            "state": state,
            "kind": kind,
            "q": q,
            "states": OutboxMessage.State.choices,
            "kinds": OutboxMessage.Kind.choices,
            "state_counts": [
                (label, counts.get(key, 0)) for key, label in OutboxMessage.State.choices
            ],
        },
    )


@require_POST
@login_required
@domain_errors
def retry(request: HttpRequest, uid: Any) -> HttpResponse:
    _admin_only(request)
    message = OutboxMessage.objects.filter(uid=uid).first()
    if message is None:
        raise Http404
    _run(
        request,
        lambda: services.retry_message(actor=request.user, message=message),
        _("Đã đưa gói tin vào hàng gửi lại."),
    )
    return redirect(f"{reverse('exchange:outbox')}?state=dead")


@require_GET
@login_required
@domain_errors
def inbox(request: HttpRequest) -> HttpResponse:
    _admin_only(request)
    state = request.GET.get("state", "")
    state = state if state in InboxItem.State.values else ""
    kind = request.GET.get("kind", "")
    kind = kind if kind in InboxItem.Kind.values else ""
    q = request.GET.get("q", "").strip()[:100]
    page = paginate(request, selectors.inbox(state=state, kind=kind, q=q), PER_PAGE)
    return render(
        request,
        "exchange/inbox.html",
        {
            "page": page,
            "state": state,
            "kind": kind,
            "q": q,
            "states": InboxItem.State.choices,
            "kinds": InboxItem.Kind.choices,
        },
    )


@login_required
@domain_errors
def endpoints(request: HttpRequest) -> HttpResponse:
    _admin_only(request)
    if request.method == "POST":
        edit = (
            Endpoint.objects.filter(uid=str(request.POST.get("uid", ""))).first()
            if _is_uuid(request.POST.get("uid", ""))
            else None
        )
        ok = _run(
            request,
            lambda: services.save_endpoint(
                actor=request.user,
                organ_id=request.POST.get("organ_id", "")[:35],
                name=request.POST.get("name", "")[:255],
                kind=request.POST.get("kind", ""),
                url=request.POST.get("url", "")[:500],
                token=request.POST.get("token", "")[:255],
                is_active=request.POST.get("is_active", "on") == "on",
                endpoint=edit,
            ),
            _("Đã lưu địa chỉ liên thông."),
        )
        if ok:
            return redirect("exchange:endpoints")
    page = paginate(request, Endpoint.objects.order_by("organ_id"), PER_PAGE)
    return render(
        request,
        "exchange/endpoints.html",
        {"page": page, "kinds": Endpoint.Kind.choices, "post": request.POST},
    )


@require_GET
@login_required
@domain_errors
def statistics(request: HttpRequest) -> HttpResponse:
    _admin_only(request)
    today = timezone.localdate()
    raw = request.GET.get("year", "")
    year = int(raw) if raw.isdigit() and 2000 <= int(raw) <= today.year + 1 else today.year
    raw_q = request.GET.get("quarter", "")
    quarter = int(raw_q) if raw_q in ("1", "2", "3", "4") else 0
    if quarter:
        start = dt.date(year, 3 * quarter - 2, 1)
        end = (dt.date(year, 3 * quarter, 28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(
            days=1
        )
    else:
        start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    rows = selectors.delivery_statistics(start=start, end=end)
    page = paginate(request, rows, 50)
    total_dispatched = sum(r.dispatched for r in rows)
    total_electronic = sum(r.electronic for r in rows)
    return render(
        request,
        "exchange/statistics.html",
        {
            "page": page,
            "year": year,
            "quarter": quarter,
            "years": list(range(today.year, today.year - 5, -1)),
            "start": start,
            "end": end,
            "total_dispatched": total_dispatched,
            "total_electronic": total_electronic,
            "total_share": round(100 * total_electronic / total_dispatched, 1)
            if total_dispatched
            else None,
        },
    )
