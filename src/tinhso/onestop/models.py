"""Online public services and the one-stop back office (domain/onestop.md).

Catalog: Field → Procedure → RequiredPaper, ProcessTemplate → ProcessStep.
Dossiers: Dossier (state machine in `Dossier.State`, mapped to the national portal's
status codes 1–10 by `PORTAL_STATUS`), DossierFile, DossierEvent (every hand-over: the
form-05 process-control slip), SupplementRequest (form 02), Extension (form 04, at most
one per dossier: a OneToOne), Payment (+ e-receipt), Rating; the citizen's WalletItem;
CodeSequence (per receiving agency per day, never repeated).

Rows are written only through `tinhso.onestop.services`.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from tinhso.accounts.models import Role
from tinhso.core.models import PublicIdentified, TimeStamped
from tinhso.core.text import fold
from tinhso.onestop.codes import new_tracking_code

# ---------------------------------------------------------------------------------------
# Catalog


class Field(TimeStamped):
    """Lĩnh vực: the sector of a procedure (civil status, land, construction...)."""

    code = models.CharField(_("mã lĩnh vực"), max_length=30, unique=True)
    name = models.CharField(_("tên lĩnh vực"), max_length=255)
    name_folded = models.CharField(max_length=255, editable=False, default="", db_index=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("lĩnh vực")
        verbose_name_plural = _("lĩnh vực")

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        self.name_folded = fold(self.name)
        super().save(*args, **kwargs)


class Level(models.TextChoices):
    """Levels of government that perform a procedure."""

    CENTRAL = "central", _("Cấp Trung ương")
    PROVINCE = "province", _("Cấp Tỉnh")
    DISTRICT = "district", _("Cấp Huyện")
    COMMUNE = "commune", _("Cấp Xã")


class OnlineType(models.TextChoices):
    """Decree 42/2022: full (toàn trình) or partial (một phần) online public service."""

    FULL = "full", _("Toàn trình")
    PARTIAL = "partial", _("Một phần")


class Procedure(PublicIdentified, TimeStamped):
    """Thủ tục hành chính, with the code of the national procedure database (1.001612)."""

    code = models.CharField(_("mã thủ tục"), max_length=30, unique=True)
    name = models.CharField(_("tên thủ tục"), max_length=500)
    name_folded = models.CharField(max_length=600, editable=False, default="", db_index=True)
    field = models.ForeignKey(
        Field, on_delete=models.PROTECT, related_name="procedures", verbose_name=_("lĩnh vực")
    )
    # Comma-separated Level values, e.g. "district,commune" (filter with __contains).
    levels = models.CharField(_("cấp thực hiện"), max_length=60, default=Level.PROVINCE)
    # Competent agency; null = performed by every agency of the level (e.g. each commune):
    # the applicant then chooses the agency when submitting.
    agency = models.ForeignKey(
        "directory.Agency",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="procedures",
        verbose_name=_("cơ quan có thẩm quyền"),
    )
    # Where dossiers are received (e.g. the public administration service centre);
    # null = the competent agency itself.
    receiving_agency = models.ForeignKey(
        "directory.Agency",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="received_procedures",
        verbose_name=_("cơ quan tiếp nhận"),
    )
    processing_days = models.DecimalField(
        _("thời hạn giải quyết (ngày làm việc)"),
        max_digits=6,
        decimal_places=1,
        validators=[MinValueValidator(Decimal("0.5"))],
    )
    processing_time_note = models.CharField(_("ghi chú thời hạn"), max_length=255, blank=True)
    fee_vnd = models.PositiveBigIntegerField(_("phí, lệ phí (đồng)"), default=0)
    fee_note = models.TextField(_("ghi chú phí, lệ phí"), blank=True)
    online_type = models.CharField(
        _("dịch vụ công trực tuyến"),
        max_length=10,
        choices=OnlineType.choices,
        default=OnlineType.PARTIAL,
    )
    sequence_description = models.TextField(_("trình tự thực hiện"), blank=True)
    conditions = models.TextField(_("yêu cầu, điều kiện"), blank=True)
    applicant_description = models.TextField(_("đối tượng thực hiện"), blank=True)
    legal_basis = models.TextField(_("căn cứ pháp lý"), blank=True)
    result_description = models.TextField(_("kết quả thực hiện"), blank=True)
    # The result is issued by the agency: its digital seal (chữ ký số cơ quan) follows the
    # approving leader's signature, as the agency's seal follows a signature on paper.
    result_needs_seal = models.BooleanField(
        _("kết quả đóng dấu cơ quan (chữ ký số cơ quan)"), default=True
    )
    # JSON Schema of the e-form (validated with jsonschema; rendered by onestop.eforms).
    form_schema = models.JSONField(_("biểu mẫu điện tử (JSON Schema)"), default=dict, blank=True)
    is_active = models.BooleanField(_("đang áp dụng"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("thủ tục hành chính")
        verbose_name_plural = _("thủ tục hành chính")
        indexes = [models.Index(fields=["field", "is_active"])]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def save(self, *args, **kwargs) -> None:
        self.name_folded = fold(f"{self.code} {self.name}")
        super().save(*args, **kwargs)

    @property
    def level_list(self) -> list[str]:
        return [lv for lv in (self.levels or "").split(",") if lv]

    @property
    def is_full_online(self) -> bool:
        return self.online_type == OnlineType.FULL

    def active_process(self) -> ProcessTemplate | None:
        return self.process_templates.filter(is_active=True).order_by("-pk").first()


def paper_template_path(instance: RequiredPaper, filename: str) -> str:
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"onestop/paper-templates/{uuid.uuid4().hex}.{ext}"


class RequiredPaper(models.Model):
    """Thành phần hồ sơ: a paper the applicant must (or may) provide."""

    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="papers")
    order = models.PositiveSmallIntegerField(default=0)
    name = models.CharField(_("tên giấy tờ"), max_length=500)
    copies_original = models.PositiveSmallIntegerField(_("số bản chính"), default=1)
    copies_copy = models.PositiveSmallIntegerField(_("số bản sao"), default=0)
    is_required = models.BooleanField(_("bắt buộc"), default=True)
    # The declaration (tờ khai, đơn) the procedure's e-form fills in: online it is
    # generated from the e-form data, so nobody uploads it again.
    is_eform = models.BooleanField(_("là tờ khai điện tử"), default=False)
    note = models.TextField(blank=True)
    # Blank form (mẫu đơn, tờ khai) the applicant downloads, when the paper is a form.
    template_file = models.FileField(
        _("mẫu đơn, tờ khai"), upload_to=paper_template_path, blank=True
    )
    template_name = models.CharField(max_length=255, blank=True)
    template_sha256 = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["procedure", "order", "pk"]
        verbose_name = _("thành phần hồ sơ")
        verbose_name_plural = _("thành phần hồ sơ")

    def __str__(self) -> str:
        return self.name


class ProcessTemplate(TimeStamped):
    """Quy trình nội bộ of a procedure. A dossier keeps the template it started with."""

    procedure = models.ForeignKey(
        Procedure, on_delete=models.CASCADE, related_name="process_templates"
    )
    name = models.CharField(max_length=255, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        verbose_name = _("quy trình nội bộ")
        verbose_name_plural = _("quy trình nội bộ")

    def __str__(self) -> str:
        return self.name or f"Quy trình {self.procedure.code}"

    @property
    def total_days(self) -> Decimal:
        return sum((s.budget_days for s in self.steps.all()), Decimal("0"))


class ProcessStep(models.Model):
    """A step of the internal process, with who is responsible and its time budget.

    The budgets of a template's steps sum to the procedure's processing time
    (checked by `services.catalog.save_process`). `agency` null = the dossier's competent
    agency; set it for inter-agency (liên thông) steps handled elsewhere.
    """

    class Kind(models.TextChoices):
        RECEPTION = "reception", _("Tiếp nhận, chuyển hồ sơ")
        PROCESSING = "processing", _("Thẩm định, xử lý")
        REVIEW = "review", _("Xem xét, trình ký")
        APPROVAL = "approval", _("Phê duyệt")
        INTER_AGENCY = "inter_agency", _("Liên thông cơ quan khác")
        RETURN = "return", _("Trả kết quả")

    template = models.ForeignKey(ProcessTemplate, on_delete=models.CASCADE, related_name="steps")
    order = models.PositiveSmallIntegerField()
    name = models.CharField(_("tên bước"), max_length=255)
    kind = models.CharField(max_length=15, choices=Kind.choices, default=Kind.PROCESSING)
    agency = models.ForeignKey(
        "directory.Agency",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("cơ quan thực hiện (liên thông)"),
    )
    org_unit = models.ForeignKey(
        "directory.OrgUnit",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("đơn vị thực hiện"),
    )
    # Optional: the org unit's name when the template is shared by many agencies
    # (e.g. "Phòng Tư pháp" in every district).
    org_unit_name = models.CharField(max_length=255, blank=True)
    role = models.CharField(_("vai trò thực hiện"), max_length=20, choices=Role.choices)
    budget_days = models.DecimalField(
        _("thời gian (ngày làm việc)"),
        max_digits=6,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"))],
    )

    class Meta:
        ordering = ["template", "order"]
        constraints = [
            models.UniqueConstraint(fields=["template", "order"], name="processstep_unique_order")
        ]

    def __str__(self) -> str:
        return f"{self.order}. {self.name}"


# ---------------------------------------------------------------------------------------
# Citizen wallet


def wallet_path(instance: WalletItem, filename: str) -> str:
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"onestop/wallet/{uuid.uuid4().hex}.{ext}"


class WalletItem(PublicIdentified, TimeStamped):
    """A paper of a citizen stored once and offered again in later dossiers."""

    class Source(models.TextChoices):
        UPLOAD = "upload", _("Công dân tải lên")
        RESULT = "result", _("Kết quả giải quyết TTHC")

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="wallet_items"
    )
    name = models.CharField(_("tên giấy tờ"), max_length=500)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.UPLOAD)
    file = models.FileField(upload_to=wallet_path, max_length=255)
    original_name = models.CharField(max_length=255, blank=True)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField(default=0)
    content_type = models.CharField(max_length=100, blank=True)
    source_dossier = models.ForeignKey(
        "Dossier", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    valid_until = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "sha256"], name="walletitem_once_per_owner")
        ]

    def __str__(self) -> str:
        return self.name


def pending_upload_path(instance: PendingUpload, filename: str) -> str:
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"onestop/pending/{uuid.uuid4().hex}.{ext}"


class PendingUpload(PublicIdentified):
    """A paper a citizen uploaded on the submit page, kept (checked and stored) while the
    rest of the form is not yet valid: offered again on the next try instead of being
    chosen again. Becomes the dossier's file on submission; swept after a day."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    required_paper = models.ForeignKey(
        RequiredPaper, on_delete=models.CASCADE, related_name="pending_uploads"
    )
    file = models.FileField(upload_to=pending_upload_path, max_length=255)
    original_name = models.CharField(max_length=255, blank=True)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField(default=0)
    content_type = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["owner", "required_paper"])]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.required_paper_id})"


