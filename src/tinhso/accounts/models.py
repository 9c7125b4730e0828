"""Users (officials, citizens, businesses) and roles granted per agency."""

from __future__ import annotations

import re

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from tinhso.accounts.errors import AccountsErrorCode
from tinhso.core.models import PublicIdentified

CITIZEN_ID_RE = re.compile(r"^\d{12}$")
TAX_CODE_RE = re.compile(r"^\d{10}(-\d{3})?$")


def validate_citizen_id(value: str) -> None:
    if not CITIZEN_ID_RE.match(value or ""):
        raise ValidationError(
            _("Số định danh cá nhân phải gồm đúng 12 chữ số."),
            code=AccountsErrorCode.INVALID_CITIZEN_ID,
        )


def validate_tax_code(value: str) -> None:
    if not TAX_CODE_RE.match(value or ""):
        raise ValidationError(
            _("Mã số thuế phải gồm 10 chữ số (hoặc 10 chữ số, dấu - và 3 chữ số)."),
            code=AccountsErrorCode.INVALID_TAX_CODE,
        )


class User(PublicIdentified, AbstractUser):
    class Kind(models.TextChoices):
        OFFICIAL = "official", _("Cán bộ, công chức")
        CITIZEN = "citizen", _("Công dân")
        BUSINESS = "business", _("Doanh nghiệp, tổ chức")

    kind = models.CharField(
        _("loại tài khoản"), max_length=10, choices=Kind.choices, default=Kind.CITIZEN
    )
    full_name = models.CharField(_("họ và tên"), max_length=150, blank=True)
    citizen_id = models.CharField(
        _("số định danh cá nhân"),
        max_length=12,
        blank=True,
        null=True,
        unique=True,
        validators=[validate_citizen_id],
    )
    tax_code = models.CharField(
        _("mã số thuế"),
        max_length=14,
        blank=True,
        null=True,
        unique=True,
        validators=[validate_tax_code],
    )
    phone = models.CharField(_("số điện thoại"), max_length=20, blank=True)
    # Second factor (TOTP): required for officials; secret stored encrypted.
    totp_secret_encrypted = models.TextField(blank=True, default="")
    totp_confirmed_at = models.DateTimeField(null=True, blank=True)
    totp_last_step = models.BigIntegerField(default=0)
    # Wrong passwords are counted in the shared cache per account name and IP (throttle.py).
    # Wrong one-time codes, counted apart from passwords: only a right code resets them,
    # so knowing the password does not buy new attempts (growing delay, see throttle.py).
    otp_failure_count = models.PositiveIntegerField(default=0)
    otp_blocked_until = models.DateTimeField(null=True, blank=True)
    # Self-registered, waiting for the link sent to the e-mail address (cannot log in).
    pending_activation = models.BooleanField(default=False)

    objects = UserManager()  # type: ignore[misc]

    class Meta:
        verbose_name = _("người dùng")
        verbose_name_plural = _("người dùng")

    def __str__(self) -> str:
        return self.full_name or self.username

    def save(self, *args, **kwargs) -> None:
        # set_password() leaves the new password in `_password` until saved; an existing
        # account whose password changed (reset, change, admin) loses its API tokens.
        password_changed = self.pk is not None and getattr(self, "_password", None) is not None
        super().save(*args, **kwargs)
        if password_changed:
            from tinhso.accounts.services import revoke_all_tokens

            revoke_all_tokens(user=self, reason="password_changed")

    @property
    def is_official(self) -> bool:
        return self.kind == self.Kind.OFFICIAL

    @property
    def needs_second_factor(self) -> bool:
        return self.is_official or self.is_superuser


class Role(models.TextChoices):
    ONESTOP_OFFICER = "onestop_officer", _("Cán bộ một cửa")
    SPECIALIST = "specialist", _("Chuyên viên")
    LEADER = "leader", _("Lãnh đạo")
    CLERK = "clerk", _("Văn thư")
    AGENCY_ADMIN = "agency_admin", _("Quản trị cơ quan")
    PLATFORM_ADMIN = "platform_admin", _("Quản trị nền tảng")


class RoleGrant(models.Model):
    """A role held by a user in one agency (optionally narrowed to an org unit)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_grants")
    agency = models.ForeignKey(
        "directory.Agency", on_delete=models.PROTECT, related_name="role_grants"
    )
    org_unit = models.ForeignKey(
        "directory.OrgUnit",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="role_grants",
    )
    role = models.CharField(max_length=20, choices=Role.choices)
    granted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "agency", "role"], name="rolegrant_unique")
        ]
        indexes = [models.Index(fields=["agency", "role"])]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.agency}"


class ApiToken(PublicIdentified, models.Model):
    """A key another system sends as `Authorization: Token <key>`, acting as `user`.

    Only the SHA-256 of the key is stored (the key is shown once, when issued). A token
    stops working when it expires, is revoked by its owner, or the owner's password
    changes."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="tinhso_api_tokens")
    name = models.CharField(_("tên"), max_length=100, blank=True)
    key_prefix = models.CharField(max_length=8)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("mã truy cập API")
        verbose_name_plural = _("mã truy cập API")
        indexes = [models.Index(fields=["user", "revoked_at"])]

    def __str__(self) -> str:
        return f"{self.user} · {self.key_prefix}…"

    @staticmethod
    def hash_key(key: str) -> str:
        import hashlib

        return hashlib.sha256(key.encode()).hexdigest()

    @property
    def is_active(self) -> bool:
        from django.utils import timezone

        return self.revoked_at is None and self.expires_at > timezone.now()
