"""Write use-cases of the service centre: one function per thing a person does.

Each runs in one transaction, checks permission (`tinhso.accounts.rules`), records the
audit entry inside the transaction, and sends messages on commit (the notify outbox).

Queue rules (stated once, here):
- A ticket's number is its group's next number of the local day (`A001` every morning),
  taken with one atomic upsert: two kiosks at the same moment never get the same number.
- Call next at a counter picks, among today's waiting tickets, first those transferred
  to this counter, then priority tickets (the elderly, people with disabilities, pregnant
  women: from the moment they are issued; an online appointment: from the start of its
  slot, even if the citizen came early), then the others, each in the order issued — of
  the groups the counter is open for. On PostgreSQL the row is taken with
  `FOR UPDATE SKIP LOCKED`, and the state changes only with `WHERE state = 'waiting'`, so
  two officers calling at once never get the same ticket.
- A double tap at the kiosk sends the same form key twice: the second answer is the
  first ticket.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Case, IntegerField, Q, Value, When
from django.dispatch import receiver
from django.utils import timezone

from tinhso.accounts.rules import require
from tinhso.audit.services import record
from tinhso.core.errors import Conflict, DomainError, NotFound, PermissionDenied, ValidationFailed
from tinhso.core.text import clean_text
from tinhso.counter.errors import CounterErrorCode as E
from tinhso.counter.models import (
    Appointment,
    Centre,
    Desk,
    DeskRating,
    OfficerPhoto,
    ServiceGroup,
    Ticket,
    TicketSequence,
)
from tinhso.workdays.services import VN, Calendar

ID_NUMBER_RE = re.compile(r"^(\d{9}|\d{12})$")
DOSSIER_CODE_RE = re.compile(r"^[0-9A-Za-z.\-]{6,40}$")
PHONE_RE = re.compile(r"^(\+84|0)\d{9,10}$")
APPOINTMENT_DAYS_AHEAD = 30
# A rating on the tablet is for the ticket the counter served last, within this time.
RATING_WINDOW = timedelta(minutes=30)
ACTIVE = (Ticket.State.CALLED, Ticket.State.SERVING)


def _now(at: datetime | None) -> datetime:
    return at or timezone.now()


def local_day(moment: datetime) -> date:
    return moment.astimezone(VN).date()


def _audit(actor, action: str, obj, centre: Centre, **summary: Any) -> None:
    record(
        actor=actor,
        action=f"counter.{action}",
        obj=obj,
        agency=centre.agency_id,
        summary=summary or None,
    )


# ---------------------------------------------------------------------------------------
# Set-up: centres, groups, counters (the supervisor; the demo goes through these too)
# ---------------------------------------------------------------------------------------


@transaction.atomic
def create_centre(*, actor, agency, code: str, name: str, slot_minutes: int = 30) -> Centre:
    centre = Centre(agency=agency, code=code, name=clean_text(name), slot_minutes=slot_minutes)
    if actor is not None:
        require(actor, "counter.manage", centre)
    centre.save()
    _audit(actor, "create_centre", centre, centre, name=centre.name)
    return centre


@transaction.atomic
def create_group(
    *,
    actor,
    centre: Centre,
    letter: str,
    name: str,
    field=None,
    agency=None,
    order: int = 0,
    slot_capacity: int = 2,
    minutes_per_ticket: int = 10,
) -> ServiceGroup:
    if actor is not None:
        require(actor, "counter.manage", centre)
    group = ServiceGroup.objects.create(
        centre=centre,
        letter=letter.strip().upper()[:2],
        name=clean_text(name),
        field=field,
        agency=agency,
        order=order,
        slot_capacity=slot_capacity,
        minutes_per_ticket=minutes_per_ticket,
    )
    _audit(actor, "create_group", group, centre, letter=group.letter, name=group.name)
    return group


@transaction.atomic
def create_desk(*, actor, centre: Centre, number: int, name: str = "") -> Desk:
    if actor is not None:
        require(actor, "counter.manage", centre)
    desk = Desk.objects.create(
        centre=centre, number=number, name=clean_text(name), tablet_key=secrets.token_urlsafe(24)
    )
    _audit(actor, "create_desk", desk, centre, number=number)
    return desk


@transaction.atomic
def set_officer_photo(*, user, upload) -> OfficerPhoto:
    """The officer's own photo for the rating tablet (a JPEG or PNG up to 2 MB)."""
    import hashlib

    from PIL import Image, UnidentifiedImageError

    if upload is None or upload.size > 2 * 1024 * 1024:
        raise ValidationFailed("Ảnh phải là tệp JPEG hoặc PNG, tối đa 2 MB.", code=E.INVALID_PHOTO)
    data = upload.read()
    try:
        with Image.open(__import__("io").BytesIO(data)) as image:
            image.verify()
            kind = (image.format or "").lower()
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise ValidationFailed(
            "Ảnh phải là tệp JPEG hoặc PNG, tối đa 2 MB.", code=E.INVALID_PHOTO
        ) from exc
    if kind not in {"jpeg", "png"}:
        raise ValidationFailed("Ảnh phải là tệp JPEG hoặc PNG, tối đa 2 MB.", code=E.INVALID_PHOTO)
    from django.core.files.base import ContentFile

    photo, _created = OfficerPhoto.objects.get_or_create(
        user=user, defaults={"sha256": "", "image": ""}
    )
    old = photo.image.name if photo.image else ""
    photo.image.save(
        f"{user.uid}.{'jpg' if kind == 'jpeg' else 'png'}", ContentFile(data), save=False
    )
    photo.sha256 = hashlib.sha256(data).hexdigest()
    photo.save()
    if old and old != photo.image.name:
        storage = photo.image.storage
        transaction.on_commit(lambda: storage.delete(old))
    record(actor=user, action="counter.set_photo", obj=user, summary={"sha256": photo.sha256})
    return photo