# ---------------------------------------------------------------------------------------
# Dossiers


class Channel(models.TextChoices):
    ONLINE = "online", _("Trực tuyến")
    COUNTER = "counter", _("Trực tiếp tại bộ phận một cửa")
    POST = "post", _("Qua dịch vụ bưu chính")


class ReturnMethod(models.TextChoices):
    COUNTER = "counter", _("Nhận tại bộ phận một cửa")
    ONLINE = "online", _("Nhận trực tuyến")
    POST = "post", _("Nhận qua dịch vụ bưu chính")


class Timeliness(models.TextChoices):
    EARLY = "early", _("Trước hạn")
    ON_TIME = "on_time", _("Đúng hạn")
    LATE = "late", _("Quá hạn")


class DossierState(models.TextChoices):
    SUBMITTED = "submitted", _("Mới nộp, chờ tiếp nhận")
    RECEPTION_SUPPLEMENT = "reception_supplement", _("Yêu cầu bổ sung (khi tiếp nhận)")
    REFUSED = "refused", _("Từ chối tiếp nhận")
    ACCEPTED = "accepted", _("Đã tiếp nhận")
    PROCESSING = "processing", _("Đang xử lý")
    SUPPLEMENT = "supplement", _("Yêu cầu bổ sung (trong khi xử lý)")
    FINANCIAL = "financial", _("Chờ thực hiện nghĩa vụ tài chính")
    PAUSED = "paused", _("Tạm dừng")
    WITHDRAWN = "withdrawn", _("Công dân rút hồ sơ")
    STOPPED = "stopped", _("Dừng xử lý")
    APPROVED = "approved", _("Đã xử lý xong, chờ trả kết quả")
    RETURNED = "returned", _("Đã trả kết quả")


