"""Serializers of the signing API (also its OpenAPI schema)."""

from rest_framework import serializers


class PdfUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="Tệp PDF đã ký số")


class SignatureReportSerializer(serializers.Serializer):
    field_name = serializers.CharField()
    signer_name = serializers.CharField()
    signer_agency = serializers.CharField()
    issuer = serializers.CharField()
    serial = serializers.CharField()
    certificate_not_before = serializers.DateTimeField(allow_null=True)
    certificate_not_after = serializers.DateTimeField(allow_null=True)
    signed_at = serializers.DateTimeField(allow_null=True)
    signed_at_source = serializers.ChoiceField(choices=["timestamp", "claimed", ""])
    intact = serializers.BooleanField()
    valid = serializers.BooleanField()
    trusted = serializers.BooleanField()
    expired = serializers.BooleanField()
    revoked = serializers.BooleanField()
    revoked_at = serializers.DateTimeField(allow_null=True)
    covers_whole_document = serializers.BooleanField()
    coverage = serializers.ChoiceField(
        choices=["entire_file", "entire_revision", "partial", "unclear"]
    )
    modification = serializers.ChoiceField(
        choices=["none", "signatures_added", "annotations", "other", "unknown"]
    )
    modification_text = serializers.CharField()
    byte_range = serializers.ListField(child=serializers.IntegerField())
    signed_bytes = serializers.IntegerField()
    file_bytes = serializers.IntegerField()
    revision = serializers.IntegerField()
    total_revisions = serializers.IntegerField()
    subfilter = serializers.CharField()
    timestamped = serializers.BooleanField()
    status = serializers.ChoiceField(choices=["valid", "warning", "invalid"])
    summary = serializers.CharField()
    problems = serializers.ListField(child=serializers.CharField())


class VerifyResultSerializer(serializers.Serializer):
    file_sha256 = serializers.CharField()
    file_bytes = serializers.IntegerField()
    count = serializers.IntegerField()
    signatures = SignatureReportSerializer(many=True)


class RemotePrepareSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="Tệp PDF cần ký")
    certificate = serializers.CharField(
        max_length=20_000, help_text="Chứng thư số của USB token (PEM)"
    )
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=255)
    location = serializers.CharField(required=False, allow_blank=True, default="", max_length=255)


class RemotePreparedSerializer(serializers.Serializer):
    session_id = serializers.UUIDField()
    digest_b64 = serializers.CharField(
        help_text="SHA-256 của các thuộc tính được ký (signed attributes), base64: "
        "USB token ký giá trị băm này"
    )
    data_to_sign_b64 = serializers.CharField(
        help_text="Các thuộc tính được ký (DER), base64, cho token tự băm"
    )
    algorithm = serializers.ChoiceField(choices=["ECDSA_SHA256", "RSA_PKCS1V15_SHA256"])
    certificate_required = serializers.BooleanField()
    expires_at = serializers.DateTimeField()


class RemoteCompleteSerializer(serializers.Serializer):
    signature_b64 = serializers.CharField(
        max_length=20_000, help_text="Chữ ký thô (base64) do token tạo"
    )
    certificate = serializers.CharField(max_length=20_000, help_text="Chứng thư số của token (PEM)")


class RemoteCompletedSerializer(serializers.Serializer):
    session_id = serializers.UUIDField()
    sha256 = serializers.CharField()
    pdf_b64 = serializers.CharField(help_text="Tệp PDF đã ký, base64")


class CertificateSerializer(serializers.Serializer):
    uid = serializers.UUIDField()
    kind = serializers.CharField()
    storage = serializers.CharField()
    status = serializers.CharField()
    subject = serializers.CharField()
    issuer = serializers.CharField()
    serial_hex = serializers.CharField()
    not_before = serializers.DateTimeField()
    not_after = serializers.DateTimeField()
