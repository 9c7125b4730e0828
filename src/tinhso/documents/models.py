"""Official documents (Decree 30/2020/NĐ-CP): registers, incoming and outgoing documents,
assignment and handling, work records.

Numbering invariants (see `services.numbering`): a register is one agency's series for one
year, direction (incoming / outgoing) and series (normal / secret). `last_number` is only
ever increased, under a row lock, in the same transaction that stores the number on the
document, so numbers are gapless, unique and never reused. 1 January starts a new row.

Search: `subject_folded` and `text_folded` hold the diacritics-free text (core.text.fold).
On PostgreSQL a generated `search_tsv` column (to_tsvector('simple', ...)) with a GIN index
is added by migration 0002 (0007: it holds an incoming document's sender too, and the GIN
index also the agency and the UTC day); it is not a model field so the model stays portable.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tinhso.core.models import PublicIdentified, TimeStamped

# Decree 30/2020 annex III: document types and their abbreviations (key -> (abbr, name)).
DOC_TYPES: dict[str, tuple[str, str]] = {
    "nq": ("NQ", "Nghị quyết"),
    "qd": ("QĐ", "Quyết định"),
    "ct": ("CT", "Chỉ thị"),
    "qc": ("QC", "Quy chế"),
    "qyd": ("QyĐ", "Quy định"),
    "tc": ("TC", "Thông cáo"),
    "tb": ("TB", "Thông báo"),
    "hd": ("HD", "Hướng dẫn"),
    "ctr": ("CTr", "Chương trình"),
    "kh": ("KH", "Kế hoạch"),
    "pa": ("PA", "Phương án"),
    "dean": ("ĐA", "Đề án"),
    "da": ("DA", "Dự án"),
    "bc": ("BC", "Báo cáo"),
    "bb": ("BB", "Biên bản"),
    "ttr": ("TTr", "Tờ trình"),
    "hdong": ("HĐ", "Hợp đồng"),
    "cd": ("CĐ", "Công điện"),
    "bgn": ("BGN", "Bản ghi nhớ"),
    "btt": ("BTT", "Bản thỏa thuận"),
    "guq": ("GUQ", "Giấy ủy quyền"),
    "gm": ("GM", "Giấy mời"),
    "ggt": ("GGT", "Giấy giới thiệu"),
    "gnp": ("GNP", "Giấy nghỉ phép"),
    "pg": ("PG", "Phiếu gửi"),
    "pc": ("PC", "Phiếu chuyển"),
    "pb": ("PB", "Phiếu báo"),
    "sy": ("SY", "Bản sao y"),
    "trs": ("TrS", "Bản trích sao"),
    "sl": ("SL", "Bản sao lục"),
    "cv": ("", "Công văn"),
}
DOC_TYPE_CHOICES = [(key, name) for key, (_abbr, name) in DOC_TYPES.items()]
OFFICIAL_LETTER = "cv"


def type_abbreviation(doc_type: str) -> str:
    return DOC_TYPES.get(doc_type, ("", ""))[0]


class Urgency(models.TextChoices):
    NORMAL = "normal", _("Thường")
    URGENT = "urgent", _("Khẩn")
    VERY_URGENT = "very_urgent", _("Thượng khẩn")
    EXPRESS = "express", _("Hỏa tốc")


class Confidentiality(models.TextChoices):
    NORMAL = "normal", _("Thường")
    CONFIDENTIAL = "confidential", _("Mật")
    SECRET = "secret", _("Tối mật")
    TOP_SECRET = "top_secret", _("Tuyệt mật")


class Register(models.Model):
    """A register (sổ) with its counter: one per agency, year, direction and series."""

    class Direction(models.TextChoices):
        INCOMING = "incoming", _("Văn bản đến")
        OUTGOING = "outgoing", _("Văn bản đi")
        WORK_RECORD = "work_record", _("Hồ sơ công việc")

    class Series(models.TextChoices):
        NORMAL = "normal", _("Thường")
        SECRET = "secret", _("Mật")

    agency = models.ForeignKey(
        "directory.Agency", on_delete=models.PROTECT, related_name="document_registers"
    )
    year = models.PositiveSmallIntegerField(_("năm"))
    direction = models.CharField(max_length=12, choices=Direction.choices)
    series = models.CharField(max_length=8, choices=Series.choices, default=Series.NORMAL)
    last_number = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["agency", "-year", "direction", "series"]
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "year", "direction", "series"], name="register_unique_series"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_direction_display()} {self.year} ({self.get_series_display()})"

    @property
    def title(self) -> str:
        kind = "Sổ đăng ký văn bản đến" if self.direction == "incoming" else "Sổ đăng ký văn bản đi"
        if self.direction == self.Direction.WORK_RECORD:
            kind = "Sổ hồ sơ công việc"
        suffix = " (mật)" if self.series == self.Series.SECRET else ""
        return f"{kind} năm {self.year}{suffix}"


class IncomingDocument(PublicIdentified, TimeStamped):
    """Văn bản đến: registered in the agency's incoming register with an arrival number."""

    direction = "incoming"  # in mixed lists (search "all")

    class Status(models.TextChoices):
        PENDING = "pending", _("Chờ vào sổ")
        REGISTERED = "registered", _("Đã vào sổ, chờ phân công")
        IN_PROGRESS = "in_progress", _("Đang xử lý")
        DONE = "done", _("Đã xử lý xong")

    class Source(models.TextChoices):
        PAPER = "paper", _("Bản giấy (số hóa)")
        UPLOAD = "upload", _("Tệp điện tử")
        INTERNAL = "internal", _("Nội bộ nền tảng")
        EXCHANGE = "exchange", _("Trục liên thông")

    agency = models.ForeignKey(
        "directory.Agency", on_delete=models.PROTECT, related_name="incoming_documents"
    )
    register = models.ForeignKey(
        Register, null=True, blank=True, on_delete=models.PROTECT, related_name="incoming"
    )
    arrival_number = models.PositiveIntegerField(_("số đến"), null=True, blank=True)
    arrived_at = models.DateTimeField(_("ngày đến"))
    sender_agency = models.ForeignKey(
        "directory.Agency",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sent_documents_received",
    )
    sender_name = models.CharField(_("cơ quan ban hành"), max_length=255)
    sender_folded = models.CharField(max_length=255, editable=False, default="", db_index=True)
    number_notation = models.CharField(_("số, ký hiệu"), max_length=60)
    notation_key = models.CharField(max_length=60, db_index=True, editable=False, default="")
    issued_on = models.DateField(_("ngày ban hành"))
    doc_type = models.CharField(_("loại văn bản"), max_length=8, choices=DOC_TYPE_CHOICES)
    subject = models.TextField(_("trích yếu"))
    subject_folded = models.TextField(editable=False, default="")
    text_folded = models.TextField(editable=False, default="", blank=True)
    urgency = models.CharField(
        _("độ khẩn"), max_length=12, choices=Urgency.choices, default=Urgency.NORMAL
    )
    confidentiality = models.CharField(
        _("độ mật"), max_length=12, choices=Confidentiality.choices, default=Confidentiality.NORMAL
    )
    page_count = models.PositiveIntegerField(_("số trang"), default=1)
    deadline = models.DateField(_("hạn xử lý"), null=True, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.REGISTERED)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.UPLOAD)
    origin = models.ForeignKey(
        "OutgoingDocument",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="deliveries",
        help_text="the outgoing document this was dispatched from (source internal)",
    )
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    finished_at = models.DateTimeField(null=True, blank=True)
    duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-arrived_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["register", "arrival_number"],
                name="incoming_unique_arrival_number",
                condition=Q(arrival_number__isnull=False),
            )
        ]
        indexes = [
            models.Index(fields=["agency", "-arrived_at", "-id"], name="incoming_agency_arrived"),
            models.Index(fields=["-arrived_at", "-id"], name="incoming_arrived"),
            models.Index(fields=["agency", "status"], name="incoming_agency_status"),
            models.Index(fields=["sender_name", "notation_key", "issued_on"], name="incoming_dup"),
        ]

    def __str__(self) -> str:
        return f"{self.number_notation} — {self.subject[:60]}"

    @property
    def type_abbr(self) -> str:
        return type_abbreviation(self.doc_type)