# The national public-service portal's status codes (domain/onestop.md).
PORTAL_STATUS: dict[str, int] = {
    DossierState.SUBMITTED: 1,
    DossierState.ACCEPTED: 2,
    DossierState.REFUSED: 3,
    DossierState.PROCESSING: 4,
    DossierState.PAUSED: 4,
    DossierState.RECEPTION_SUPPLEMENT: 5,
    DossierState.SUPPLEMENT: 5,
    DossierState.FINANCIAL: 6,
    DossierState.WITHDRAWN: 7,
    DossierState.STOPPED: 8,
    DossierState.APPROVED: 9,
    DossierState.RETURNED: 10,
}
PORTAL_STATUS_LABELS: dict[int, Any] = {  # the national portal's words, translated on display
    1: _("Mới đăng ký"),
    2: _("Được tiếp nhận"),
    3: _("Không được tiếp nhận"),
    4: _("Đang xử lý"),
    5: _("Yêu cầu bổ sung giấy tờ"),
    6: _("Yêu cầu thực hiện nghĩa vụ tài chính"),
    7: _("Công dân yêu cầu rút hồ sơ"),
    8: _("Dừng xử lý"),
    9: _("Đã xử lý xong"),
    10: _("Đã trả kết quả"),
}
# States in which the agency's clock runs (used by queues and "in progress" statistics).
OPEN_STATES = {DossierState.ACCEPTED, DossierState.PROCESSING}
# States waiting for the citizen (the agency's clock is stopped).
WAITING_STATES = {
    DossierState.RECEPTION_SUPPLEMENT,
    DossierState.SUPPLEMENT,
    DossierState.FINANCIAL,
}
FINAL_STATES = {
    DossierState.REFUSED,
    DossierState.WITHDRAWN,
    DossierState.STOPPED,
    DossierState.RETURNED,
}