# ---------------------------------------------------------------------------------------
# Kiosk: tickets
# ---------------------------------------------------------------------------------------


def _next_number(group: ServiceGroup, day: date) -> int:
    """Atomically increment the group's sequence of the day (PostgreSQL and SQLite)."""
    table = connection.ops.quote_name(TicketSequence._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (key, last) VALUES (%s, 1) "  # noqa: S608 (our table)
            f"ON CONFLICT (key) DO UPDATE SET last = {table}.last + 1 RETURNING last",
            [f"{group.pk}:{day.isoformat()}"],
        )
        return int(cursor.fetchone()[0])


def _clean_id_number(value: str) -> str:
    value = (value or "").strip().replace(" ", "")
    if value and not ID_NUMBER_RE.match(value):
        raise ValidationFailed(
            "Số định danh cá nhân (CCCD) gồm 12 chữ số (CMND cũ: 9 chữ số).",
            code=E.INVALID_ID_NUMBER,
        )
    return value


def _clean_dossier_code(value: str) -> str:
    value = (value or "").strip().upper()
    if value and not DOSSIER_CODE_RE.match(value):
        raise ValidationFailed(
            "Mã hồ sơ không hợp lệ (ví dụ 000.00.15.H41-250704-0012).",
            code=E.INVALID_DOSSIER_CODE,
        )
    return value


def _request_key(value: str) -> str | None:
    value = (value or "").strip()
    if not value:
        return None
    if not re.match(r"^[A-Za-z0-9_\-]{8,40}$", value):
        raise ValidationFailed("Yêu cầu không hợp lệ; vui lòng chạm lại.")
    return value


def take_ticket(
    *,
    centre: Centre,
    group: ServiceGroup,
    purpose: str = Ticket.Purpose.SUBMIT,
    priority_reason: str = "",
    id_number: str = "",
    dossier_code: str = "",
    request_key: str = "",
    at: datetime | None = None,
) -> Ticket:
    """A citizen takes a number at the kiosk. The same `request_key` twice (a double tap,
    a retried request after a network hiccup) returns the first ticket."""
    key = _request_key(request_key)
    if key:
        existing = Ticket.objects.filter(request_key=key).select_related("group").first()
        if existing is not None:
            return existing
    if group.centre_id != centre.pk or not group.is_active:
        raise NotFound("Nhóm dịch vụ không tồn tại.", code=E.UNKNOWN_GROUP)
    if purpose not in Ticket.Purpose.values:
        raise ValidationFailed("Nội dung cần giải quyết không hợp lệ.", code=E.INVALID_PURPOSE)
    if priority_reason and priority_reason not in Ticket.Priority.values:
        raise ValidationFailed("Đối tượng ưu tiên không hợp lệ.", code=E.INVALID_PRIORITY)
    id_number = _clean_id_number(id_number)
    dossier_code = _clean_dossier_code(dossier_code)
    now = _now(at)
    try:
        with transaction.atomic():
            ticket = _issue(
                centre=centre,
                group=group,
                now=now,
                purpose=purpose,
                kind=Ticket.Kind.PRIORITY if priority_reason else Ticket.Kind.NORMAL,
                priority_reason=priority_reason,
                priority_from=now if priority_reason else None,
                id_number=id_number,
                dossier_code=dossier_code,
                request_key=key,
            )
    except IntegrityError:
        existing = Ticket.objects.filter(request_key=key).first() if key else None
        if existing is None:
            raise
        return existing
    return ticket


