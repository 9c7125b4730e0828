"""Pages of the service centre, mounted under /counter/.

Device pages (no login, each opened full-screen on its device): the kiosk
(`<centre>/ki-ot/`), the waiting-room screen (`<centre>/man-hinh/`) and the rating tablet
of a counter (`danh-gia/<tablet key>/`). Citizen pages: the ticket's status (the QR code
on the ticket), booking and cancelling an appointment. Officer pages: the counter
(`quay/<uid>/`) and the supervisor's view (`<centre>/giam-sat/`).

Thin: writes go through `tinhso.counter.services`, reads through `selectors`.
"""

from __future__ import annotations

import secrets
from datetime import date, time, timedelta
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tinhso.accounts.rules import can
from tinhso.core.errors import DomainError, NotFound
from tinhso.core.pagination import paginate
from tinhso.counter import selectors, services
from tinhso.counter.models import Centre, Desk, DeskRating, ServiceGroup, Ticket
from tinhso.workdays.services import VN

# Tickets one client address may take (a kiosk at a busy centre: a few a minute).
KIOSK_RATE = "40/min"


def kiosk_limit(request) -> None:
    """Bound the public ticket endpoints per client address (429 `rate_limited`)."""
    from tinhso.core import ratelimit
    from tinhso.core.middleware import client_ip

    ratelimit.enforce(
        "counter_kiosk",
        client_ip(request) or "-",
        KIOSK_RATE,
        "Ki-ốt đã cấp quá nhiều số trong một phút; vui lòng chờ giây lát.",
    )


def _centre_or_404(code: str) -> Centre:
    try:
        return selectors.get_centre(code)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def _forbidden(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "counter/forbidden.html", {"message": message}, status=403)


def _login_required(request: HttpRequest) -> HttpResponse | None:
    if not request.user.is_authenticated:
        return redirect(
            f"{reverse('accounts:login')}?{urlencode({'next': request.get_full_path()})}"
        )
    return None


def qr_svg(text: str) -> str:
    """An inline SVG QR code (segno); the page's CSS sizes it."""
    import segno

    return segno.make(text, error="m").svg_inline(scale=4, border=2, omitsize=True)


# ---------------------------------------------------------------------------------------
# Home
# ---------------------------------------------------------------------------------------


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    rows = []
    for centre in selectors.centres():
        rows.append(
            {
                "centre": centre,
                "operate": can(request.user, "counter.operate_desk", centre),
                "supervise": can(request.user, "counter.supervise", centre),
            }
        )
    return render(request, "counter/home.html", {"rows": rows})


# ---------------------------------------------------------------------------------------
# Kiosk
# ---------------------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def kiosk(request: HttpRequest, centre: str) -> HttpResponse:
    c = _centre_or_404(centre)
    error = ""
    if request.method == "POST":
        try:
            kiosk_limit(request)
            if request.POST.get("appointment"):
                ticket = services.check_in(
                    centre=c,
                    code=request.POST.get("appointment", "")[:20],
                    request_key=request.POST.get("request_key", ""),
                )
            else:
                letter = request.POST.get("group", "")[:2]
                group = selectors.groups(c).filter(letter=letter).first()
                if group is None:
                    raise NotFound(_("Chọn một nhóm dịch vụ."))
                ticket = services.take_ticket(
                    centre=c,
                    group=group,
                    purpose=request.POST.get("purpose", Ticket.Purpose.SUBMIT)[:12],
                    priority_reason=request.POST.get("priority", "")[:12],
                    id_number=request.POST.get("id_number", "")[:30],
                    dossier_code=request.POST.get("dossier_code", "")[:60],
                    request_key=request.POST.get("request_key", ""),
                )
        except DomainError as exc:
            error = exc.message
        else:
            return redirect(f"{reverse('counter:ticket_print', args=[ticket.uid])}?kiosk=1")
    context = {
        "centre": c,
        "groups": selectors.groups(c),
        "purposes": Ticket.Purpose.choices,
        "priorities": Ticket.Priority.choices,
        "request_key": secrets.token_urlsafe(18),
        "error": error,
        "post": request.POST if error else {},
    }
    return render(request, "counter/kiosk.html", context, status=400 if error else 200)


@never_cache
@require_GET
def ticket_print(request: HttpRequest, uid) -> HttpResponse:
    """The ticket as printed on the 80 mm receipt printer (the kiosk prints it at once)."""
    ticket = _ticket_or_404(uid)
    status_url = request.build_absolute_uri(reverse("counter:ticket", args=[ticket.uid]))
    return render(
        request,
        "counter/ticket_print.html",
        {
            "ticket": ticket,
            "qr": qr_svg(status_url),
            "status_url": status_url,
            "ahead": selectors.position(ticket),
            "kiosk": request.GET.get("kiosk") == "1",
            "local_issued": ticket.issued_at.astimezone(VN),
        },
    )


