"""Data of the open data portal: datasets and their resources (files or links), the
national topic groups, tags and licences, the datastore tables behind tabular resources,
citizens' contributions, the agencies' data officers and usage counts.

An organisation in CKAN's sense is an agency of the directory (`directory.Agency`); its
CKAN `name` is its code folded to `[a-z0-9-]` and its `id` is the agency's UUID.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tinhso.core.models import PublicIdentified, TimeStamped


class TopicGroup(models.Model):
    """One of the national portal's topic groups (data.gov.vn: 12 groups)."""

    name = models.SlugField(_("mã"), max_length=100, unique=True)
    title = models.CharField(_("tên nhóm"), max_length=200)
    description = models.TextField(_("mô tả"), blank=True)
    theme_uri = models.URLField(_("chủ đề DCAT (data-theme)"), blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("nhóm chủ đề")
        verbose_name_plural = _("nhóm chủ đề")

    def __str__(self) -> str:
        return self.title


class Licence(models.Model):
    """A licence a dataset is published under (CKAN `license_id`)."""

    id = models.CharField(max_length=50, primary_key=True)
    title = models.CharField(_("tên giấy phép"), max_length=200)
    url = models.URLField(blank=True)
    is_open = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("giấy phép")
        verbose_name_plural = _("giấy phép")

    def __str__(self) -> str:
        return self.title


class Tag(models.Model):
    name = models.CharField(max_length=100, unique=True)
    name_folded = models.CharField(max_length=100, db_index=True, default="")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class DatasetState(models.TextChoices):
    DRAFT = "draft", _("Bản nháp")
    PENDING = "pending", _("Chờ duyệt")
    PUBLISHED = "published", _("Đã công bố")
    WITHDRAWN = "withdrawn", _("Đã rút")


class Frequency(models.TextChoices):
    """Update frequency (EU "frequency" vocabulary used by DCAT-AP)."""

    DAILY = "DAILY", _("Hằng ngày")
    WEEKLY = "WEEKLY", _("Hằng tuần")
    MONTHLY = "MONTHLY", _("Hằng tháng")
    QUARTERLY = "QUARTERLY", _("Hằng quý")
    ANNUAL = "ANNUAL", _("Hằng năm")
    IRREGULAR = "IRREG", _("Không định kỳ")


class Dataset(PublicIdentified, TimeStamped):
    class Source(models.TextChoices):
        MANUAL = "manual", _("Cơ quan nhập")
        PLATFORM = "platform", _("Số liệu của nền tảng")
        CONTRIBUTION = "contribution", _("Người dân đóng góp")

    name = models.CharField(_("tên định danh (URL)"), max_length=100, unique=True)
    title = models.CharField(_("tên bộ dữ liệu"), max_length=300)
    notes = models.TextField(_("mô tả"), blank=True)
    agency = models.ForeignKey(
        "directory.Agency",
        on_delete=models.PROTECT,
        related_name="datasets",
        verbose_name=_("cơ quan chủ quản"),
    )
    groups = models.ManyToManyField(TopicGroup, blank=True, related_name="datasets")
    tags = models.ManyToManyField(Tag, blank=True, related_name="datasets")
    licence = models.ForeignKey(Licence, on_delete=models.PROTECT, related_name="datasets")
    state = models.CharField(
        max_length=10, choices=DatasetState.choices, default=DatasetState.DRAFT, db_index=True
    )
    frequency = models.CharField(
        _("tần suất cập nhật"), max_length=10, choices=Frequency.choices, blank=True
    )
    next_update_on = models.DateField(_("lần cập nhật tới"), null=True, blank=True)
    # DCAT-VN fields beyond the core ones, validated against data/dcat_vn_schema.json.
    extras = models.JSONField(default=dict, blank=True)
    source = models.CharField(max_length=15, choices=Source.choices, default=Source.MANUAL)
    platform_key = models.CharField(max_length=60, unique=True, null=True, blank=True)
    maintainer = models.CharField(_("đầu mối"), max_length=200, blank=True)
    maintainer_email = models.EmailField(_("thư điện tử đầu mối"), blank=True)
    search_folded = models.TextField(default="", editable=False)
    title_folded = models.CharField(max_length=300, default="", editable=False)
    metadata_modified = models.DateTimeField(db_index=True)
    published_at = models.DateTimeField(null=True, blank=True)
    review_note = models.TextField(blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    download_count = models.PositiveBigIntegerField(default=0)
    api_call_count = models.PositiveBigIntegerField(default=0)

    class Meta:
        ordering = ["-metadata_modified"]
        verbose_name = _("bộ dữ liệu")
        verbose_name_plural = _("bộ dữ liệu")
        indexes = [
            models.Index(fields=["state", "-metadata_modified"]),
            models.Index(fields=["agency", "state"]),
            models.Index(fields=["licence", "state"]),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_published(self) -> bool:
        return self.state == DatasetState.PUBLISHED


class Resource(PublicIdentified, TimeStamped):
    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="resources")
    name = models.CharField(_("tên tài nguyên"), max_length=300)
    description = models.TextField(_("mô tả"), blank=True)
    url = models.URLField(_("đường dẫn"), max_length=1000, blank=True)
    file = models.FileField(upload_to="opendata/%Y/%m/", blank=True)
    filename = models.CharField(max_length=255, blank=True)
    format = models.CharField(_("định dạng"), max_length=20, blank=True, db_index=True)
    mimetype = models.CharField(max_length=100, blank=True)
    size = models.PositiveBigIntegerField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    datastore_active = models.BooleanField(default=False)
    last_modified = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["dataset", "position", "id"]
        verbose_name = _("tài nguyên")
        verbose_name_plural = _("tài nguyên")

    def __str__(self) -> str:
        return self.name

    @property
    def is_upload(self) -> bool:
        return bool(self.file)


class DatastoreTable(models.Model):
    """The real database table behind a tabular resource. Loads write a new table and
    switch `table_name` to it in one transaction: a load that dies leaves the old one."""

    resource = models.OneToOneField(Resource, on_delete=models.CASCADE, related_name="datastore")
    table_name = models.CharField(max_length=63, unique=True)
    fields = models.JSONField(default=list)  # [{"id", "type", "info"}]
    primary_key = models.JSONField(default=list, blank=True)
    indexes = models.JSONField(default=list, blank=True)
    # Cached row count: `include_total` without filters never runs COUNT(*).
    total = models.PositiveBigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.table_name


class LoadJob(PublicIdentified, TimeStamped):
    """A CSV/XLSX file being loaded into the datastore by the worker."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Đang chờ")
        RUNNING = "running", _("Đang nạp")
        DONE = "done", _("Hoàn tất")
        FAILED = "failed", _("Lỗi, không nạp dòng nào")

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="load_jobs")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    encoding = models.CharField(max_length=20, blank=True)
    rows_done = models.PositiveBigIntegerField(default=0)
    rows_total = models.PositiveBigIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)  # [{"row", "column", "message"}]
    message = models.TextField(blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]

    @property
    def percent(self) -> int:
        if not self.rows_total:
            return 100 if self.status == self.Status.DONE else 0
        return min(100, 100 * self.rows_done // self.rows_total)


class Steward(TimeStamped):
    """A data officer (cán bộ dữ liệu) of an agency: manages its datasets, reviews
    contributions. Agency administrators of the agency (or above it) may do the same."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="opendata_stewardships"
    )
    agency = models.ForeignKey(
        "directory.Agency", on_delete=models.PROTECT, related_name="data_officers"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "agency"], name="opendata_steward_unique")
        ]


