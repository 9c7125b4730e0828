"""Data of the feedback app: citizens' field reports (phản ánh hiện trường).

- `Tier`: a handling tier and its deadline in working days (urgent 1 day, on-the-spot
  urban issues 3 days...): data, as each province sets its own rules.
- `Category`: what is reported (its notice, tier, duplicate radius, Open311 attributes).
- `Area`: the polygon of an administrative unit (commune/ward), for routing by point.
- `Route`: (category × administrative unit) → handling agency; either side may be empty.
- `Centre`: the coordinating centre (one row): its agency, the reopen window, Open311
  jurisdiction.
- `Report`, `Photo`, `Update`, `Follower`: a report, its photos, its timeline, its followers.
- `Open311Key`: API keys of systems that POST requests through Open311.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tinhso.core.models import PublicIdentified, TimeStamped


class Tier(models.Model):
    code = models.SlugField(_("mã"), max_length=30, unique=True)
    name = models.CharField(_("tên"), max_length=150)
    workdays = models.DecimalField(
        _("thời hạn (ngày làm việc)"), max_digits=5, decimal_places=1, default=Decimal("3")
    )
    order = models.PositiveSmallIntegerField(default=100)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("mức xử lý")
        verbose_name_plural = _("mức xử lý")

    def __str__(self) -> str:
        return self.name


class Category(models.Model):
    code = models.SlugField(_("mã"), max_length=40, unique=True)
    name = models.CharField(_("tên"), max_length=150)
    description = models.CharField(_("mô tả"), max_length=500, blank=True)
    notice = models.CharField(_("lưu ý"), max_length=500, blank=True)
    group = models.CharField(_("nhóm"), max_length=100, blank=True)
    keywords = models.CharField(_("từ khóa"), max_length=255, blank=True)
    tier = models.ForeignKey(Tier, on_delete=models.PROTECT, related_name="categories")
    duplicate_radius_m = models.PositiveIntegerField(_("bán kính phát hiện trùng (m)"), default=50)
    # Open311 service definition attributes: [{code, datatype, required, description,
    # order, values: [{key, name}]}]
    attributes = models.JSONField(default=list, blank=True)
    is_active = models.BooleanField(default=True)
    order = models.PositiveSmallIntegerField(default=100)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("lĩnh vực phản ánh")
        verbose_name_plural = _("lĩnh vực phản ánh")

    def __str__(self) -> str:
        return self.name


class Area(models.Model):
    """The polygon (GeoJSON geometry, WGS 84) of an administrative unit, with its box."""

    admin_unit = models.OneToOneField(
        "directory.AdministrativeUnit", on_delete=models.PROTECT, related_name="feedback_area"
    )
    geometry = models.JSONField()
    min_lat = models.FloatField()
    max_lat = models.FloatField()
    min_lng = models.FloatField()
    max_lng = models.FloatField()
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return str(self.admin_unit)


class Route(models.Model):
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.CASCADE, related_name="routes"
    )
    admin_unit = models.ForeignKey(
        "directory.AdministrativeUnit",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    agency = models.ForeignKey("directory.Agency", on_delete=models.PROTECT, related_name="+")

    class Meta:
        indexes = [models.Index(fields=["category", "admin_unit"], name="feedback_route_idx")]

    def __str__(self) -> str:
        return f"{self.category or '*'} × {self.admin_unit or '*'} → {self.agency}"


class Centre(models.Model):
    """The coordinating centre (one row)."""

    agency = models.ForeignKey("directory.Agency", on_delete=models.PROTECT, related_name="+")
    jurisdiction_id = models.CharField(max_length=100, blank=True)
    reopen_days = models.PositiveSmallIntegerField(_("thời hạn mở lại (ngày)"), default=7)
    max_photos = models.PositiveSmallIntegerField(default=5)

    def __str__(self) -> str:
        return str(self.agency)


class ReportState(models.TextChoices):
    NEW = "new", _("Chờ tiếp nhận")
    ROUTED = "routed", _("Đã chuyển cơ quan xử lý")
    IN_PROGRESS = "in_progress", _("Đang xử lý")
    INFO_REQUESTED = "info_requested", _("Chờ bổ sung thông tin")
    ANSWERED = "answered", _("Đã trả lời")
    REJECTED = "rejected", _("Không tiếp nhận")
    DUPLICATE = "duplicate", _("Trùng phản ánh khác")


OPEN_STATES = (
    ReportState.NEW,
    ReportState.ROUTED,
    ReportState.IN_PROGRESS,
    ReportState.INFO_REQUESTED,
)


class Report(PublicIdentified, TimeStamped):
    class Source(models.TextChoices):
        WEB = "web", _("Cổng thông tin / ứng dụng")
        OPEN311 = "open311", _("Open311")
        OFFICER = "officer", _("Cán bộ nhập thay")

    # unique by a constraint, not `unique=True`: that also builds a pattern index (LIKE)
    # which nothing reads and every intake writes
    code = models.CharField(_("mã phản ánh"), max_length=20)
    # No index of its own on category, agency, state or deadline: each leads one of the
    # indexes in Meta, and every index is written on each report's intake.
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="reports", db_index=False
    )
    description = models.TextField(_("nội dung"), max_length=4000)
    lat = models.FloatField()
    lng = models.FloatField()
    address = models.CharField(_("địa chỉ"), max_length=255, blank=True)
    admin_unit = models.ForeignKey(
        "directory.AdministrativeUnit", on_delete=models.PROTECT, related_name="+"
    )
    agency = models.ForeignKey(
        "directory.Agency",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    state = models.CharField(max_length=20, choices=ReportState.choices, default=ReportState.NEW)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.WEB)
    attributes = models.JSONField(default=dict, blank=True)
    # The reporter: visible to the coordinating centre only.
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="feedback_reports",
    )
    reporter_name = models.CharField(max_length=150, blank=True)
    reporter_phone = models.CharField(max_length=20, blank=True)
    reporter_email = models.CharField(max_length=254, blank=True)
    device_id = models.CharField(max_length=100, blank=True)
    token = models.CharField(max_length=40, blank=True)  # Open311 only: a partial index
    # moderation
    hidden = models.BooleanField(default=False)
    anonymised = models.BooleanField(default=False)
    description_original = models.TextField(blank=True, default="")
    duplicate_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="duplicates",
        db_index=False,  # a partial index of the few that are duplicates
    )
    reject_reason = models.CharField(max_length=500, blank=True)
    # handling
    routed_at = models.DateTimeField(null=True, blank=True)
    deadline = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    answer = models.TextField(blank=True, default="")
    escalated_at = models.DateTimeField(null=True, blank=True)
    returned_by_agency = models.BooleanField(default=False)
    reopen_count = models.PositiveSmallIntegerField(default=0)
    rating = models.PositiveSmallIntegerField(null=True, blank=True)
    rating_note = models.CharField(max_length=500, blank=True)
    follower_count = models.PositiveIntegerField(default=0)
    version = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("phản ánh")
        verbose_name_plural = _("phản ánh")
        indexes = [
            models.Index(fields=["category", "state", "lat", "lng"], name="feedback_near_idx"),
            models.Index(fields=["agency", "state"], name="feedback_agency_state_idx"),
            models.Index(fields=["state", "deadline"], name="feedback_state_deadline_idx"),
            # Open311 `GET requests` of one service: newest first, stops at a page
            models.Index(fields=["category", "-created_at"], name="feedback_cat_created_idx"),
            # the IOC wall: the open set counted from the index alone (past days are read
            # from `WallSnapshot`, today's from the created_at index)
            models.Index(
                fields=["agency", "category", "deadline", "escalated_at", "hidden", "lat", "lng"]
                + ["created_at"],
                condition=Q(state__in=OPEN_STATES),
                name="feedback_open_idx",
            ),
            # Open311 `status=open` of a category, newest first: the open ones are a few
            # per cent of the reports, found here without walking the closed ones.
            models.Index(
                fields=["category", "-created_at"],
                condition=Q(state__in=OPEN_STATES),
                name="feedback_open_cat_idx",
            ),
            models.Index(fields=["token"], condition=~Q(token=""), name="feedback_token_idx"),
            models.Index(
                fields=["duplicate_of"],
                condition=Q(duplicate_of__isnull=False),
                name="feedback_duplicate_of_idx",
            ),
        ]
        constraints = [models.UniqueConstraint(fields=["code"], name="feedback_report_code_uniq")]

    def __str__(self) -> str:
        return self.code

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def on_time(self) -> bool | None:
        if self.answered_at is None or self.deadline is None:
            return None
        return self.answered_at <= self.deadline


class Photo(PublicIdentified):
    class Kind(models.TextChoices):
        REPORT = "report", _("Ảnh của người phản ánh")
        ANSWER = "answer", _("Ảnh kết quả xử lý")

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="photos")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.REPORT)
    file = models.FileField(upload_to="feedback/%Y/%m/")
    sha256 = models.CharField(max_length=64)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    redacted = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]


class Update(models.Model):
    """One entry of a report's timeline. `public` ones are shown to everyone."""

    class Kind(models.TextChoices):
        SUBMITTED = "submitted", _("Gửi phản ánh")
        ACCEPTED = "accepted", _("Tiếp nhận")
        REJECTED = "rejected", _("Không tiếp nhận")
        MERGED = "merged", _("Gộp vào phản ánh trùng")
        RECATEGORISED = "recategorised", _("Đổi lĩnh vực")
        MOVED = "moved", _("Đổi vị trí")
        ASSIGNED = "assigned", _("Phân công")
        INFO_REQUESTED = "info_requested", _("Đề nghị bổ sung thông tin")
        INFO_PROVIDED = "info_provided", _("Bổ sung thông tin")
        TRANSFERRED = "transferred", _("Chuyển cơ quan khác")
        NOT_OURS = "not_ours", _("Không thuộc thẩm quyền")
        ANSWERED = "answered", _("Trả lời")
        RATED = "rated", _("Đánh giá")
        REOPENED = "reopened", _("Mở lại")
        ESCALATED = "escalated", _("Quá hạn, báo trung tâm")
        HIDDEN = "hidden", _("Ẩn")
        SHOWN = "shown", _("Hiện lại")
        REDACTED = "redacted", _("Che ảnh")
        ANONYMISED = "anonymised", _("Ẩn danh")

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="updates")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    text = models.TextField(blank=True, default="", max_length=4000)
    public = models.BooleanField(default=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    agency = models.ForeignKey(
        "directory.Agency", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    state_after = models.CharField(max_length=20, choices=ReportState.choices)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.report} · {self.kind}"


class Follower(models.Model):
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="followers")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="feedback_follows"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["report", "user"], name="feedback_follower_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.report}"


class Open311Key(models.Model):
    name = models.CharField(max_length=150)
    key_prefix = models.CharField(max_length=8)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} · {self.key_prefix}…"


class WallSnapshot(models.Model):
    """The IOC wall's sums over whole past days, through `through` (yesterday when made):
    the counts behind the 90-day rates and the heat map's cells of the last 30 days. Made
    by the worker (`wallscreen.refresh_snapshot`); the wall adds today's reports to it."""

    through = models.DateField(unique=True)
    refreshed_at = models.DateTimeField()
    # answered, on_time, rated, satisfied
    rates = models.JSONField()
    # [[i, j, n]]: visible reports per cell (floor(lat / cell), floor(lng / cell))
    heat = models.JSONField()

    def __str__(self) -> str:
        return f"{self.through} · {self.refreshed_at:%H:%M}"