class Dossier(PublicIdentified, TimeStamped):
    """Hồ sơ TTHC. `tracking_code` is given at submission (`TD-<YYMMDD>-<random>`), `code`
    at acceptance (Circular 01: `<agency code>-<YYMMDD>-<seq>`); see `onestop/codes.py`.

    Optimistic locking: every service updates with `WHERE version = <read version>`
    and increments it; a lost race raises Conflict (409, code `dossier_changed`).
    """

    State = DossierState

    code = models.CharField(_("mã hồ sơ"), max_length=40, unique=True, null=True, blank=True)
    tracking_code = models.CharField(
        _("mã theo dõi"),
        max_length=20,
        unique=True,
        null=True,
        blank=True,
        default=new_tracking_code,
        editable=False,
    )
    procedure = models.ForeignKey(Procedure, on_delete=models.PROTECT, related_name="dossiers")
    field = models.ForeignKey(Field, on_delete=models.PROTECT, related_name="dossiers")
    process_template = models.ForeignKey(
        ProcessTemplate, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    agency = models.ForeignKey(
        "directory.Agency",
        on_delete=models.PROTECT,
        related_name="competent_dossiers",
        verbose_name=_("cơ quan giải quyết"),
    )
    receiving_agency = models.ForeignKey(
        "directory.Agency",
        on_delete=models.PROTECT,
        related_name="received_dossiers",
        verbose_name=_("cơ quan tiếp nhận"),
    )
    handling_agency = models.ForeignKey(
        "directory.Agency",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="handled_dossiers",
        verbose_name=_("cơ quan đang xử lý"),
    )
    channel = models.CharField(
        _("hình thức nộp"), max_length=10, choices=Channel.choices, default=Channel.ONLINE
    )
    online_type = models.CharField(
        max_length=10, choices=OnlineType.choices, blank=True, default=""
    )  # copied from the procedure at submission (online share statistics)
    state = models.CharField(
        max_length=25, choices=DossierState.choices, default=DossierState.SUBMITTED
    )
    version = models.PositiveIntegerField(default=1)

    # Applicant (the account is null for counter dossiers of people without one).
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="dossiers",
    )
    applicant_name = models.CharField(_("người nộp"), max_length=255)
    applicant_id_number = models.CharField(_("số định danh/CCCD/MST"), max_length=20, blank=True)
    applicant_phone = models.CharField(_("số điện thoại"), max_length=20, blank=True)
    applicant_email = models.EmailField(_("thư điện tử"), blank=True)
    applicant_address = models.CharField(_("địa chỉ"), max_length=500, blank=True)
    form_data = models.JSONField(default=dict, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )  # the citizen online, or the officer entering a counter dossier

    # Time (UTC). received_at = accepted (code issued); clock_started_at = start of the
    # processing time (received_at, or the moment a processing supplement was completed).
    submitted_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(null=True, blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    clock_started_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(_("ngày hẹn trả"), null=True, blank=True)
    original_due_at = models.DateTimeField(null=True, blank=True)
    clock_restarted = models.BooleanField(default=False)
    extended_once = models.BooleanField(default=False)
    paused_at = models.DateTimeField(null=True, blank=True)
    paused_days = models.DecimalField(max_digits=7, decimal_places=2, default=Decimal("0"))
    result_at = models.DateTimeField(null=True, blank=True)  # approved / stopped
    returned_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)  # any final state
    timeliness = models.CharField(max_length=10, choices=Timeliness.choices, blank=True, default="")

    # Where it is in the internal process.
    current_step = models.ForeignKey(
        ProcessStep, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    step_started_at = models.DateTimeField(null=True, blank=True)
    step_due_at = models.DateTimeField(null=True, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_dossiers",
    )
    state_before_pause = models.CharField(max_length=25, blank=True, default="")
    # The leader's USB-token signing session of the result, while the token signs it
    # (tinhso.signing RemoteSigningSession uid).
    signing_session = models.CharField(max_length=36, blank=True, default="")

    # Money.
    fee_vnd = models.PositiveBigIntegerField(default=0)
    fee_paid = models.BooleanField(default=False)
    paid_online = models.BooleanField(default=False)
    obligation_vnd = models.PositiveBigIntegerField(default=0)

    # Result and return.
    return_method = models.CharField(
        max_length=10, choices=ReturnMethod.choices, default=ReturnMethod.ONLINE
    )
    postal_address = models.CharField(max_length=500, blank=True)
    result_summary = models.TextField(blank=True)
    refusal_reasons = models.TextField(blank=True)
    stop_reasons = models.TextField(blank=True)
    withdraw_reason = models.TextField(blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["-submitted_at", "-pk"]
        verbose_name = _("hồ sơ")
        verbose_name_plural = _("hồ sơ")
        indexes = [
            # statistics by period and agency / field / procedure
            models.Index(fields=["agency", "received_at"], name="dossier_agency_recv"),
            models.Index(fields=["field", "received_at"], name="dossier_field_recv"),
            models.Index(fields=["procedure", "received_at"], name="dossier_proc_recv"),
            models.Index(fields=["received_at"], name="dossier_recv"),
            models.Index(fields=["agency", "result_at"], name="dossier_agency_result"),
            models.Index(fields=["result_at"], name="dossier_result"),
            models.Index(fields=["finished_at"], name="dossier_finished"),
            # queues
            models.Index(fields=["receiving_agency", "state"], name="dossier_recv_queue"),
            models.Index(fields=["handling_agency", "state", "due_at"], name="dossier_handling"),
            models.Index(fields=["assignee", "state"], name="dossier_assignee"),
            # agency_id rides along so the overdue counts per agency (the chairman's page)
            # are index-only scans on PostgreSQL (SQLite ignores INCLUDE)
            models.Index(fields=["state", "due_at"], name="dossier_state_due", include=["agency"]),
            models.Index(fields=["applicant", "submitted_at"], name="dossier_applicant"),
        ]

    def __str__(self) -> str:
        return self.display_code or f"Hồ sơ {str(self.uid)[:8]}"

    @property
    def status_text(self):
        """The dossier's status in words (`selectors.StatusText`): every page shows this."""
        from tinhso.onestop.selectors import dossier_status

        return dossier_status(self)

    @property
    def display_code(self) -> str:
        """The code people use: the dossier code once accepted, else the tracking code."""
        return self.code or self.tracking_code or ""

    @property
    def portal_status(self) -> int:
        return PORTAL_STATUS[self.state]

    @property
    def portal_status_label(self) -> str:
        return str(PORTAL_STATUS_LABELS[self.portal_status])

    @property
    def is_final(self) -> bool:
        return self.state in FINAL_STATES


def dossier_file_path(instance: DossierFile, filename: str) -> str:
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"onestop/dossiers/{uuid.uuid4().hex}.{ext}"


class DossierFile(PublicIdentified):
    """A file of a dossier: a paper, a supplement, a result. Wallet papers share the file."""

    class Kind(models.TextChoices):
        PAPER = "paper", _("Thành phần hồ sơ")
        SUPPLEMENT = "supplement", _("Giấy tờ bổ sung")
        RESULT = "result", _("Kết quả giải quyết")  # signed by the approving leader
        RESULT_DRAFT = "result_draft", _("Dự thảo kết quả (chưa ký)")
        FORM = "form", _("Phiếu, biểu mẫu")
        RECEIPT = "receipt", _("Biên lai")

    class Origin(models.TextChoices):
        """Where the file came from, as the applicant and officials are told."""

        UPLOAD = "upload", _("tải lên trực tiếp")
        WALLET = "wallet", _("chọn từ kho giấy tờ")
        EFORM = "eform", _("tạo từ tờ khai điện tử")
        OFFICIAL = "official", _("cán bộ đính kèm")

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="files")
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.PAPER)
    required_paper = models.ForeignKey(
        RequiredPaper, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    name = models.CharField(max_length=500)
    file = models.FileField(upload_to=dossier_file_path, max_length=255)
    original_name = models.CharField(max_length=255, blank=True)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField(default=0)
    content_type = models.CharField(max_length=100, blank=True)
    # Picked from the wallet (origin WALLET), or an upload the applicant chose to keep
    # in the wallet too (origin UPLOAD): an upload is saved there only when asked.
    wallet_item = models.ForeignKey(
        WalletItem, null=True, blank=True, on_delete=models.SET_NULL, related_name="uses"
    )
    origin = models.CharField(max_length=10, choices=Origin.choices, default=Origin.UPLOAD)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["dossier", "kind", "pk"]
        indexes = [models.Index(fields=["dossier", "kind"])]

    def __str__(self) -> str:
        return self.name

    @property
    def origin_label(self) -> str:
        """E.g. "tải lên trực tiếp, đã lưu vào kho giấy tờ" or "chọn từ kho giấy tờ"."""
        label = str(self.get_origin_display())
        if self.origin == self.Origin.UPLOAD and self.wallet_item_id:
            label += ", " + str(_("đã lưu vào kho giấy tờ"))
        return label


class DossierEvent(models.Model):
    """One line of the process-control slip (form 05): every action and hand-over."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=40)
    at = models.DateTimeField()
    step = models.ForeignKey(
        ProcessStep, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    step_name = models.CharField(max_length=255, blank=True)
    from_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    from_name = models.CharField(max_length=150, blank=True)
    to_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    to_name = models.CharField(max_length=150, blank=True)
    from_agency = models.ForeignKey(
        "directory.Agency", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    to_agency = models.ForeignKey(
        "directory.Agency", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    state_after = models.CharField(max_length=25, blank=True)
    # The hand-over's step deadline and whether the step finished by it (form 05).
    step_due_at = models.DateTimeField(null=True, blank=True)
    on_time = models.BooleanField(null=True, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["dossier", "at", "pk"]
        indexes = [models.Index(fields=["dossier", "at"])]

    def __str__(self) -> str:
        return f"{self.dossier} {self.action} {self.at:%Y-%m-%d %H:%M}"


class SupplementRequest(models.Model):
    """Form 02: one complete list of what is missing; answered once by the citizen."""

    class Stage(models.TextChoices):
        RECEPTION = "reception", _("Khi tiếp nhận")
        PROCESSING = "processing", _("Trong quá trình giải quyết")

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="supplements")
    stage = models.CharField(max_length=12, choices=Stage.choices)
    items = models.JSONField(default=list)  # ["Bản sao giấy khai sinh", ...]
    note = models.TextField(blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)
    answer_note = models.TextField(blank=True)

    class Meta:
        ordering = ["dossier", "requested_at"]

    def __str__(self) -> str:
        return f"{self.dossier} bổ sung {self.requested_at:%Y-%m-%d}"


class ReceivedPaper(models.Model):
    """A paper handed in at the counter, as the officer checked it: how many originals and
    copies. Form 01 lists them; required papers must be there before acceptance."""

    class Stage(models.TextChoices):
        RECEPTION = "reception", _("Khi tiếp nhận")
        SUPPLEMENT = "supplement", _("Khi bổ sung")

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="received_papers")
    required_paper = models.ForeignKey(
        RequiredPaper, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    name = models.CharField(_("tên giấy tờ"), max_length=500)
    originals = models.PositiveSmallIntegerField(_("số bản chính"), default=0)
    copies = models.PositiveSmallIntegerField(_("số bản sao"), default=0)
    stage = models.CharField(max_length=12, choices=Stage.choices, default=Stage.RECEPTION)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    received_at = models.DateTimeField()

    class Meta:
        ordering = ["dossier", "received_at", "pk"]
        verbose_name = _("giấy tờ đã nhận")
        verbose_name_plural = _("giấy tờ đã nhận")

    def __str__(self) -> str:
        return f"{self.name} ({self.originals} bản chính, {self.copies} bản sao)"


class Extension(models.Model):
    """Form 04: apology and new appointment date. At most one per dossier (law)."""

    dossier = models.OneToOneField(Dossier, on_delete=models.CASCADE, related_name="extension")
    old_due_at = models.DateTimeField()
    new_due_at = models.DateTimeField()
    reason = models.TextField()
    apology = models.TextField(blank=True)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.dossier} gia hạn đến {self.new_due_at:%Y-%m-%d}"


def issued_form_path(instance: IssuedForm, filename: str) -> str:
    return f"onestop/forms/{uuid.uuid4().hex}.pdf"


class IssuedForm(PublicIdentified):
    """A form 01–05 as the citizen was given it: its content is frozen when its event
    happens, the PDF is rendered once from that content (by the worker) and stored with
    its SHA-256, then served as stored. A later event issues a new row; an issued form is
    never rewritten (see `services.forms_issued`)."""

    class Number(models.TextChoices):
        RECEIPT = "01", _("Mẫu 01 — Giấy tiếp nhận hồ sơ và hẹn trả kết quả")
        SUPPLEMENT = "02", _("Mẫu 02 — Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ")
        REFUSAL = "03", _("Mẫu 03 — Phiếu từ chối tiếp nhận giải quyết hồ sơ")
        APOLOGY = "04", _("Mẫu 04 — Phiếu xin lỗi và hẹn lại ngày trả kết quả")
        CONTROL = "05", _("Mẫu 05 — Phiếu kiểm soát quá trình giải quyết hồ sơ")

    dossier = models.ForeignKey(Dossier, on_delete=models.PROTECT, related_name="issued_forms")
    number = models.CharField(_("mẫu số"), max_length=2, choices=Number.choices)
    # No database-level FK: on PostgreSQL the events table is partitioned by time
    # (`tinhso.core.partitions`), and a foreign key to a partitioned table needs a unique
    # key holding the time column. Django still sets it NULL when the event is deleted.
    event = models.ForeignKey(
        DossierEvent,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
    )
    action = models.CharField(max_length=40, blank=True)  # the event's action, kept
    issued_at = models.DateTimeField(_("ngày cấp"))
    content = models.JSONField(default=dict)  # what the form says, as of `issued_at`
    file = models.FileField(upload_to=issued_form_path, max_length=255, blank=True)
    sha256 = models.CharField(max_length=64, blank=True, default="")
    size = models.PositiveIntegerField(default=0)
    rendered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["dossier", "issued_at", "pk"]
        indexes = [models.Index(fields=["dossier", "number", "issued_at"])]
        verbose_name = _("phiếu đã cấp")
        verbose_name_plural = _("phiếu đã cấp")

    def __str__(self) -> str:
        return f"{self.dossier} mẫu {self.number} {self.issued_at:%Y-%m-%d %H:%M}"

    @property
    def is_rendered(self) -> bool:
        return bool(self.sha256)

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            stored = IssuedForm.objects.filter(pk=self.pk).values_list("sha256", flat=True).first()
            if stored:  # rendered: what the citizen was given does not change
                raise ValueError("An issued form is immutable once rendered.")
        super().save(*args, **kwargs)


class Payment(PublicIdentified):
    """A payment of a dossier's fee or financial obligation, through a provider."""

    class Purpose(models.TextChoices):
        FEE = "fee", _("Phí, lệ phí")
        OBLIGATION = "obligation", _("Nghĩa vụ tài chính")

    class Status(models.TextChoices):
        PENDING = "pending", _("Chờ thanh toán")
        PAID = "paid", _("Đã thanh toán")
        FAILED = "failed", _("Thanh toán không thành công")
        CANCELLED = "cancelled", _("Đã hủy")

    dossier = models.ForeignKey(Dossier, on_delete=models.PROTECT, related_name="payments")
    purpose = models.CharField(max_length=12, choices=Purpose.choices, default=Purpose.FEE)
    amount_vnd = models.PositiveBigIntegerField()
    provider = models.CharField(max_length=30, blank=True, default="")  # "counter": cash
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    # Our transaction reference sent to the provider (unique), and theirs.
    reference = models.CharField(max_length=40, unique=True)
    provider_ref = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    online = models.BooleanField(default=True)  # False: paid in cash at the counter
    # The e-receipt (biên lai điện tử): numbered when the payment is confirmed, per
    # collecting agency and series (one series a year, e.g. BL-26E), without gaps; the
    # PDF is rendered and sealed once, then served as stored (onestop/payments/receipts.py).
    collecting_agency = models.ForeignKey(
        "directory.Agency", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    receipt_series = models.CharField(_("ký hiệu biên lai"), max_length=20, blank=True)
    receipt_number = models.CharField(  # noqa: DJ001 (NULL until numbered; unique with NULLs apart)
        _("số biên lai điện tử"), max_length=30, null=True, blank=True
    )
    receipt_file = models.FileField(max_length=255, blank=True)
    receipt_sha256 = models.CharField(max_length=64, blank=True)
    receipt_issued_at = models.DateTimeField(null=True, blank=True)
    receipt_sealed_by = models.CharField(max_length=64, blank=True)  # seal certificate serial
    payer_name = models.CharField(max_length=255, blank=True)
    callback_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["dossier", "status"])]
        constraints = [
            models.UniqueConstraint(
                fields=["collecting_agency", "receipt_series", "receipt_number"],
                name="onestop_payment_receipt_number_unique",
            )
        ]

    def __str__(self) -> str:
        amount = f"{self.amount_vnd or 0:,}".replace(",", ".")
        return f"{self.reference} {amount} đ — {self.get_status_display()}"

    @property
    def receipt_reference(self) -> str:
        """'BL-26E số 0000012' (series and number as printed on the receipt)."""
        if not self.receipt_number:
            return ""
        if not self.receipt_series:
            return self.receipt_number
        return f"{self.receipt_series} số {self.receipt_number}"


