"""The province's directory: administrative units, agencies (a tree of any depth),
org units inside agencies, positions and officials' memberships.

Reorganisations (merge, rename, close) never delete: the old agency stays, closed, with
its successor recorded, so documents and dossiers keep pointing at the agency as it was.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tinhso.core.models import PublicIdentified, TimeStamped
from tinhso.core.text import fold


def code_of(obj) -> str | None:
    """`obj.code`, or None when there is no object (an empty foreign key)."""
    return None if obj is None else obj.code


class AdministrativeUnit(TimeStamped):
    """Province, district or commune, with the statistics office's numeric code."""

    class Level(models.TextChoices):
        PROVINCE = "province", _("Tỉnh/Thành phố")
        DISTRICT = "district", _("Quận/Huyện")
        COMMUNE = "commune", _("Xã/Phường/Thị trấn")

    code = models.CharField(_("mã đơn vị hành chính"), max_length=10, unique=True)
    name = models.CharField(_("tên"), max_length=200)
    level = models.CharField(_("cấp"), max_length=10, choices=Level.choices)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    is_active = models.BooleanField(default=True)
    successor = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="predecessors"
    )
    valid_to = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("đơn vị hành chính")
        verbose_name_plural = _("đơn vị hành chính")

    def __str__(self) -> str:
        return self.name


class AgencyQuerySet(models.QuerySet):
    def active(self) -> AgencyQuerySet:
        return self.filter(status=Agency.Status.ACTIVE)

    def subtree_of(self, agency: Agency) -> AgencyQuerySet:
        return self.filter(path__startswith=agency.path)

    def visible_to(self, user) -> AgencyQuerySet:
        from tinhso.accounts.rules import visible_agency_filter

        return self.filter(visible_agency_filter(user))


class Agency(PublicIdentified, TimeStamped):
    """An agency (cơ quan, đơn vị) in the tree; `path` makes subtree queries one index scan."""

    class Kind(models.TextChoices):
        PEOPLES_COMMITTEE = "peoples_committee", _("Ủy ban nhân dân")
        PEOPLES_COUNCIL = "peoples_council", _("Hội đồng nhân dân")
        DEPARTMENT = "department", _("Sở, ban, ngành")
        SERVICE_CENTRE = "service_centre", _("Trung tâm phục vụ hành chính công")
        PUBLIC_UNIT = "public_unit", _("Đơn vị sự nghiệp")
        MINISTRY = "ministry", _("Bộ, cơ quan ngang bộ")
        OTHER = "other", _("Khác")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Đang hoạt động")
        CLOSED = "closed", _("Đã giải thể")
        MERGED = "merged", _("Đã sáp nhập")

    code = models.CharField(_("mã định danh (QĐ 20/2020)"), max_length=35, unique=True)
    legacy_code = models.CharField(
        _("mã định danh (QCVN 102:2016)"), max_length=13, unique=True, null=True, blank=True
    )
    name = models.CharField(_("tên cơ quan"), max_length=255)
    short_name = models.CharField(
        _("tên viết tắt"), max_length=30, blank=True, help_text=_("dùng trong ký hiệu văn bản")
    )
    kind = models.CharField(_("loại"), max_length=30, choices=Kind.choices, default=Kind.OTHER)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    path = models.CharField(max_length=255, db_index=True, editable=False, default="")
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    admin_unit = models.ForeignKey(
        AdministrativeUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="agencies"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    successor = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="predecessors"
    )
    established_on = models.DateField(_("ngày thành lập"), null=True, blank=True)
    closed_on = models.DateField(_("ngày giải thể/sáp nhập"), null=True, blank=True)
    address = models.CharField(_("địa chỉ"), max_length=255, blank=True)
    phone = models.CharField(_("điện thoại"), max_length=30, blank=True)
    email = models.EmailField(_("thư điện tử"), blank=True)
    website = models.URLField(blank=True)
    name_folded = models.CharField(max_length=255, db_index=True, editable=False, default="")

    objects = AgencyQuerySet.as_manager()

    class Meta:
        ordering = ["path"]
        verbose_name = _("cơ quan")
        verbose_name_plural = _("cơ quan")

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE

    def save(self, *args, **kwargs) -> None:
        self.name_folded = fold(f"{self.name} {self.short_name} {self.code}")
        super().save(*args, **kwargs)
        parent = self.parent if self.parent_id else None
        parent_path = parent.path if parent is not None else "/"
        path = f"{parent_path}{self.pk}/"
        if path != self.path:
            self.path = path
            self.depth = path.count("/") - 2
            Agency.objects.filter(pk=self.pk).update(path=self.path, depth=self.depth)


class AgencyEvent(models.Model):
    """History of an agency: what changed, when, and who succeeded it."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Thành lập")
        RENAMED = "renamed", _("Đổi tên")
        MOVED = "moved", _("Chuyển cơ quan chủ quản")
        MERGED = "merged", _("Sáp nhập")
        CLOSED = "closed", _("Giải thể")
        UPDATED = "updated", _("Cập nhật")

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    effective_on = models.DateField()
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    successor = models.ForeignKey(
        Agency, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.TextField(blank=True)
    actor_name = models.CharField(max_length=150, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["agency", "effective_on", "id"]

    def __str__(self) -> str:
        return f"{self.agency.code} {self.get_kind_display()} {self.effective_on}"


class OrgUnit(TimeStamped):
    """A unit inside an agency (phòng, ban, văn phòng)."""

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="org_units")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    name = models.CharField(_("tên đơn vị"), max_length=255)
    short_name = models.CharField(_("viết tắt"), max_length=30, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["agency", "name"]
        constraints = [
            models.UniqueConstraint(fields=["agency", "name"], name="orgunit_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class Position(models.Model):
    """A post (chức vụ): Giám đốc, Phó Giám đốc, Trưởng phòng, Chuyên viên..."""

    name = models.CharField(_("chức vụ"), max_length=100, unique=True)
    rank = models.PositiveSmallIntegerField(default=100, help_text=_("nhỏ hơn là cao hơn"))
    is_leader = models.BooleanField(default=False)

    class Meta:
        ordering = ["rank", "name"]

    def __str__(self) -> str:
        return self.name


class Membership(TimeStamped):
    """An official's post in an agency; a person may hold posts in several agencies."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="memberships"
    )
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="memberships")
    org_unit = models.ForeignKey(
        OrgUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="memberships"
    )
    position = models.ForeignKey(Position, null=True, blank=True, on_delete=models.PROTECT)
    is_primary = models.BooleanField(default=True)
    started_on = models.DateField(null=True, blank=True)
    ended_on = models.DateField(null=True, blank=True)
    # The holder's full name folded (tinhso.core.text.fold) for people search.
    person_name_folded = models.CharField(max_length=150, db_index=True, default="")

    class Meta:
        ordering = ["agency", "position__rank"]
        indexes = [models.Index(fields=["user", "agency"])]

    @property
    def is_current(self) -> bool:
        return self.ended_on is None

    def __str__(self) -> str:
        return f"{self.user} — {self.position or ''} {self.agency}"