def _ticket_or_404(uid) -> Ticket:
    try:
        return selectors.ticket_by_uid(uid)
    except NotFound as exc:
        raise Http404(exc.message) from exc


@never_cache
@require_GET
def ticket(request: HttpRequest, uid) -> HttpResponse:
    """The ticket's status on the citizen's phone (the QR code): refreshes itself."""
    t = _ticket_or_404(uid)
    template = (
        "counter/_ticket_status.html"
        if request.headers.get("HX-Request")
        else "counter/ticket.html"
    )
    return render(request, template, {"ticket": t, "ahead": selectors.position(t)})


# ---------------------------------------------------------------------------------------
# Waiting-room screen
# ---------------------------------------------------------------------------------------


@never_cache
@require_GET
def screen(request: HttpRequest, centre: str) -> HttpResponse:
    c = _centre_or_404(centre)
    return render(request, "counter/screen.html", {"centre": c, "board": selectors.board(c)})


@never_cache
@require_GET
def screen_board(request: HttpRequest, centre: str) -> HttpResponse:
    c = _centre_or_404(centre)
    return render(request, "counter/_board.html", {"centre": c, "board": selectors.board(c)})


# ---------------------------------------------------------------------------------------
# The officer's counter
# ---------------------------------------------------------------------------------------


@require_GET
def desks(request: HttpRequest) -> HttpResponse:
    denied = _login_required(request)
    if denied:
        return denied
    rows = [
        (c, list(selectors.desks(c)))
        for c in selectors.centres()
        if can(request.user, "counter.operate_desk", c)
    ]
    if not rows:
        return _forbidden(request, _("Chỉ cán bộ một cửa của trung tâm được làm việc tại quầy."))
    mine = Desk.objects.filter(officer_id=request.user.pk).exclude(state=Desk.State.CLOSED).first()
    return render(request, "counter/desks.html", {"rows": rows, "mine": mine})


DESK_ACTIONS = {
    "call": services.call_next,
    "recall": services.recall,
    "serve": services.start_serving,
    "finish": services.finish,
    "absent": services.mark_absent,
}


@never_cache
@require_http_methods(["GET", "POST"])
def desk(request: HttpRequest, uid) -> HttpResponse:
    denied = _login_required(request)
    if denied:
        return denied
    try:
        d = selectors.desk_by_uid(uid)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    if not can(request.user, "counter.operate_desk", d.centre):
        return _forbidden(request, _("Chỉ cán bộ một cửa của trung tâm được làm việc tại quầy."))
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "open":
                letters = request.POST.getlist("groups")
                chosen = list(selectors.groups(d.centre).filter(letter__in=letters))
                services.open_desk(officer=request.user, desk=d, groups=chosen)
                messages.success(request, _("Đã mở quầy."))
            elif action in DESK_ACTIONS:
                t = DESK_ACTIONS[action](officer=request.user, desk=d)
                if action in ("call", "recall"):
                    messages.success(request, _("Đang gọi số %(n)s.") % {"n": t.display})
            elif action in ("pause", "resume"):
                services.pause_desk(officer=request.user, desk=d, resume=action == "resume")
            elif action == "transfer":
                to_uid = _uuid(request.POST.get("to", ""))
                target = (
                    Desk.objects.filter(centre=d.centre, uid=to_uid).first() if to_uid else None
                )
                if target is None:
                    raise NotFound(_("Chọn quầy nhận."))
                t = services.transfer(officer=request.user, desk=d, to_desk=target)
                messages.success(
                    request, _("Đã chuyển số %(n)s sang %(d)s.") % {"n": t.display, "d": target}
                )
            elif action == "close":
                services.close_desk(
                    officer=request.user, desk=d, force=request.POST.get("force") == "1"
                )
                messages.success(request, _("Đã đóng quầy."))
                return redirect("counter:desks")
            else:
                messages.error(request, _("Thao tác không hợp lệ."))
        except DomainError as exc:
            messages.error(request, exc.message)
        return redirect("counter:desk", uid=d.uid)
    d = selectors.desk_by_uid(uid)
    current = services.current_ticket(d)
    procedures = []
    if current is not None:
        procedures = _procedures_for(current.group)
    context = {
        "desk": d,
        "centre": d.centre,
        "mine": d.officer_id == request.user.pk and d.state != Desk.State.CLOSED,
        "current": current,
        "procedures": procedures,
        "groups": selectors.groups(d.centre),
        "open_groups": set(d.groups.values_list("letter", flat=True)),
        "queue": selectors.desk_queue_counts(d),
        "transferred": selectors.transferred_to(d),
        "others": d.centre.desks.exclude(pk=d.pk).exclude(state=Desk.State.CLOSED),
        "served": selectors.served_today(d)[:10],
        "tablet_url": request.build_absolute_uri(reverse("counter:tablet", args=[d.tablet_key])),
    }
    return render(request, "counter/desk.html", context)