def _issue(*, centre: Centre, group: ServiceGroup, now: datetime, **fields: Any) -> Ticket:
    day = local_day(now)
    ticket = Ticket.objects.create(
        centre=centre,
        group=group,
        day=day,
        number=_next_number(group, day),
        issued_at=now,
        **fields,
    )
    _audit(
        None,
        "take_ticket",
        ticket,
        centre,
        number=ticket.display,
        kind=ticket.kind,
        purpose=ticket.purpose,
    )
    return ticket


# ---------------------------------------------------------------------------------------
# Counters: open, call, serve
# ---------------------------------------------------------------------------------------


def _lock_desk(desk: Desk) -> Desk:
    return (
        Desk.objects.select_for_update(of=("self",))
        .select_related("centre__agency")
        .get(pk=desk.pk)
    )


def _check_officer(officer, desk: Desk) -> None:
    require(officer, "counter.operate_desk", desk.centre)
    if desk.state == Desk.State.CLOSED:
        raise Conflict("Quầy chưa mở.", code=E.DESK_CLOSED)
    if desk.officer_id != officer.pk:
        raise PermissionDenied("Quầy này đang do cán bộ khác phụ trách.", code=E.DESK_TAKEN)


def current_ticket(desk: Desk) -> Ticket | None:
    return (
        Ticket.objects.filter(desk=desk, state__in=ACTIVE)
        .select_related("group")
        .order_by("-called_at")
        .first()
    )


@transaction.atomic
def open_desk(
    *, officer, desk: Desk, groups: list[ServiceGroup], at: datetime | None = None
) -> Desk:
    """The officer sits at the counter for these service groups."""
    desk = _lock_desk(desk)
    require(officer, "counter.operate_desk", desk.centre)
    if desk.state != Desk.State.CLOSED and desk.officer_id not in (None, officer.pk):
        raise Conflict(
            "Quầy này đang do cán bộ khác phụ trách; cán bộ đó cần đóng quầy trước.",
            code=E.DESK_TAKEN,
        )
    groups = [g for g in groups if g.centre_id == desk.centre_id and g.is_active]
    if not groups:
        raise ValidationFailed(
            "Chọn ít nhất một nhóm dịch vụ quầy phục vụ.", code=E.NO_GROUP_CHOSEN
        )
    # one counter per officer: leaving another counter open would strand its tickets
    other = (
        Desk.objects.filter(officer=officer).exclude(state=Desk.State.CLOSED).exclude(pk=desk.pk)
    )
    if other.exists():
        raise Conflict(f"Bạn đang mở {other.first()}; hãy đóng quầy đó trước.", code=E.DESK_TAKEN)
    desk.state = Desk.State.OPEN
    desk.officer = officer
    desk.opened_at = _now(at)
    desk.save(update_fields=["state", "officer", "opened_at", "updated_at"])
    desk.groups.set(groups)
    _audit(officer, "open_desk", desk, desk.centre, groups=[g.letter for g in groups])
    return desk


@transaction.atomic
def pause_desk(*, officer, desk: Desk, resume: bool = False) -> Desk:
    desk = _lock_desk(desk)
    _check_officer(officer, desk)
    desk.state = Desk.State.OPEN if resume else Desk.State.PAUSED
    desk.save(update_fields=["state", "updated_at"])
    _audit(officer, "resume_desk" if resume else "pause_desk", desk, desk.centre)
    return desk


def _stranded(desk: Desk, today: date) -> dict[str, int]:
    """Waiting tickets only this counter would serve: transferred here, or of a group no
    other open counter serves. {display of the group: count}."""
    result: dict[str, int] = {}
    transferred = Ticket.objects.filter(target_desk=desk, state=Ticket.State.WAITING).count()
    if transferred:
        result[str(desk)] = transferred
    for group in desk.groups.all():
        covered = group.desks.exclude(pk=desk.pk).exclude(state=Desk.State.CLOSED).exists()
        if covered:
            continue
        waiting = Ticket.objects.filter(
            group=group, day=today, state=Ticket.State.WAITING, target_desk__isnull=True
        ).count()
        if waiting:
            result[group.letter] = waiting
    return result


@transaction.atomic
def close_desk(*, officer, desk: Desk, force: bool = False, at: datetime | None = None) -> Desk:
    """Close the counter. Refused while a ticket is at the counter, and — unless `force` —
    while waiting tickets would have no open counter left; forced, tickets transferred
    here go back to their group's queue."""
    desk = _lock_desk(desk)
    require(officer, "counter.operate_desk", desk.centre)
    if desk.officer_id not in (None, officer.pk) and desk.state != Desk.State.CLOSED:
        raise PermissionDenied("Quầy này đang do cán bộ khác phụ trách.", code=E.DESK_TAKEN)
    if desk.state == Desk.State.CLOSED:
        return desk
    active = current_ticket(desk)
    if active is not None:
        raise Conflict(
            f"Quầy đang phục vụ số {active.display}; hãy kết thúc hoặc chuyển trước khi đóng.",
            code=E.DESK_BUSY,
        )
    stranded = _stranded(desk, local_day(_now(at)))
    if stranded and not force:
        listing = ", ".join(f"{k}: {v}" for k, v in stranded.items())
        raise Conflict(
            f"Còn số đang chờ mà không quầy nào khác phục vụ ({listing}). "
            "Xác nhận đóng quầy để trả các số được chuyển đến về hàng chờ chung.",
            code=E.DESK_WAITING_TICKETS,
            details={"waiting": stranded},
        )
    Ticket.objects.filter(target_desk=desk, state=Ticket.State.WAITING).update(target_desk=None)
    desk.state = Desk.State.CLOSED
    desk.officer = None
    desk.save(update_fields=["state", "officer", "updated_at"])
    _audit(officer, "close_desk", desk, desk.centre, forced=bool(stranded))
    return desk