class Contribution(PublicIdentified, TimeStamped):
    class Kind(models.TextChoices):
        NEW_DATASET = "new", _("Đề xuất bộ dữ liệu mới")
        CORRECTION = "correction", _("Đề nghị sửa, bổ sung bộ dữ liệu")

    class Status(models.TextChoices):
        PENDING = "pending", _("Chờ xử lý")
        ACCEPTED = "accepted", _("Đã tiếp nhận")
        DECLINED = "declined", _("Không tiếp nhận")

    kind = models.CharField(max_length=12, choices=Kind.choices)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    contributor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="opendata_contributions"
    )
    agency = models.ForeignKey(
        "directory.Agency", on_delete=models.PROTECT, related_name="data_contributions"
    )
    dataset = models.ForeignKey(
        Dataset, null=True, blank=True, on_delete=models.SET_NULL, related_name="contributions"
    )
    title = models.CharField(_("tiêu đề"), max_length=300)
    comment = models.TextField(_("nội dung"), blank=True)
    link = models.URLField(_("đường dẫn"), max_length=1000, blank=True)
    file = models.FileField(upload_to="opendata/contributions/%Y/%m/", blank=True)
    filename = models.CharField(max_length=255, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField(_("lý do"), blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("đóng góp dữ liệu")
        verbose_name_plural = _("đóng góp dữ liệu")

    def __str__(self) -> str:
        return self.title


class DatasetUsage(models.Model):
    """Downloads and API calls per dataset per day (what the data officer sees)."""

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="usage")
    day = models.DateField()
    downloads = models.PositiveIntegerField(default=0)
    api_calls = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["dataset", "day"], name="opendata_usage_unique")
        ]
        ordering = ["-day"]

    def __str__(self) -> str:
        return f"{self.dataset_id} {self.day}"


class CatalogueVersion(models.Model):
    """One row whose token changes with the catalogue (a new random token in the
    transaction of every change search can see): the in-process search index rebuilds
    when it differs. Random, not a counter: a rolled-back or flushed database never
    comes back to a token an index was built from."""

    token = models.CharField(max_length=32, default="")

    def __str__(self) -> str:
        return self.token
