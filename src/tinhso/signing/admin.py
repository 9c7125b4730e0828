"""Admin: certificates and CAs are read-mostly here; keys never shown."""

from django.contrib import admin

from tinhso.signing.models import (
    CACertificate,
    Certificate,
    RemoteSigningSession,
    RevocationList,
    SignatureImage,
)


@admin.register(CACertificate)
class CACertificateAdmin(admin.ModelAdmin):
    list_display = ["common_name", "is_trust_anchor", "is_demo", "not_after"]
    list_filter = ["is_trust_anchor", "is_demo"]
    search_fields = ["common_name", "subject", "fingerprint_sha256"]
    exclude = ["private_key_encrypted"]
    readonly_fields = [
        "subject",
        "issuer",
        "serial_hex",
        "fingerprint_sha256",
        "not_before",
        "not_after",
        "certificate_pem",
        "issuer_ca",
        "crl_number",
    ]


@admin.action(description="Thu hồi các chứng thư đã chọn")
def revoke_selected(modeladmin, request, queryset):
    from tinhso.signing.services import revoke_certificate

    for cert in queryset:
        revoke_certificate(certificate=cert, reason="admin", actor=request.user)


@admin.register(Certificate)
class CertificateAdmin(admin.ModelAdmin):
    actions = [revoke_selected]
    list_display = ["common_name", "kind", "storage", "status", "serial_hex", "not_after"]
    list_filter = ["kind", "storage", "status"]
    search_fields = ["common_name", "subject", "serial_hex", "owner_user__username"]
    raw_id_fields = ["owner_user", "owner_agency", "issuer_ca"]
    exclude = ["private_key_encrypted", "pkcs11_pin_encrypted"]
    readonly_fields = [
        "subject",
        "issuer",
        "serial_hex",
        "fingerprint_sha256",
        "not_before",
        "not_after",
        "certificate_pem",
        "status",
        "revoked_at",
        "revocation_reason",
    ]


@admin.register(RevocationList)
class RevocationListAdmin(admin.ModelAdmin):
    list_display = ["issuer_ca", "number", "this_update", "next_update"]
    exclude = ["crl_der"]

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(SignatureImage)
class SignatureImageAdmin(admin.ModelAdmin):
    list_display = ["kind", "owner_user", "owner_agency", "sha256"]
    raw_id_fields = ["owner_user", "owner_agency"]
    readonly_fields = ["sha256"]


@admin.register(RemoteSigningSession)
class RemoteSigningSessionAdmin(admin.ModelAdmin):
    list_display = ["uid", "user", "status", "created_at", "expires_at"]
    list_filter = ["status"]
    exclude = ["prepared_pdf", "signed_pdf", "document_digest", "signed_attrs"]

    def has_change_permission(self, request, obj=None):
        return False