def _queue_for(desk: Desk, now: datetime):
    group_ids = desk.groups.values("pk")  # a subquery, not a round trip
    return (
        Ticket.objects.filter(
            centre_id=desk.centre_id,
            day=local_day(now),
            state=Ticket.State.WAITING,
            issued_at__lte=now,
        )
        .filter(Q(target_desk=desk) | Q(target_desk__isnull=True, group_id__in=group_ids))
        .annotate(
            rank=Case(
                When(target_desk=desk, then=Value(0)),
                When(priority_from__lte=now, then=Value(1)),
                default=Value(2),
                output_field=IntegerField(),
            )
        )
        .select_related("group")
        .order_by("rank", "issued_at", "pk")
    )


# The pick on PostgreSQL: one statement takes the first waiting ticket in the order of
# `_queue_for` that no other transaction holds (FOR UPDATE SKIP LOCKED), marks it called
# and returns it with its group — unless the counter already has a ticket. That check is
# in this statement, not in the one that locked the counter: a statement that waited for
# a row lock sees the locked row as committed since, but its subqueries see the snapshot
# of its start (a double click would call two tickets); this statement starts after the
# lock is held. Same filter and order as `_queue_for` (the queue-rule
# tests run on both databases). It reads the index `counter_ticket_queue` (centre, day,
# state): only today's waiting tickets of the centre, sorted in memory — the rank depends
# on the clock (an appointment's priority starts at its slot), so no index can hold the
# order itself; a morning's queue is a few hundred rows at most (< 1 ms).
_PICK_SQL = """
WITH picked AS (
    SELECT t.id FROM counter_ticket t
    WHERE NOT EXISTS (SELECT 1 FROM counter_ticket a
                      WHERE a.desk_id = %(desk)s AND a.state IN ('called', 'serving'))
      AND t.centre_id = %(centre)s AND t.day = %(day)s AND t.state = 'waiting'
      AND t.issued_at <= %(now)s
      AND (t.target_desk_id = %(desk)s
           OR (t.target_desk_id IS NULL AND t.group_id IN (
               SELECT servicegroup_id FROM counter_desk_groups WHERE desk_id = %(desk)s)))
    ORDER BY CASE WHEN t.target_desk_id = %(desk)s THEN 0
                  WHEN t.priority_from <= %(now)s THEN 1 ELSE 2 END,
             t.issued_at, t.id
    LIMIT 1
    FOR UPDATE OF t SKIP LOCKED
), called AS (
    UPDATE counter_ticket t
    SET state = 'called', desk_id = %(desk)s, target_desk_id = NULL, officer_id = %(officer)s,
        called_at = %(now)s, first_called_at = COALESCE(t.first_called_at, %(now)s),
        call_count = 1, updated_at = %(now)s
    FROM picked WHERE t.id = picked.id AND t.state = 'waiting'
    RETURNING t.*
)
SELECT called.*, g.letter AS group_letter, g.name AS group_name
FROM called JOIN counter_servicegroup g ON g.id = called.group_id
"""


def _pick_postgresql(desk: Desk, officer, now: datetime) -> Ticket | None:
    rows = list(
        Ticket.objects.raw(
            _PICK_SQL,
            {
                "centre": desk.centre_id,
                "day": local_day(now),
                "now": now,
                "desk": desk.pk,
                "officer": officer.pk,
            },
        )
    )
    if not rows:
        return None
    ticket = rows[0]
    ticket.group = ServiceGroup(
        pk=ticket.group_id,
        centre_id=ticket.centre_id,
        letter=ticket.group_letter,  # type: ignore[attr-defined]
        name=ticket.group_name,  # type: ignore[attr-defined]
    )
    ticket.desk = desk
    ticket.officer = officer
    return ticket