def _uuid(value: str) -> str | None:
    import uuid

    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        return None


def _procedures_for(group: ServiceGroup) -> list:
    """The procedures a ticket of this group is about: the group's field, its agency."""
    from tinhso.core.text import vi_sort_key
    from tinhso.onestop.models import Procedure

    qs = Procedure.objects.filter(is_active=True)
    if group.field_id:
        qs = qs.filter(field_id=group.field_id)
    if group.agency_id:
        qs = qs.filter(agency_id=group.agency_id)
    if not group.field_id and not group.agency_id:
        return []
    return sorted(qs.only("code", "name")[:300], key=lambda p: vi_sort_key(p.name))


@require_POST
def photo(request: HttpRequest) -> HttpResponse:
    denied = _login_required(request)
    if denied:
        return denied
    try:
        services.set_officer_photo(user=request.user, upload=request.FILES.get("photo"))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Đã cập nhật ảnh hiển thị trên máy đánh giá."))
    return redirect(request.POST.get("next", "") if _safe_next(request) else "counter:desks")


def _safe_next(request: HttpRequest) -> bool:
    from django.utils.http import url_has_allowed_host_and_scheme

    target = request.POST.get("next", "")
    return bool(target) and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}
    )


@require_GET
def officer_photo(request: HttpRequest, key: str) -> HttpResponse:
    """The photo of the officer at the tablet's counter."""
    try:
        d = selectors.desk_by_tablet_key(key)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    from tinhso.counter.models import OfficerPhoto

    photo_row = OfficerPhoto.objects.filter(user_id=d.officer_id).first() if d.officer_id else None
    if photo_row is None or not photo_row.image:
        raise Http404
    data = photo_row.image.read()
    kind = "image/png" if (photo_row.image.name or "").endswith(".png") else "image/jpeg"
    response = HttpResponse(data, content_type=kind)
    response["Cache-Control"] = "private, max-age=60"
    return response


# ---------------------------------------------------------------------------------------
# Rating tablet
# ---------------------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def tablet(request: HttpRequest, key: str) -> HttpResponse:
    try:
        d = selectors.desk_by_tablet_key(key)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    error = ""
    thanks = False
    if request.method == "POST":
        try:
            t = selectors.ticket_by_uid(request.POST.get("ticket", ""))
            services.rate(
                desk=d,
                ticket=t,
                attitude=request.POST.get("attitude"),
                timeliness=request.POST.get("timeliness"),
                result=request.POST.get("result"),
                comment=request.POST.get("comment", "")[:2000],
            )
        except DomainError as exc:
            error = exc.message
        else:
            thanks = True
    from tinhso.counter.models import OfficerPhoto

    current = services.ticket_to_rate(d)
    context = {
        "desk": d,
        "ticket": current,
        "thanks": thanks,
        "error": error,
        "levels": DeskRating.Level.choices,
        "criteria": [
            ("attitude", _("Thái độ phục vụ")),
            ("timeliness", _("Thời gian giải quyết")),
            ("result", _("Kết quả giải quyết")),
        ],
        "has_photo": bool(
            d.officer_id and OfficerPhoto.objects.filter(user_id=d.officer_id).exists()
        ),
    }
    if request.headers.get("HX-Request"):
        return render(request, "counter/_tablet.html", context)
    return render(request, "counter/tablet.html", context, status=400 if error else 200)


# ---------------------------------------------------------------------------------------
# Appointments
# ---------------------------------------------------------------------------------------


def _parse_day(value: str) -> date | None:
    try:
        day = date.fromisoformat(str(value)[:10])
    except ValueError:
        return None
    return day if date(2000, 1, 1) <= day <= date(2100, 1, 1) else None


