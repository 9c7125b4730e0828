"""Certificates, trust anchors, CRLs and signature images.

- `CACertificate`: certificates of certification authorities: trust anchors (roots we
  trust: the government's specialised CA in production, the demo root locally) and
  intermediates (used to build chains). A local CA also keeps its private key, encrypted,
  so it can issue certificates and CRLs (demo and tests only).
- `Certificate`: a signing certificate of an official (personal) or of an agency (seal).
  The private key lives on the server (encrypted), on a PKCS#11 token/HSM (a reference
  only), or on the official's own USB token (remote: we keep only the certificate).
- `RevocationList`: the latest CRL of each CA.
- `SignatureImage`: an official's signature image or an agency's seal (PNG).
- `RemoteSigningSession`: a document prepared for signing on the official's computer.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tinhso.core.models import PublicIdentified, TimeStamped


class CACertificate(TimeStamped):
    subject = models.CharField(_("chủ thể"), max_length=500)
    common_name = models.CharField(_("tên"), max_length=255)
    issuer = models.CharField(_("tổ chức cấp"), max_length=500)
    serial_hex = models.CharField(max_length=64)
    fingerprint_sha256 = models.CharField(max_length=64, unique=True)
    not_before = models.DateTimeField()
    not_after = models.DateTimeField()
    certificate_pem = models.TextField()
    is_trust_anchor = models.BooleanField(
        _("tin cậy gốc"), default=False, help_text=_("chứng thư gốc được tin cậy")
    )
    is_demo = models.BooleanField(default=False)
    issuer_ca = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    # Only for a local CA (demo/tests): its private key, encrypted (see signing.crypto).
    private_key_encrypted = models.TextField(blank=True, default="")
    crl_number = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-is_trust_anchor", "common_name"]
        verbose_name = _("chứng thư CA")
        verbose_name_plural = _("chứng thư CA")

    def __str__(self) -> str:
        return self.common_name


class Certificate(PublicIdentified, TimeStamped):
    class Kind(models.TextChoices):
        PERSONAL = "personal", _("Cá nhân")
        AGENCY = "agency", _("Cơ quan, tổ chức")

    class Storage(models.TextChoices):
        SERVER = "server", _("Lưu trên máy chủ (mã hóa)")
        PKCS11 = "pkcs11", _("Token/HSM (PKCS#11)")
        REMOTE = "remote", _("USB token của người ký")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Đang hiệu lực")
        REVOKED = "revoked", _("Đã thu hồi")
        SUPERSEDED = "superseded", _("Đã thay thế")

    kind = models.CharField(max_length=10, choices=Kind.choices)
    storage = models.CharField(max_length=10, choices=Storage.choices, default=Storage.SERVER)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.ACTIVE)
    owner_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="signing_certificates",
    )
    owner_agency = models.ForeignKey(
        "directory.Agency",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="signing_certificates",
    )
    subject = models.CharField(_("chủ thể"), max_length=500)
    common_name = models.CharField(_("tên"), max_length=255)
    organization = models.CharField(max_length=255, blank=True, default="")
    issuer = models.CharField(_("tổ chức cấp"), max_length=500)
    issuer_ca = models.ForeignKey(
        CACertificate, null=True, blank=True, on_delete=models.PROTECT, related_name="issued"
    )
    serial_hex = models.CharField(_("số hiệu"), max_length=64, db_index=True)
    fingerprint_sha256 = models.CharField(max_length=64, unique=True)
    not_before = models.DateTimeField(_("hiệu lực từ"))
    not_after = models.DateTimeField(_("hiệu lực đến"))
    certificate_pem = models.TextField()
    private_key_encrypted = models.TextField(blank=True, default="")
    pkcs11_module = models.CharField(max_length=255, blank=True, default="")
    pkcs11_token_label = models.CharField(max_length=64, blank=True, default="")
    pkcs11_key_label = models.CharField(max_length=64, blank=True, default="")
    pkcs11_pin_encrypted = models.TextField(blank=True, default="")
    revoked_at = models.DateTimeField(null=True, blank=True)
    revocation_reason = models.CharField(max_length=100, blank=True, default="")

    class Meta:
        ordering = ["-not_after"]
        verbose_name = _("chứng thư số")
        verbose_name_plural = _("chứng thư số")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(owner_user__isnull=False) | models.Q(owner_agency__isnull=False),
                name="signing_certificate_has_owner",
            )
        ]
        indexes = [models.Index(fields=["owner_user", "status"])]

    def __str__(self) -> str:
        return f"{self.common_name} ({self.serial_hex})"

    @property
    def is_expired(self) -> bool:
        return self.not_after <= timezone.now()

    @property
    def is_not_yet_valid(self) -> bool:
        return self.not_before > timezone.now()


class RevocationList(models.Model):
    issuer_ca = models.ForeignKey(CACertificate, on_delete=models.CASCADE, related_name="crls")
    number = models.PositiveIntegerField(default=0)
    this_update = models.DateTimeField()
    next_update = models.DateTimeField(null=True, blank=True)
    crl_der = models.BinaryField()
    imported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["issuer_ca", "-this_update"]
        verbose_name = _("danh sách thu hồi (CRL)")
        verbose_name_plural = _("danh sách thu hồi (CRL)")

    def __str__(self) -> str:
        return f"CRL #{self.number} {self.issuer_ca_id}"


class SignatureImage(TimeStamped):
    class Kind(models.TextChoices):
        SIGNATURE = "signature", _("Chữ ký")
        SEAL = "seal", _("Con dấu")

    kind = models.CharField(max_length=10, choices=Kind.choices)
    owner_user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="signature_image",
    )
    owner_agency = models.OneToOneField(
        "directory.Agency",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="seal_image",
    )
    image = models.FileField(upload_to="signing/images/%Y/")
    sha256 = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("hình ảnh chữ ký/con dấu")
        verbose_name_plural = _("hình ảnh chữ ký/con dấu")


class RemoteSigningSession(PublicIdentified):
    """State kept between `prepare` and `complete` of a signature made on a USB token."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Chờ chữ ký")
        COMPLETED = "completed", _("Đã ký")
        FAILED = "failed", _("Thất bại")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="remote_signing"
    )
    certificate_pem = models.TextField()
    field_name = models.CharField(max_length=100)
    md_algorithm = models.CharField(max_length=20, default="sha256")
    prepared_pdf = models.BinaryField()
    reserved_start = models.PositiveBigIntegerField()
    reserved_end = models.PositiveBigIntegerField()
    document_digest = models.BinaryField()
    signed_attrs = models.BinaryField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    signed_pdf = models.BinaryField(null=True, blank=True)
    signed_pdf_sha256 = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