def _pick_portable(desk: Desk, officer, now: datetime) -> Ticket | None:
    """The same pick for databases without SKIP LOCKED (SQLite: one writer at a time)."""
    queue = _queue_for(desk, now)
    for _attempt in range(5):
        ticket = queue.first()
        if ticket is None:
            return None
        changes = {
            "state": Ticket.State.CALLED,
            "desk": desk,
            "target_desk": None,
            "officer": officer,
            "called_at": now,
            "first_called_at": ticket.first_called_at or now,
            "call_count": 1,
            "updated_at": now,
        }
        taken = Ticket.objects.filter(pk=ticket.pk, state=Ticket.State.WAITING).update(**changes)
        if taken:
            for name, value in changes.items():
                setattr(ticket, name, value)
            return ticket
    return None


def call_next(*, officer, desk: Desk, at: datetime | None = None) -> Ticket:
    """Call the next ticket for this counter (see the module's queue rules).

    The permission is checked before the transaction; inside it, under the counter's row
    lock (which serialises this counter's own calls, e.g. a double click), one statement
    picks and marks the ticket (other counters skip the rows this one holds) and one
    records the audit entry. Nothing else happens under the lock: the waiting-room screens
    read the board by themselves, and nothing is sent.
    """
    require(officer, "counter.operate_desk", desk.centre)
    now = _now(at)
    postgresql = connection.vendor == "postgresql"
    with transaction.atomic():
        row = (
            Desk.objects.select_for_update()
            .filter(pk=desk.pk)
            .values_list("state", "officer_id")
            .first()
        )
        if row is None:
            raise NotFound("Quầy không tồn tại.", code=E.UNKNOWN_DESK)
        desk.state, desk.officer_id = row
        if desk.state == Desk.State.CLOSED:
            raise Conflict("Quầy chưa mở.", code=E.DESK_CLOSED)
        if desk.officer_id != officer.pk:
            raise PermissionDenied("Quầy này đang do cán bộ khác phụ trách.", code=E.DESK_TAKEN)
        if desk.state == Desk.State.PAUSED:
            raise Conflict("Quầy đang tạm nghỉ; hãy tiếp tục làm việc trước.", code=E.DESK_CLOSED)
        active = None if postgresql else current_ticket(desk)
        ticket = None
        if active is None:
            pick = _pick_postgresql if postgresql else _pick_portable
            ticket = pick(desk, officer, now)
        if ticket is None and postgresql:
            active = current_ticket(desk)  # (the pick refused: busy, or an empty queue)
        if active is not None:
            raise Conflict(
                f"Quầy đang phục vụ số {active.display}; hãy kết thúc số này trước.",
                code=E.DESK_BUSY,
            )
        if ticket is None:
            raise NotFound("Không còn số nào đang chờ ở các nhóm quầy phục vụ.", code=E.QUEUE_EMPTY)
        _audit(officer, "call_ticket", ticket, desk.centre, number=ticket.display, desk=desk.number)
    return ticket


def _active_or_error(desk: Desk, states=ACTIVE) -> Ticket:
    ticket = current_ticket(desk)
    if ticket is None:
        raise Conflict("Quầy không có số nào đang phục vụ.", code=E.NO_CURRENT_TICKET)
    if ticket.state not in states:
        raise Conflict(
            f"Số {ticket.display} đang ở trạng thái “{ticket.get_state_display()}”.",
            code=E.TICKET_STATE,
        )
    return ticket


@transaction.atomic
def recall(*, officer, desk: Desk, at: datetime | None = None) -> Ticket:
    """Call the current ticket again (the screen shows it and chimes again)."""
    desk = _lock_desk(desk)
    _check_officer(officer, desk)
    ticket = _active_or_error(desk, (Ticket.State.CALLED,))
    ticket.call_count += 1
    ticket.called_at = _now(at)
    ticket.save(update_fields=["call_count", "called_at", "updated_at"])
    _audit(
        officer,
        "recall_ticket",
        ticket,
        desk.centre,
        number=ticket.display,
        times=ticket.call_count,
    )
    return ticket


@transaction.atomic
def start_serving(*, officer, desk: Desk, at: datetime | None = None) -> Ticket:
    """The citizen came to the counter."""
    desk = _lock_desk(desk)
    _check_officer(officer, desk)
    ticket = _active_or_error(desk)
    if ticket.state == Ticket.State.CALLED:
        ticket.state = Ticket.State.SERVING
        ticket.serving_at = _now(at)
        ticket.save(update_fields=["state", "serving_at", "updated_at"])
        _audit(officer, "serve_ticket", ticket, desk.centre, number=ticket.display)
    return ticket


@transaction.atomic
def finish(*, officer, desk: Desk, at: datetime | None = None) -> Ticket:
    """The service is done: the tablet asks for the rating."""
    desk = _lock_desk(desk)
    _check_officer(officer, desk)
    ticket = _active_or_error(desk)
    now = _now(at)
    ticket.serving_at = ticket.serving_at or ticket.called_at or now
    ticket.state = Ticket.State.DONE
    ticket.finished_at = now
    ticket.save(update_fields=["state", "serving_at", "finished_at", "updated_at"])
    _audit(officer, "finish_ticket", ticket, desk.centre, number=ticket.display)
    return ticket