class OutgoingDocument(PublicIdentified, TimeStamped):
    """Văn bản đi: drafted, reviewed, approved, signed, numbered, sealed, dispatched."""

    direction = "outgoing"

    class Status(models.TextChoices):
        DRAFT = "draft", _("Dự thảo")
        IN_REVIEW = "in_review", _("Đang xem xét")
        REVIEWED = "reviewed", _("Chờ lãnh đạo duyệt")
        APPROVED = "approved", _("Đã duyệt, chờ ký")
        SIGNED = "signed", _("Đã ký, chờ cấp số")
        NUMBERED = "numbered", _("Đã cấp số, chờ đóng dấu")
        ISSUED = "issued", _("Đã ban hành")
        DISPATCHED = "dispatched", _("Đã phát hành")

    agency = models.ForeignKey(
        "directory.Agency", on_delete=models.PROTECT, related_name="outgoing_documents"
    )
    drafting_unit = models.ForeignKey(
        "directory.OrgUnit", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    drafter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="drafted_documents"
    )
    doc_type = models.CharField(_("loại văn bản"), max_length=8, choices=DOC_TYPE_CHOICES)
    subject = models.TextField(_("trích yếu"))
    subject_folded = models.TextField(editable=False, default="")
    text_folded = models.TextField(editable=False, default="", blank=True)
    urgency = models.CharField(
        _("độ khẩn"), max_length=12, choices=Urgency.choices, default=Urgency.NORMAL
    )
    confidentiality = models.CharField(
        _("độ mật"), max_length=12, choices=Confidentiality.choices, default=Confidentiality.NORMAL
    )
    page_count = models.PositiveIntegerField(_("số trang"), default=1)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    signer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="documents_to_sign",
        help_text="the leader who approves and signs",
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    signed_at = models.DateTimeField(null=True, blank=True)
    digitally_signed = models.BooleanField(default=False)
    register = models.ForeignKey(
        Register, null=True, blank=True, on_delete=models.PROTECT, related_name="outgoing"
    )
    number = models.PositiveIntegerField(_("số"), null=True, blank=True)
    number_notation = models.CharField(_("số, ký hiệu"), max_length=60, blank=True, default="")
    notation_key = models.CharField(max_length=60, db_index=True, editable=False, default="")
    issued_on = models.DateField(_("ngày ban hành"), null=True, blank=True)
    numbered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    sealed_at = models.DateTimeField(null=True, blank=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    # Nơi nhận as drafted (Decree 30: part of the document); dispatch sends to these.
    planned_agencies = models.ManyToManyField(
        "directory.Agency", blank=True, related_name="+", verbose_name=_("nơi nhận")
    )
    planned_external = models.TextField(
        _("nơi nhận bên ngoài"), blank=True, help_text="one per line: name; agency ID code"
    )
    in_reply_to = models.ForeignKey(
        "IncomingDocument",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="replies",
        verbose_name=_("trả lời văn bản đến"),
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["register", "number"],
                name="outgoing_unique_number",
                condition=Q(number__isnull=False),
            )
        ]
        indexes = [
            models.Index(fields=["agency", "status"], name="outgoing_agency_status"),
            models.Index(fields=["agency", "-created_at", "-id"], name="outgoing_agency_created"),
        ]

    def __str__(self) -> str:
        return f"{self.number_notation or '(dự thảo)'} — {self.subject[:60]}"

    @property
    def type_abbr(self) -> str:
        return type_abbreviation(self.doc_type)

    @property
    def latest_file(self) -> DocumentFile | None:
        return self.files.order_by("-version", "-id").first()