@never_cache
@require_http_methods(["GET", "POST"])
def book(request: HttpRequest, centre: str) -> HttpResponse:
    c = _centre_or_404(centre)
    groups = list(selectors.groups(c))
    data = request.POST if request.method == "POST" else request.GET
    letter = str(data.get("group", ""))[:2]
    group = next((g for g in groups if g.letter == letter), None)
    today = timezone.now().astimezone(VN).date()
    day = _parse_day(data.get("day", "")) or today + timedelta(days=1)
    error = ""
    if request.method == "POST" and group is not None:
        slot_text = str(request.POST.get("slot", ""))[:5]
        try:
            slot = time.fromisoformat(slot_text) if slot_text else None
        except ValueError:
            slot = None
        try:
            if slot is None:
                raise services.ValidationFailed(_("Chọn khung giờ."), code="counter_invalid_slot")
            appointment = services.book_appointment(
                group=group,
                day=day,
                slot=slot,
                name=request.POST.get("name", "")[:300],
                phone=request.POST.get("phone", "")[:30],
                id_number=request.POST.get("id_number", "")[:30],
                note=request.POST.get("note", "")[:600],
                citizen=request.user,
            )
        except DomainError as exc:
            error = exc.message
        else:
            return render(request, "counter/booked.html", {"centre": c, "appointment": appointment})
    slots = selectors.free_slots(group, day) if group is not None else []
    from tinhso.workdays.services import Calendar

    context = {
        "centre": c,
        "groups": groups,
        "group": group,
        "day": day,
        "min_day": today.isoformat(),
        "max_day": (today + timedelta(days=services.APPOINTMENT_DAYS_AHEAD)).isoformat(),
        "working": Calendar().is_working_day(day),
        "slots": slots,
        "error": error,
        "post": request.POST,
        "user_name": getattr(request.user, "full_name", "")
        if request.user.is_authenticated
        else "",
        "user_phone": getattr(request.user, "phone", "") if request.user.is_authenticated else "",
    }
    return render(request, "counter/book.html", context, status=400 if error else 200)


@never_cache
@require_http_methods(["GET", "POST"])
def cancel(request: HttpRequest) -> HttpResponse:
    error = ""
    done = None
    if request.method == "POST":
        try:
            appointment = services.find_appointment(
                code=request.POST.get("code", "")[:20], phone=request.POST.get("phone", "")[:30]
            )
            done = services.cancel_appointment(
                appointment=appointment,
                actor=request.user if request.user.is_authenticated else None,
            )
        except DomainError as exc:
            error = exc.message
    return render(
        request,
        "counter/cancel.html",
        {"error": error, "done": done, "post": request.POST},
        status=400 if error else 200,
    )


# ---------------------------------------------------------------------------------------
# Supervisor
# ---------------------------------------------------------------------------------------

BY = {
    "day": _("Theo ngày"),
    "group": _("Theo nhóm dịch vụ"),
    "officer": _("Theo cán bộ"),
    "desk": _("Theo quầy"),
}


def _range(request: HttpRequest) -> tuple[date, date]:
    today = timezone.now().astimezone(VN).date()
    end = _parse_day(request.GET.get("to", "")) or today
    start = _parse_day(request.GET.get("from", "")) or end - timedelta(days=6)
    if start > end:
        start, end = end, start
    if (end - start).days > 366:
        start = end - timedelta(days=366)
    return start, end


@never_cache
@require_GET
def supervise(request: HttpRequest, centre: str) -> HttpResponse:
    denied = _login_required(request)
    if denied:
        return denied
    c = _centre_or_404(centre)
    if not can(request.user, "counter.supervise", c):
        return _forbidden(request, _("Chỉ lãnh đạo trung tâm được xem trang giám sát."))
    start, end = _range(request)
    by = request.GET.get("by", "officer")
    by = by if by in BY else "officer"
    rows = selectors.statistics(c, start, end, by=by)
    today = timezone.now().astimezone(VN).date()
    context = {
        "centre": c,
        "board": selectors.board(c),
        "start": start,
        "end": end,
        "by": by,
        "by_choices": BY,
        "by_label": BY[by],
        "page": paginate(request, rows, 25),
        "totals": selectors.totals(c, start, end),
        "hours": selectors.per_hour(c, today),
        "ratings": selectors.rating_summary(c, start, end),
        "levels": DeskRating.Level.choices,
        "query": urlencode({"from": start.isoformat(), "to": end.isoformat(), "by": by}),
    }
    return render(request, "counter/supervise.html", context)


@require_GET
def export(request: HttpRequest, centre: str) -> HttpResponse:
    denied = _login_required(request)
    if denied:
        return denied
    c = _centre_or_404(centre)
    if not can(request.user, "counter.supervise", c):
        return _forbidden(request, _("Chỉ lãnh đạo trung tâm được xem trang giám sát."))
    start, end = _range(request)
    from tinhso.counter.exports import statistics_xlsx

    data = statistics_xlsx(c, start, end)
    response = HttpResponse(
        data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    name = f"thong-ke-quay-{c.code}-{start:%Y%m%d}-{end:%Y%m%d}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