@transaction.atomic
def mark_absent(*, officer, desk: Desk, at: datetime | None = None) -> Ticket:
    """The citizen did not come after being called (skip)."""
    desk = _lock_desk(desk)
    _check_officer(officer, desk)
    ticket = _active_or_error(desk, (Ticket.State.CALLED,))
    ticket.state = Ticket.State.ABSENT
    ticket.finished_at = _now(at)
    ticket.save(update_fields=["state", "finished_at", "updated_at"])
    _audit(officer, "absent_ticket", ticket, desk.centre, number=ticket.display)
    return ticket


@transaction.atomic
def transfer(*, officer, desk: Desk, to_desk: Desk, at: datetime | None = None) -> Ticket:
    """Send the current ticket to another counter: it is that counter's next call."""
    desk = _lock_desk(desk)
    _check_officer(officer, desk)
    if to_desk.pk == desk.pk:
        raise ValidationFailed("Chọn một quầy khác để chuyển.", code=E.TRANSFER_TO_SELF)
    to_desk = Desk.objects.get(pk=to_desk.pk)
    if to_desk.centre_id != desk.centre_id:
        raise NotFound("Quầy không tồn tại.", code=E.UNKNOWN_DESK)
    if to_desk.state == Desk.State.CLOSED:
        raise Conflict(f"{to_desk} đang đóng; chọn quầy đang mở.", code=E.DESK_CLOSED)
    ticket = _active_or_error(desk)
    ticket.state = Ticket.State.WAITING
    ticket.target_desk = to_desk
    ticket.desk = None
    ticket.transfers += 1
    ticket.save(update_fields=["state", "target_desk", "desk", "transfers", "updated_at"])
    _audit(
        officer, "transfer_ticket", ticket, desk.centre, number=ticket.display, to=to_desk.number
    )
    return ticket


@transaction.atomic
def link_dossier(*, officer, ticket: Ticket, dossier) -> Ticket:
    """The dossier received at the counter from this ticket (onestop's signal calls it)."""
    ticket = (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("centre", "group")
        .get(pk=ticket.pk)
    )
    require(officer, "counter.operate_desk", ticket.centre)
    if ticket.officer_id != officer.pk or ticket.state not in (*ACTIVE, Ticket.State.DONE):
        raise Conflict("Số này không phải số bạn đang phục vụ.", code=E.TICKET_NOT_HERE)
    if ticket.state == Ticket.State.CALLED:
        ticket.state = Ticket.State.SERVING
        ticket.serving_at = timezone.now()
    ticket.dossier = dossier
    ticket.save(update_fields=["dossier", "state", "serving_at", "updated_at"])
    _audit(
        officer, "link_dossier", ticket, ticket.centre, number=ticket.display, dossier=dossier.code
    )
    return ticket


def _on_counter_reception(sender, *, dossier, officer, queue_ticket: str = "", **kwargs) -> None:
    if not queue_ticket:
        return
    ticket = Ticket.objects.filter(uid=queue_ticket).first() if _is_uuid(queue_ticket) else None
    if ticket is None:
        return
    try:
        link_dossier(officer=officer, ticket=ticket, dossier=dossier)
    except DomainError:
        return  # the dossier is received all the same; the ticket simply stays unlinked


def _is_uuid(value: str) -> bool:
    import uuid

    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


try:  # the hook onestop offers (tinhso.onestop.signals)
    from tinhso.onestop.signals import counter_dossier_received

    receiver(counter_dossier_received, dispatch_uid="counter.link_dossier")(_on_counter_reception)
except ImportError:  # pragma: no cover
    pass


# ---------------------------------------------------------------------------------------
# Rating at the counter
# ---------------------------------------------------------------------------------------


def _level(value: Any, name: str) -> int:
    try:
        level = int(value)
    except (TypeError, ValueError):
        level = 0
    if level not in DeskRating.Level.values:
        raise ValidationFailed(f"Chọn mức đánh giá cho tiêu chí “{name}”.", code=E.INVALID_RATING)
    return level


def ticket_to_rate(desk: Desk, at: datetime | None = None) -> Ticket | None:
    """The ticket the tablet of this counter asks about: the one being served, or the
    last one finished here in the last half hour, if not rated yet."""
    now = _now(at)
    ticket = (
        Ticket.objects.filter(desk=desk, state__in=(Ticket.State.SERVING, Ticket.State.DONE))
        .filter(Q(state=Ticket.State.SERVING) | Q(finished_at__gte=now - RATING_WINDOW))
        .select_related("group", "officer")
        .order_by("-serving_at", "-pk")
        .first()
    )
    if ticket is None or DeskRating.objects.filter(ticket=ticket).exists():
        return None
    return ticket


