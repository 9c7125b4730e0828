"""Data of the reporting app: report definitions (Decree 09/2019), their data-table
templates (versioned: a period keeps the template in force when it began), submissions
per agency and period with their history, and period locks.

Rows are written only through `tinhso.reporting.services`.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tinhso.core.models import PublicIdentified, TimeStamped


class Frequency(models.TextChoices):
    MONTHLY = "monthly", _("Hằng tháng")
    QUARTERLY = "quarterly", _("Hằng quý")
    SIX_MONTHLY = "six_monthly", _("6 tháng")
    YEARLY = "yearly", _("Hằng năm")


class ReportKind(models.TextChoices):
    PERIODIC = "periodic", _("Báo cáo định kỳ")
    THEMATIC = "thematic", _("Báo cáo chuyên đề")
    AD_HOC = "ad_hoc", _("Báo cáo đột xuất")


class SendChannel(models.TextChoices):
    """How a report is sent (Decree 09 art. 12)."""

    SYSTEM = "system", _("Hệ thống thông tin báo cáo (phần mềm chuyên dùng)")
    EMAIL = "email", _("Thư điện tử")
    POST = "post", _("Dịch vụ bưu chính")
    FAX = "fax", _("Fax")
    DIRECT = "direct", _("Gửi trực tiếp")


class ReporterLevel(models.TextChoices):
    """Who reports, by level (in addition to a list of agencies)."""

    DEPARTMENT = "department", _("Sở, ban, ngành cấp tỉnh")
    DISTRICT = "district", _("UBND cấp huyện")
    COMMUNE = "commune", _("UBND cấp xã")


class ReportDefinition(PublicIdentified, TimeStamped):
    """Chế độ báo cáo: the ten things Decree 09 art. 7 says a regime must name."""

    code = models.CharField(_("mã báo cáo"), max_length=40, unique=True)
    title = models.CharField(_("tên báo cáo"), max_length=500)
    content = models.TextField(_("nội dung yêu cầu báo cáo"), blank=True)
    kind = models.CharField(
        _("loại báo cáo"), max_length=10, choices=ReportKind.choices, default=ReportKind.PERIODIC
    )
    frequency = models.CharField(
        _("tần suất"), max_length=12, choices=Frequency.choices, default=Frequency.MONTHLY
    )
    # comma-separated ReporterLevel values, plus the explicit list below
    reporter_levels = models.CharField(_("cấp báo cáo"), max_length=60, blank=True)
    reporters = models.ManyToManyField(
        "directory.Agency", blank=True, related_name="+", verbose_name=_("cơ quan báo cáo")
    )
    receiver = models.ForeignKey(
        "directory.Agency",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("cơ quan nhận báo cáo"),
    )
    channel = models.CharField(
        _("phương thức gửi, nhận"),
        max_length=10,
        choices=SendChannel.choices,
        default=SendChannel.SYSTEM,
    )
    deadline_working_days = models.PositiveSmallIntegerField(
        _("thời hạn gửi (ngày làm việc sau ngày chốt số liệu)"), default=3
    )
    outline = models.TextField(_("đề cương báo cáo"), blank=True)
    guidance = models.TextField(_("hướng dẫn"), blank=True)
    is_active = models.BooleanField(_("đang áp dụng"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("chế độ báo cáo")
        verbose_name_plural = _("chế độ báo cáo")

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    @property
    def level_list(self) -> list[str]:
        return [lv for lv in (self.reporter_levels or "").split(",") if lv]


class TemplateVersion(models.Model):
    """A version of the data-table template, in force from the period starting on
    `valid_from` (a cut-off start). A period uses the version in force when it began."""

    definition = models.ForeignKey(
        ReportDefinition, on_delete=models.CASCADE, related_name="templates"
    )
    version = models.PositiveSmallIntegerField()
    valid_from = models.DateField(_("áp dụng từ kỳ bắt đầu ngày"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["definition", "-valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["definition", "version"], name="reporting_tpl_ver"),
            models.UniqueConstraint(
                fields=["definition", "valid_from"], name="reporting_tpl_valid_from"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.definition.code} v{self.version} ({self.valid_from:%d/%m/%Y})"


class ValueType(models.TextChoices):
    INTEGER = "integer", _("Số nguyên")
    DECIMAL = "decimal", _("Số thập phân")
    PERCENT = "percent", _("Tỷ lệ (%)")


class Aggregation(models.TextChoices):
    """How an indicator rolls up the agency tree."""

    SUM = "sum", _("Cộng")
    AVERAGE = "average", _("Trung bình")
    WEIGHTED = "weighted", _("Bình quân gia quyền")
    NONE = "none", _("Không cộng dồn")


class Indicator(models.Model):
    """Chỉ tiêu: one row of the data-table template."""

    template = models.ForeignKey(TemplateVersion, on_delete=models.CASCADE, related_name="rows")
    order = models.PositiveSmallIntegerField(default=0)
    code = models.CharField(_("mã chỉ tiêu"), max_length=30)
    name = models.CharField(_("tên chỉ tiêu"), max_length=500)
    unit = models.CharField(_("đơn vị tính"), max_length=40)
    value_type = models.CharField(max_length=10, choices=ValueType.choices)
    min_value = models.DecimalField(max_digits=20, decimal_places=4, null=True, blank=True)
    max_value = models.DecimalField(max_digits=20, decimal_places=4, null=True, blank=True)
    aggregation = models.CharField(max_length=10, choices=Aggregation.choices)
    # for WEIGHTED: the code of the indicator (same template) whose value is the weight
    weight_code = models.CharField(max_length=30, blank=True)
    disaggregation = models.CharField(_("phân tổ"), max_length=255, blank=True)
    required = models.BooleanField(default=True)

    class Meta:
        ordering = ["template", "order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["template", "code"], name="reporting_indicator_code")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class SubmissionState(models.TextChoices):
    DRAFT = "draft", _("Đang soạn")
    AWAITING_APPROVAL = "awaiting_approval", _("Chờ lãnh đạo ký duyệt")
    SUBMITTED = "submitted", _("Đã gửi")
    RETURNED = "returned", _("Bị trả lại để chỉnh sửa")


def signed_report_path(instance: Submission, filename: str) -> str:
    return f"reporting/signed/{uuid.uuid4().hex}.pdf"


def narrative_path(instance: Submission, filename: str) -> str:
    return f"reporting/narratives/{uuid.uuid4().hex}.pdf"


class Submission(PublicIdentified, TimeStamped):
    """One agency's report for one period of a definition."""

    State = SubmissionState

    definition = models.ForeignKey(
        ReportDefinition, on_delete=models.PROTECT, related_name="submissions"
    )
    template = models.ForeignKey(TemplateVersion, on_delete=models.PROTECT, related_name="+")
    agency = models.ForeignKey("directory.Agency", on_delete=models.PROTECT, related_name="+")
    period_key = models.CharField(max_length=10)  # 2026-03, 2026-Q1, 2026-H1, 2026
    cutoff_start = models.DateField()
    cutoff_end = models.DateField()
    deadline = models.DateTimeField()
    state = models.CharField(
        max_length=20, choices=SubmissionState.choices, default=SubmissionState.DRAFT
    )
    narrative = models.TextField(_("thuyết minh"), blank=True)
    narrative_file = models.FileField(upload_to=narrative_path, max_length=255, blank=True)
    narrative_sha256 = models.CharField(max_length=64, blank=True)
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    is_late = models.BooleanField(default=False)
    signed_pdf = models.FileField(upload_to=signed_report_path, max_length=255, blank=True)
    signed_sha256 = models.CharField(max_length=64, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-cutoff_end", "agency__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["definition", "agency", "period_key"], name="reporting_submission_once"
            )
        ]
        indexes = [models.Index(fields=["definition", "period_key", "state"])]

    def __str__(self) -> str:
        return f"{self.definition.code} {self.period_key} {self.agency_id}"


class SubmissionValue(models.Model):
    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="values")
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="+")
    value = models.DecimalField(max_digits=20, decimal_places=4)
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["submission", "indicator"], name="reporting_value_once")
        ]

    def __str__(self) -> str:
        return f"{self.indicator.code}={self.value}"


class SubmissionEvent(models.Model):
    """The history of a submission: every save, approval, return (kept, never edited)."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=30)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField()
    state_after = models.CharField(max_length=20)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["submission", "at", "pk"]

    def __str__(self) -> str:
        return f"{self.submission_id} {self.action}"


class PeriodLock(models.Model):
    """The receiver closed a period: no submission or change for it any more."""

    definition = models.ForeignKey(ReportDefinition, on_delete=models.CASCADE, related_name="+")
    period_key = models.CharField(max_length=10)
    locked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    locked_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["definition", "period_key"], name="reporting_lock")
        ]

    def __str__(self) -> str:
        return f"{self.definition_id} {self.period_key}"
