"""Demo data of the counter app, loaded by `tinhso demo` through the app's services.

The province's public-administration service centre (the directory demo's `ttphvhcc`):
eight service groups, one per department posted there, and nine counters. The last five
working days are replayed with the clock set to each moment — tickets taken at the kiosk
(some priority, some from appointments), counters opened by the departments' one-stop
officers (`motcua.<department>`, and `motcua2.ttphvhcc` for every group), called, served
or marked absent, rated on the tablet — then this morning: counters 1–3 open with a
few tickets waiting and two called, and appointments booked for the next working day.
Running it again changes nothing (the centre exists).
"""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta

from django.utils import timezone

from tinhso.accounts.models import Role, RoleGrant, User
from tinhso.core.errors import DomainError
from tinhso.counter import services
from tinhso.counter.models import Centre, ServiceGroup, Ticket
from tinhso.workdays.services import VN, Calendar

CODE = "ttpvhcc"
GROUPS = [
    ("A", "stp", "Tư pháp: hộ tịch, lý lịch tư pháp, chứng thực"),
    ("B", "snnmt", "Đất đai, tài nguyên và môi trường, nông nghiệp"),
    ("C", "sxd", "Xây dựng, giao thông"),
    ("D", "stc", "Tài chính, đầu tư, đăng ký doanh nghiệp"),
    ("E", "syt", "Y tế"),
    ("F", "sgddt", "Giáo dục và đào tạo"),
    ("G", "sct", "Công thương"),
    ("H", "snv", "Nội vụ, lao động, người có công"),
]
DAYS = 4
TICKETS_PER_DAY = 45


def _user(username: str) -> User | None:
    return User.objects.filter(username=username).first()


def _agency_of(username: str):
    grant = RoleGrant.objects.filter(user__username=username).select_related("agency").first()
    return grant.agency if grant else None


def load(step) -> None:
    if Centre.objects.filter(code=CODE).exists():
        return
    centre_agency = _agency_of("motcua2.ttphvhcc")
    admin = _user("admin")
    if centre_agency is None or admin is None:
        return
    centre = services.create_centre(
        actor=admin, agency=centre_agency, code=CODE, name=centre_agency.name
    )
    groups: list[ServiceGroup] = []
    officers: list[tuple[User, list[ServiceGroup]]] = []
    for order, (letter, slug, name) in enumerate(GROUPS, start=1):
        group = services.create_group(
            actor=admin,
            centre=centre,
            letter=letter,
            name=name,
            agency=_agency_of(f"lanhdao.{slug}"),
            order=order,
            slot_capacity=3,
        )
        groups.append(group)
        officer = _user(f"motcua.{slug}")
        if (
            officer is not None
            and RoleGrant.objects.filter(
                user=officer, agency=centre_agency, role=Role.ONESTOP_OFFICER
            ).exists()
        ):
            officers.append((officer, [group]))
    everyone = _user("motcua2.ttphvhcc")
    if everyone is not None:
        officers.append((everyone, groups))
    desks = [
        services.create_desk(actor=admin, centre=centre, number=n)
        for n in range(1, len(officers) + 1)
    ]
    rng = random.Random(17)
    calendar = Calendar()
    today = timezone.now().astimezone(VN).date()
    day = today
    days: list = []
    while len(days) < DAYS:
        day -= timedelta(days=1)
        if calendar.is_working_day(day):
            days.append(day)
    from tinhso.core.progress import report_progress

    for index, past in enumerate(sorted(days)):
        report_progress(step, index, DAYS)
        _replay_day(centre, groups, desks, officers, past, rng)
    report_progress(step, DAYS, DAYS)
    _this_morning(centre, groups, desks, officers, rng)
    _appointments(groups, today, calendar)
    step.write(f"  trung tâm PVHCC: {Ticket.objects.filter(centre=centre).count()} số thứ tự mẫu")


def _moment(day, hour: int, minute: int) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=VN)