@transaction.atomic
def rate(
    *,
    desk: Desk,
    ticket: Ticket,
    attitude: Any,
    timeliness: Any,
    result: Any,
    comment: str = "",
    at: datetime | None = None,
) -> DeskRating:
    """The citizen rates at the counter's tablet: only the ticket this counter served last
    (not someone else's), once."""
    now = _now(at)
    if DeskRating.objects.filter(ticket_id=ticket.pk).exists():
        raise Conflict("Số này đã được đánh giá. Cảm ơn ông/bà!", code=E.ALREADY_RATED)
    current = ticket_to_rate(desk, now)
    if current is None or current.pk != ticket.pk:
        raise PermissionDenied(
            "Chỉ đánh giá được lượt phục vụ vừa diễn ra tại quầy này.", code=E.RATING_NOT_ALLOWED
        )
    levels = {
        "attitude": _level(attitude, "Thái độ phục vụ"),
        "timeliness": _level(timeliness, "Thời gian giải quyết"),
        "result": _level(result, "Kết quả giải quyết"),
    }
    comment = clean_text(comment or "", multiline=True)[:1000]
    ticket = current
    try:
        with transaction.atomic():
            rating = DeskRating.objects.create(
                ticket=ticket,
                desk=desk,
                officer_id=ticket.officer_id,
                comment=comment,
                created_at=now,
                **levels,
            )
    except IntegrityError as exc:
        raise Conflict("Số này đã được đánh giá. Cảm ơn ông/bà!", code=E.ALREADY_RATED) from exc
    _audit(None, "rate", ticket, desk.centre, number=ticket.display, **levels)
    return rating


# ---------------------------------------------------------------------------------------
# Online appointments
# ---------------------------------------------------------------------------------------


def _session(text: str) -> tuple[time, time]:
    start, end = text.split("-")
    return time.fromisoformat(start), time.fromisoformat(end)


def slots_of(centre: Centre) -> list[time]:
    """The slot start times of a working day (morning and afternoon sessions)."""
    result = []
    step = timedelta(minutes=centre.slot_minutes or 30)
    for session in (centre.morning, centre.afternoon):
        if not session:
            continue
        start, end = _session(session)
        moment = datetime.combine(date(2000, 1, 1), start)
        stop = datetime.combine(date(2000, 1, 1), end)
        while moment + step <= stop:
            result.append(moment.time())
            moment += step
    return result


def slot_start(appointment: Appointment) -> datetime:
    return datetime.combine(appointment.day, appointment.slot, tzinfo=VN)


def _booking_code() -> str:
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "LH" + "".join(secrets.choice(alphabet) for _ in range(6))


@dataclass
class Booking:
    appointment: Appointment
    created: bool


@transaction.atomic
def book_appointment(
    *,
    group: ServiceGroup,
    day: date,
    slot: time,
    name: str,
    phone: str,
    id_number: str = "",
    note: str = "",
    citizen=None,
    at: datetime | None = None,
) -> Appointment:
    """Book a slot: working days only, from tomorrow up to 30 days ahead (today's slots
    that have not started are allowed too), within the group's capacity per slot. The
    booking code goes by SMS (and e-mail/chat when the citizen has an account)."""
    now = _now(at)
    group = (
        ServiceGroup.objects.select_for_update(of=("self",))
        .select_related("centre")
        .get(pk=group.pk)
    )
    centre = group.centre
    name = clean_text(name or "")[:255]
    if len(name) < 2:
        raise ValidationFailed("Nhập họ và tên.", code=E.INVALID_NAME)
    phone = (phone or "").strip().replace(" ", "")
    if not PHONE_RE.match(phone):
        raise ValidationFailed(
            "Số điện thoại không hợp lệ (ví dụ 0912345678).", code=E.INVALID_PHONE
        )
    id_number = _clean_id_number(id_number)
    if slot not in slots_of(centre):
        raise ValidationFailed("Khung giờ không hợp lệ.", code=E.INVALID_SLOT)
    today = local_day(now)
    if day > today + timedelta(days=APPOINTMENT_DAYS_AHEAD):
        raise ValidationFailed(
            f"Chỉ đặt lịch trước tối đa {APPOINTMENT_DAYS_AHEAD} ngày.", code=E.SLOT_TOO_FAR
        )
    if datetime.combine(day, slot, tzinfo=VN) <= now:
        raise ValidationFailed("Khung giờ này đã qua.", code=E.SLOT_IN_PAST)
    if not Calendar().is_working_day(day):
        raise ValidationFailed("Ngày đã chọn không phải ngày làm việc.", code=E.NOT_WORKING_DAY)
    booked = Appointment.objects.filter(
        group=group,
        day=day,
        slot=slot,
        state__in=(Appointment.State.BOOKED, Appointment.State.CHECKED_IN),
    ).count()
    if booked >= group.slot_capacity:
        raise Conflict("Khung giờ này đã kín lịch; vui lòng chọn khung giờ khác.", code=E.SLOT_FULL)
    appointment = Appointment.objects.create(
        group=group,
        day=day,
        slot=slot,
        code=_booking_code(),
        name=name,
        phone=phone,
        id_number=id_number,
        note=clean_text(note or "")[:500],
        citizen=citizen if getattr(citizen, "is_authenticated", False) else None,
    )
    _audit(
        citizen if appointment.citizen else None,
        "book_appointment",
        appointment,
        centre,
        group=group.letter,
        day=day.isoformat(),
        slot=slot.strftime("%H:%M"),
    )
    _send_booking(appointment, "counter_booked")
    return appointment