class PaymentCallback(models.Model):
    """Every callback received, verified or not (evidence for forged/replayed ones)."""

    provider = models.CharField(max_length=30)
    payment = models.ForeignKey(
        Payment, null=True, blank=True, on_delete=models.SET_NULL, related_name="callbacks"
    )
    params = models.JSONField(default=dict)
    outcome = models.CharField(max_length=30)  # applied / duplicate / bad_signature / ...
    received_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.provider} {self.outcome}"


class Rating(models.Model):
    """The citizen's rating of how the dossier was handled (once per dossier)."""

    dossier = models.OneToOneField(Dossier, on_delete=models.CASCADE, related_name="rating")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    score = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(5)]
    )  # 1–5; 1–2 = not satisfied (statistics)
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.dossier} {self.score}/5"

    @property
    def satisfied(self) -> bool:
        return self.score >= 3


class CodeSequence(models.Model):
    """Last number issued for a key (per receiving agency per day for dossier codes,
    per year for e-receipts). Incremented with one atomic upsert; never reused."""

    key = models.CharField(max_length=80, unique=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.key}={self.last}"


class DailyStat(models.Model):
    """Statistics rollup: per local day, procedure, competent and receiving agency.

    Received-side counts are attributed to the day of acceptance, resolved-side counts
    (incl. ratings) to the day of the result, withdrawn/refused/stopped to the day it
    happened. Rebuilt by `statistics.refresh_rollup` (idempotent); `statistics.summary`
    reads it for the days up to the watermark and the live tables after it.
    """

    day = models.DateField()
    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="+")
    field = models.ForeignKey(Field, on_delete=models.CASCADE, related_name="+")
    agency = models.ForeignKey("directory.Agency", on_delete=models.CASCADE, related_name="+")
    receiving_agency = models.ForeignKey(
        "directory.Agency", on_delete=models.CASCADE, related_name="+"
    )
    received = models.PositiveIntegerField(default=0)
    received_online = models.PositiveIntegerField(default=0)
    received_counter = models.PositiveIntegerField(default=0)
    received_post = models.PositiveIntegerField(default=0)
    online_full = models.PositiveIntegerField(default=0)
    online_partial = models.PositiveIntegerField(default=0)
    with_fee = models.PositiveIntegerField(default=0)
    paid_online = models.PositiveIntegerField(default=0)
    resolved = models.PositiveIntegerField(default=0)
    resolved_early = models.PositiveIntegerField(default=0)
    resolved_on_time = models.PositiveIntegerField(default=0)
    resolved_late = models.PositiveIntegerField(default=0)
    ratings = models.PositiveIntegerField(default=0)
    not_satisfied = models.PositiveIntegerField(default=0)
    withdrawn = models.PositiveIntegerField(default=0)
    refused = models.PositiveIntegerField(default=0)
    stopped = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "procedure", "agency", "receiving_agency"],
                name="dailystat_unique",
            )
        ]
        indexes = [
            models.Index(fields=["day"], name="dailystat_day"),
            models.Index(fields=["agency", "day"], name="dailystat_agency_day"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.procedure_id} {self.agency_id}"


class StatWatermark(models.Model):
    """Up to which local day (inclusive) the DailyStat rollup is complete."""

    key = models.CharField(max_length=40, unique=True)
    through = models.DateField(null=True, blank=True)
    refreshed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.key}: {self.through}"


class SearchSynonym(TimeStamped):
    """What people call a procedure when the catalogue calls it otherwise (catalogue search).

    `terms` are the words people type, comma-separated ("sổ đỏ, sổ hồng", "GPXD");
    `meaning` is how the catalogue says it ("giấy chứng nhận quyền sử dụng đất"), or
    several ways separated by ";", most specific first. A query that contains a term is
    searched with the term replaced by each meaning as well (see tinhso.onestop.search).
    Edited by the platform administrator on the catalogue administration page.
    """

    terms = models.CharField(_("cách gọi thường dùng"), max_length=300)
    meaning = models.CharField(_("tên gọi trong danh mục"), max_length=300)

    class Meta:
        ordering = ["id"]
        verbose_name = _("từ đồng nghĩa khi tìm thủ tục")
        verbose_name_plural = _("từ đồng nghĩa khi tìm thủ tục")

    def __str__(self) -> str:
        return f"{self.terms} = {self.meaning}"

    @property
    def term_list(self) -> list[str]:
        return [t.strip() for t in self.terms.split(",") if t.strip()]