def _replay_day(centre, groups, desks, officers, day, rng) -> None:
    start = _moment(day, 7, 30)
    weights = [5, 4, 3, 3, 1, 1, 1, 2]
    issued = sorted(
        start + timedelta(seconds=rng.randint(0, 3 * 3600)) for _ in range(TICKETS_PER_DAY)
    )
    for moment in issued:
        group = rng.choices(groups, weights=weights)[0]
        priority = rng.choice(list(Ticket.Priority.values)) if rng.random() < 0.08 else ""
        services.take_ticket(
            centre=centre,
            group=group,
            priority_reason=priority,
            purpose=rng.choice([Ticket.Purpose.SUBMIT] * 3 + [Ticket.Purpose.RESULT]),
            at=moment,
        )
    free_at: dict[int, datetime] = {}
    for desk, (officer, its_groups) in zip(desks, officers, strict=False):
        services.open_desk(officer=officer, desk=desk, groups=its_groups, at=start)
        free_at[desk.pk] = start
    by_pk = {d.pk: d for d in desks}
    owner = {d.pk: o for d, (o, _g) in zip(desks, officers, strict=False)}
    last = issued[-1] if issued else start
    while free_at:
        pk = min(free_at, key=lambda k: free_at[k])
        desk, officer, now = by_pk[pk], owner[pk], free_at[pk]
        try:
            services.call_next(officer=officer, desk=desk, at=now)
        except DomainError:
            if now > last:
                services.close_desk(officer=officer, desk=desk, force=True, at=now)
                del free_at[pk]
            else:
                free_at[pk] = now + timedelta(minutes=5)
            continue
        if rng.random() < 0.06:
            if rng.random() < 0.5:
                services.recall(officer=officer, desk=desk, at=now + timedelta(minutes=1))
            services.mark_absent(officer=officer, desk=desk, at=now + timedelta(minutes=3))
            free_at[pk] = now + timedelta(minutes=3, seconds=30)
            continue
        began = now + timedelta(seconds=rng.randint(40, 150))
        services.start_serving(officer=officer, desk=desk, at=began)
        ended = began + timedelta(minutes=rng.randint(4, 18))
        ticket = services.finish(officer=officer, desk=desk, at=ended)
        if rng.random() < 0.7:
            good = rng.random() < 0.9
            services.rate(
                desk=desk,
                ticket=ticket,
                attitude=3 if good else rng.choice([1, 2]),
                timeliness=rng.choice([2, 3]) if good else 1,
                result=3 if good else 2,
                comment="" if good else "Phải chờ lâu.",
                at=ended + timedelta(seconds=30),
            )
        free_at[pk] = ended + timedelta(seconds=30)


def _this_morning(centre, groups, desks, officers, rng) -> None:
    """Today: counters 1–3 open, a queue waiting, two numbers called (for the screen)."""
    now = timezone.now()
    for n in range(14):
        group = groups[n % 3] if n % 4 else groups[0]
        services.take_ticket(
            centre=centre,
            group=group,
            priority_reason=Ticket.Priority.ELDERLY if n == 5 else "",
            at=now - timedelta(minutes=30 - 2 * n),
        )
    opened = []
    for desk, (officer, its_groups) in list(zip(desks, officers, strict=False))[:3]:
        services.open_desk(
            officer=officer, desk=desk, groups=its_groups, at=now - timedelta(minutes=35)
        )
        opened.append((desk, officer))
    for desk, officer in opened[:2]:
        try:
            services.call_next(officer=officer, desk=desk, at=now)
        except DomainError:
            continue


def _appointments(groups, today, calendar) -> None:
    day = calendar.next_working_day(today)
    people = [
        ("Lữ Văn An", "0912000001"),
        ("Tôn Thị Bình", "0912000002"),
        ("Lạc Thị Chi", "0912000003"),
        ("Nguyễn Văn Dũng", "0912000004"),
    ]
    slots = services.slots_of(groups[0].centre)
    for index, (name, phone) in enumerate(people):
        try:
            services.book_appointment(
                group=groups[index % 2],
                day=day,
                slot=slots[index + 2],
                name=name,
                phone=phone,
                citizen=_user("congdan.an") if index == 0 else None,
            )
        except DomainError:
            continue