def _send_booking(appointment: Appointment, template: str) -> None:
    from tinhso.notify.models import Message
    from tinhso.notify.services import enqueue

    context = {
        "code": appointment.code,
        "name": appointment.name,
        "centre": appointment.group.centre.name,
        "group": appointment.group.name,
        "day": appointment.day.strftime("%d/%m/%Y"),
        "slot": appointment.slot.strftime("%H:%M"),
    }
    enqueue(
        channel=Message.Channel.SMS,
        address=appointment.phone,
        template=template,
        context=context,
        recipient=appointment.citizen,
        related_object=f"counter.appointment:{appointment.uid}",
    )
    citizen = appointment.citizen
    if citizen is not None and citizen.email:
        enqueue(
            channel=Message.Channel.EMAIL,
            address=citizen.email,
            template=template,
            context=context,
            recipient=citizen,
            related_object=f"counter.appointment:{appointment.uid}",
        )


def find_appointment(*, code: str, phone: str) -> Appointment:
    """An appointment by its code and the phone it was booked with (both required)."""
    code = (code or "").strip().upper()
    phone = (phone or "").strip().replace(" ", "")
    appointment = (
        Appointment.objects.select_related("group__centre").filter(code=code, phone=phone).first()
        if code and phone
        else None
    )
    if appointment is None:
        raise NotFound(
            "Không tìm thấy lịch hẹn với mã và số điện thoại này.", code=E.UNKNOWN_APPOINTMENT
        )
    return appointment


@transaction.atomic
def cancel_appointment(*, appointment: Appointment, actor=None) -> Appointment:
    appointment = (
        Appointment.objects.select_for_update(of=("self",))
        .select_related("group__centre")
        .get(pk=appointment.pk)
    )
    if appointment.state != Appointment.State.BOOKED:
        raise Conflict(
            f"Lịch hẹn {appointment.code} {appointment.get_state_display().lower()}.",
            code=E.APPOINTMENT_STATE,
        )
    appointment.state = Appointment.State.CANCELLED
    appointment.save(update_fields=["state", "updated_at"])
    _audit(actor, "cancel_appointment", appointment, appointment.group.centre)
    _send_booking(appointment, "counter_cancelled")
    return appointment


@transaction.atomic
def check_in(
    *, centre: Centre, code: str, request_key: str = "", at: datetime | None = None
) -> Ticket:
    """At the kiosk, the holder of an appointment of today takes a ticket with priority from
    the start of the slot (not before, so coming early does not jump the queue; more than
    `grace_minutes` late, the appointment is lost: a normal ticket)."""
    now = _now(at)
    key = _request_key(request_key)
    if key:
        existing = Ticket.objects.filter(request_key=key).first()
        if existing is not None:
            return existing
    code = (code or "").strip().upper()
    appointment = (
        Appointment.objects.select_for_update(of=("self",))
        .select_related("group")
        .filter(code=code, group__centre=centre)
        .first()
        if code
        else None
    )
    if appointment is None or appointment.day != local_day(now):
        raise NotFound("Không có lịch hẹn hôm nay với mã này.", code=E.UNKNOWN_APPOINTMENT)
    if appointment.state != Appointment.State.BOOKED:
        raise Conflict(
            f"Lịch hẹn {appointment.code} {appointment.get_state_display().lower()}.",
            code=E.APPOINTMENT_STATE,
        )
    start = slot_start(appointment)
    late = now > start + timedelta(minutes=centre.grace_minutes)
    ticket = _issue(
        centre=centre,
        group=appointment.group,
        now=now,
        kind=Ticket.Kind.NORMAL if late else Ticket.Kind.APPOINTMENT,
        priority_from=None if late else start,
        id_number=appointment.id_number,
        appointment=appointment,
        request_key=key,
    )
    appointment.state = Appointment.State.CHECKED_IN
    appointment.save(update_fields=["state", "updated_at"])
    return ticket
