"""Data of the public-administration service centre (Trung tâm phục vụ hành chính công).

A `Centre` (one agency's building) has `ServiceGroup`s (one per field or department: the
letter on the ticket), `Desk`s (the counters, "quầy") that an officer opens for some
groups, `Ticket`s taken at the kiosk (numbered per group per local day, from 1 every
morning), `Appointment`s booked online for a time slot, and `DeskRating`s given on the
tablet at the counter (one per ticket).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tinhso.core.models import PublicIdentified, TimeStamped


class Centre(PublicIdentified, TimeStamped):
    """A service centre: the kiosk, the screen and the desks of one building."""

    code = models.SlugField(_("mã trung tâm"), max_length=40, unique=True)
    name = models.CharField(_("tên trung tâm"), max_length=255)
    agency = models.ForeignKey(
        "directory.Agency", on_delete=models.PROTECT, related_name="service_centres"
    )
    # Appointment slots: minutes per slot, the morning and afternoon sessions (local time).
    slot_minutes = models.PositiveSmallIntegerField(_("độ dài khung giờ hẹn (phút)"), default=30)
    morning = models.CharField(max_length=11, default="07:30-11:30")
    afternoon = models.CharField(max_length=11, default="13:30-17:00")
    # How long an appointment's holder may come late and keep the priority of their slot.
    grace_minutes = models.PositiveSmallIntegerField(default=15)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ServiceGroup(TimeStamped):
    """A queue of the centre: one field or one department, with its ticket letter."""

    centre = models.ForeignKey(Centre, on_delete=models.CASCADE, related_name="groups")
    letter = models.CharField(_("ký hiệu"), max_length=2)
    name = models.CharField(_("tên nhóm dịch vụ"), max_length=255)
    field = models.ForeignKey(
        "onestop.Field", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    agency = models.ForeignKey(
        "directory.Agency", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    order = models.PositiveSmallIntegerField(default=0)
    slot_capacity = models.PositiveSmallIntegerField(_("số lịch hẹn mỗi khung giờ"), default=2)
    # The estimate of the waiting time before any ticket of the day has been served.
    minutes_per_ticket = models.PositiveSmallIntegerField(default=10)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["order", "letter"]
        constraints = [
            models.UniqueConstraint(fields=["centre", "letter"], name="counter_group_letter")
        ]

    def __str__(self) -> str:
        return f"{self.letter} — {self.name}"


class Desk(PublicIdentified, TimeStamped):
    """A counter (quầy) of the centre. Open: an officer sits there for some groups."""

    class State(models.TextChoices):
        CLOSED = "closed", _("Đóng")
        OPEN = "open", _("Đang mở")
        PAUSED = "paused", _("Tạm nghỉ")

    centre = models.ForeignKey(Centre, on_delete=models.CASCADE, related_name="desks")
    number = models.PositiveSmallIntegerField(_("số quầy"))
    name = models.CharField(_("tên quầy"), max_length=255, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.CLOSED)
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    groups = models.ManyToManyField(ServiceGroup, blank=True, related_name="desks")
    opened_at = models.DateTimeField(null=True, blank=True)
    # The secret in the URL of the rating tablet of this counter (a device, not a login).
    tablet_key = models.CharField(max_length=40, unique=True)

    class Meta:
        ordering = ["centre", "number"]
        constraints = [
            models.UniqueConstraint(fields=["centre", "number"], name="counter_desk_number")
        ]

    def __str__(self) -> str:
        return self.name or f"Quầy {self.number}"


class TicketSequence(models.Model):
    """Last ticket number of a group on a local day (one atomic upsert per ticket)."""

    key = models.CharField(max_length=80, unique=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.key}={self.last}"


class Appointment(PublicIdentified, TimeStamped):
    """A time slot booked online for a service group (capacity per slot per group)."""

    class State(models.TextChoices):
        BOOKED = "booked", _("Đã đặt")
        CANCELLED = "cancelled", _("Đã hủy")
        CHECKED_IN = "checked_in", _("Đã lấy số")

    group = models.ForeignKey(ServiceGroup, on_delete=models.PROTECT, related_name="appointments")
    day = models.DateField()
    slot = models.TimeField()
    code = models.CharField(_("mã lịch hẹn"), max_length=12, unique=True)
    state = models.CharField(max_length=12, choices=State.choices, default=State.BOOKED)
    citizen = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    name = models.CharField(_("họ và tên"), max_length=255)
    phone = models.CharField(_("số điện thoại"), max_length=20)
    id_number = models.CharField(_("số định danh/CCCD"), max_length=20, blank=True)
    note = models.CharField(_("nội dung"), max_length=500, blank=True)

    class Meta:
        indexes = [models.Index(fields=["group", "day", "slot"], name="counter_appt_slot")]

    def __str__(self) -> str:
        return self.code


class Ticket(PublicIdentified, TimeStamped):
    """A queue ticket: `A012` is group A's 12th ticket of the day."""

    class State(models.TextChoices):
        WAITING = "waiting", _("Đang chờ")
        CALLED = "called", _("Đang gọi")
        SERVING = "serving", _("Đang phục vụ")
        DONE = "done", _("Đã phục vụ")
        ABSENT = "absent", _("Vắng mặt")

    class Kind(models.TextChoices):
        NORMAL = "normal", _("Thường")
        PRIORITY = "priority", _("Ưu tiên")
        APPOINTMENT = "appointment", _("Hẹn trước")

    class Purpose(models.TextChoices):
        SUBMIT = "submit", _("Nộp hồ sơ")
        RESULT = "result", _("Nhận kết quả")
        SUPPLEMENT = "supplement", _("Bổ sung hồ sơ")
        ADVICE = "advice", _("Hỏi đáp, hướng dẫn")

    class Priority(models.TextChoices):
        ELDERLY = "elderly", _("Người cao tuổi")
        DISABILITY = "disability", _("Người khuyết tật")
        PREGNANT = "pregnant", _("Phụ nữ mang thai")
        CHILD = "child", _("Người đi cùng trẻ nhỏ")

    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, related_name="tickets")
    group = models.ForeignKey(ServiceGroup, on_delete=models.PROTECT, related_name="tickets")
    day = models.DateField()
    number = models.PositiveIntegerField()
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.NORMAL)
    priority_reason = models.CharField(max_length=12, choices=Priority.choices, blank=True)
    # From when this ticket goes before normal tickets (issued, or its appointment's slot);
    # null for a normal ticket.
    priority_from = models.DateTimeField(null=True, blank=True)
    purpose = models.CharField(max_length=12, choices=Purpose.choices, default=Purpose.SUBMIT)
    id_number = models.CharField(max_length=20, blank=True)
    dossier_code = models.CharField(max_length=40, blank=True)
    appointment = models.OneToOneField(
        Appointment, null=True, blank=True, on_delete=models.SET_NULL, related_name="ticket"
    )
    # The kiosk's key of the form it was taken from: a double tap returns the same ticket.
    request_key = models.CharField(max_length=40, unique=True, null=True, blank=True)
    state = models.CharField(
        max_length=10, choices=State.choices, default=State.WAITING, db_index=True
    )
    desk = models.ForeignKey(
        Desk, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Transferred to this counter: it calls the ticket before any other.
    target_desk = models.ForeignKey(
        Desk, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    issued_at = models.DateTimeField()
    first_called_at = models.DateTimeField(null=True, blank=True)
    called_at = models.DateTimeField(null=True, blank=True)
    call_count = models.PositiveSmallIntegerField(default=0)
    serving_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    transfers = models.PositiveSmallIntegerField(default=0)
    dossier = models.ForeignKey(
        "onestop.Dossier", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["group", "day", "number"], name="counter_ticket_number")
        ]
        indexes = [
            models.Index(fields=["centre", "day", "state"], name="counter_ticket_queue"),
            models.Index(fields=["desk", "state"], name="counter_ticket_desk"),
        ]

    def __str__(self) -> str:
        return self.display

    @property
    def display(self) -> str:
        return f"{self.group.letter}{self.number:03d}"


class DeskRating(models.Model):
    """The citizen's rating at the counter, along the service index's criteria."""

    class Level(models.IntegerChoices):
        VERY_SATISFIED = 3, _("Rất hài lòng")
        SATISFIED = 2, _("Hài lòng")
        NOT_SATISFIED = 1, _("Không hài lòng")

    ticket = models.OneToOneField(Ticket, on_delete=models.CASCADE, related_name="rating")
    desk = models.ForeignKey(Desk, on_delete=models.CASCADE, related_name="+")
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    attitude = models.PositiveSmallIntegerField(choices=Level.choices)
    timeliness = models.PositiveSmallIntegerField(choices=Level.choices)
    result = models.PositiveSmallIntegerField(choices=Level.choices)
    comment = models.CharField(max_length=1000, blank=True)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.attitude}/{self.timeliness}/{self.result}"

    @property
    def satisfied(self) -> bool:
        """Satisfied unless one criterion is "not satisfied"."""
        return min(self.attitude, self.timeliness, self.result) >= self.Level.SATISFIED


class OfficerPhoto(models.Model):
    """The photo the rating tablet shows next to the officer's name."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="counter_photo"
    )
    image = models.ImageField(upload_to="counter/officers/", max_length=255)
    sha256 = models.CharField(max_length=64)

    def __str__(self) -> str:
        return str(self.user_id)