def _upload_to(instance: DocumentFile, filename: str) -> str:
    return f"documents/{instance.sha256[:2]}/{instance.sha256}.pdf"


class DocumentFile(models.Model):
    """A stored PDF of a document (main file, attachment, draft version, signed copies)."""

    class Role(models.TextChoices):
        MAIN = "main", _("Văn bản")
        ATTACHMENT = "attachment", _("Phụ lục, tài liệu kèm theo")
        DRAFT = "draft", _("Dự thảo")
        SIGNED = "signed", _("Bản đã ký số (lãnh đạo)")
        NUMBERED = "numbered", _("Bản đã cấp số, ngày ban hành")
        SEALED = "sealed", _("Bản đã ký số (cơ quan)")
        NOTE = "note", _("Tệp xử lý")

    incoming = models.ForeignKey(
        IncomingDocument, null=True, blank=True, on_delete=models.CASCADE, related_name="files"
    )
    outgoing = models.ForeignKey(
        OutgoingDocument, null=True, blank=True, on_delete=models.CASCADE, related_name="files"
    )
    role = models.CharField(max_length=12, choices=Role.choices, default=Role.MAIN)
    version = models.PositiveIntegerField(default=1)
    file = models.FileField(upload_to=_upload_to, max_length=255)
    name = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64, db_index=True)
    size = models.PositiveIntegerField(default=0)
    page_count = models.PositiveIntegerField(default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["version", "id"]

    def __str__(self) -> str:
        return f"{self.name} (v{self.version})"


class Assignment(TimeStamped):
    """A leader's assignment of an incoming document: lead, cooperating, for information."""

    class Kind(models.TextChoices):
        LEAD = "lead", _("Chủ trì")
        COOPERATE = "cooperate", _("Phối hợp")
        INFO = "info", _("Để biết")

    class Status(models.TextChoices):
        PENDING = "pending", _("Chưa xử lý")
        IN_PROGRESS = "in_progress", _("Đang xử lý")
        DONE = "done", _("Hoàn thành")
        FORWARDED = "forwarded", _("Đã chuyển tiếp")

    document = models.ForeignKey(
        IncomingDocument, on_delete=models.CASCADE, related_name="assignments"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="document_assignments",
    )
    unit = models.ForeignKey(
        "directory.OrgUnit", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    deadline = models.DateField(_("hạn xử lý"), null=True, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    forwarded_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="forwards"
    )
    instruction = models.TextField(_("ý kiến chỉ đạo"), blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    result = models.TextField(_("kết quả xử lý"), blank=True)

    class Meta:
        ordering = ["document", "kind", "id"]
        indexes = [
            models.Index(fields=["assignee", "status"], name="assignment_assignee_status"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(assignee__isnull=False) | Q(unit__isnull=False),
                name="assignment_has_assignee",
            )
        ]

    def __str__(self) -> str:
        who = self.assignee or self.unit
        return f"{self.get_kind_display()}: {who}"

    @property
    def assignee_label(self) -> str:
        return str(self.assignee) if self.assignee_id else str(self.unit)


class HandlingNote(models.Model):
    """What an assignee wrote or attached while handling a document."""

    document = models.ForeignKey(IncomingDocument, on_delete=models.CASCADE, related_name="notes")
    assignment = models.ForeignKey(
        Assignment, null=True, blank=True, on_delete=models.CASCADE, related_name="notes"
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(blank=True)
    file = models.ForeignKey(
        DocumentFile, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.author}: {self.text[:40]}"


class ReadReceipt(models.Model):
    """Who opened a document, first and last time."""

    incoming = models.ForeignKey(
        IncomingDocument, null=True, blank=True, on_delete=models.CASCADE, related_name="reads"
    )
    outgoing = models.ForeignKey(
        OutgoingDocument, null=True, blank=True, on_delete=models.CASCADE, related_name="reads"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    first_read_at = models.DateTimeField()
    last_read_at = models.DateTimeField()
    times = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["first_read_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["incoming", "user"],
                name="read_unique_incoming",
                condition=Q(incoming__isnull=False),
            ),
            models.UniqueConstraint(
                fields=["outgoing", "user"],
                name="read_unique_outgoing",
                condition=Q(outgoing__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.first_read_at:%Y-%m-%d %H:%M}"


class ReviewStep(models.Model):
    """One reviewer in the chain of an outgoing draft."""

    class Status(models.TextChoices):
        WAITING = "waiting", _("Chưa đến lượt")
        PENDING = "pending", _("Chờ ý kiến")
        APPROVED = "approved", _("Đồng ý")
        RETURNED = "returned", _("Trả lại")

    document = models.ForeignKey(
        OutgoingDocument, on_delete=models.CASCADE, related_name="review_steps"
    )
    round = models.PositiveIntegerField(default=1)
    order = models.PositiveSmallIntegerField()
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="document_reviews"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.WAITING)
    comment = models.TextField(blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["document", "round", "order"]

    def __str__(self) -> str:
        return f"{self.order}. {self.reviewer} ({self.get_status_display()})"


class Recipient(models.Model):
    """Nơi nhận of an outgoing document: an agency on the platform or an outside one."""

    class Status(models.TextChoices):
        WAITING = "waiting", _("Chờ gửi")
        DELIVERED = "delivered", _("Đã chuyển trong nền tảng")
        EXCHANGE_PENDING = "exchange_pending", _("Chờ gửi qua trục liên thông")
        EXCHANGE_SENT = "exchange_sent", _("Đã gửi qua trục liên thông")

    document = models.ForeignKey(
        OutgoingDocument, on_delete=models.CASCADE, related_name="recipients"
    )
    agency = models.ForeignKey(
        "directory.Agency", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(max_length=255)
    external_code = models.CharField(
        max_length=35, blank=True, help_text="agency ID code of an outside recipient"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.WAITING)
    delivered = models.ForeignKey(
        IncomingDocument, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["document", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_internal(self) -> bool:
        return self.agency_id is not None


class RecipientGroup(TimeStamped):
    """A saved list of recipients (e.g. "Các sở, ban, ngành", "UBND cấp xã") of an agency,
    to pick dozens of recipients at once when dispatching."""

    agency = models.ForeignKey(
        "directory.Agency", on_delete=models.CASCADE, related_name="recipient_groups"
    )
    name = models.CharField(_("tên nhóm"), max_length=120)
    members = models.ManyToManyField("directory.Agency", related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["agency", "name"]
        constraints = [
            models.UniqueConstraint(fields=["agency", "name"], name="recipientgroup_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class WorkRecord(PublicIdentified, TimeStamped):
    """Hồ sơ công việc: documents filed together for one piece of work."""

    class Status(models.TextChoices):
        OPEN = "open", _("Đang mở")
        CLOSED = "closed", _("Đã đóng")

    agency = models.ForeignKey(
        "directory.Agency", on_delete=models.PROTECT, related_name="work_records"
    )
    code = models.CharField(_("mã hồ sơ"), max_length=60)
    year = models.PositiveSmallIntegerField()
    title = models.CharField(_("tiêu đề hồ sơ"), max_length=500)
    title_folded = models.CharField(max_length=500, editable=False, default="")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    handled_online = models.BooleanField(default=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-year", "code"]
        constraints = [
            models.UniqueConstraint(fields=["agency", "code"], name="workrecord_unique_code")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class WorkRecordItem(models.Model):
    record = models.ForeignKey(WorkRecord, on_delete=models.CASCADE, related_name="items")
    incoming = models.ForeignKey(
        IncomingDocument, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    outgoing = models.ForeignKey(
        OutgoingDocument, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["added_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["record", "incoming"],
                name="workrecord_item_unique_in",
                condition=Q(incoming__isnull=False),
            ),
            models.UniqueConstraint(
                fields=["record", "outgoing"],
                name="workrecord_item_unique_out",
                condition=Q(outgoing__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.record_id}: {self.incoming_id or self.outgoing_id}"
