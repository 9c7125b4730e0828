"""Signing REST endpoints (thin): verification (public) and USB-token remote signing."""

from __future__ import annotations

import base64
import binascii
import hashlib

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from tinhso.core import ratelimit
from tinhso.core.api import ApiErrorSerializer, JSONParser
from tinhso.core.errors import ValidationFailed
from tinhso.signing import conf, selectors, serializers, services


class VerifyThrottle(ratelimit.ClientRateThrottle):
    scope = "signing_verify"
    rate = "60/min"


def read_pdf_upload(upload, max_bytes: int) -> bytes:
    if upload is None:
        raise ValidationFailed("Chưa chọn tệp PDF.", code="file_required")
    if upload.size > max_bytes:
        raise ValidationFailed(
            f"Tệp quá lớn ({upload.size // 1024} KB); tối đa {max_bytes // 1024} KB.",
            code="file_too_large",
        )
    return upload.read()


ERRORS = {
    400: OpenApiResponse(
        ApiErrorSerializer,
        description="`invalid_pdf`, `encrypted_pdf`, `file_too_large`, `file_required`",
    )
}


class VerifyView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []
    parser_classes = [MultiPartParser]
    throttle_classes = [VerifyThrottle]

    @extend_schema(
        operation_id="signing_verify",
        summary="Kiểm tra chữ ký số của tệp PDF",
        description="Tải lên một tệp PDF; trả về từng chữ ký: người ký, cơ quan, tổ chức cấp "
        "chứng thư, thời điểm ký, tài liệu còn nguyên vẹn hay bị thay đổi sau khi ký, chứng "
        "thư tin cậy/hết hạn/bị thu hồi, phần tệp được chữ ký bao trùm. Không cần đăng nhập.",
        request={"multipart/form-data": serializers.PdfUploadSerializer},
        responses={200: serializers.VerifyResultSerializer, **ERRORS},
        tags=["signing"],
    )
    def post(self, request: Request) -> Response:
        pdf = read_pdf_upload(request.FILES.get("file"), conf.verify_max_bytes())
        reports = selectors.verify_pdf(pdf)
        return Response(
            {
                "file_sha256": hashlib.sha256(pdf).hexdigest(),
                "file_bytes": len(pdf),
                "count": len(reports),
                "signatures": [r.as_dict() for r in reports],
            }
        )


class RemotePrepareView(APIView):
    permission_classes = [IsAuthenticated]
    parser_classes = [MultiPartParser]

    @extend_schema(
        operation_id="signing_remote_prepare",
        summary="Chuẩn bị ký bằng USB token",
        description="Máy chủ gắn trường chữ ký (có hình thức hiển thị) vào tệp, tính giá trị "
        "băm cần ký và trả về phiên ký. Ứng dụng trên máy người ký ký `digest_b64` bằng khóa "
        "của token rồi gửi về `/remote/{session_id}/complete`.",
        request={"multipart/form-data": serializers.RemotePrepareSerializer},
        responses={200: serializers.RemotePreparedSerializer, **ERRORS},
        tags=["signing"],
    )
    def post(self, request: Request) -> Response:
        pdf = read_pdf_upload(request.FILES.get("file"), conf.sign_max_bytes())
        body = serializers.RemotePrepareSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        result = services.prepare_remote_signing(
            pdf=pdf,
            user=request.user,
            certificate=data["certificate"],
            reason=data["reason"],
            location=data["location"],
        )
        return Response(result)


class RemoteCompleteView(APIView):
    permission_classes = [IsAuthenticated]
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="signing_remote_complete",
        summary="Hoàn tất ký bằng USB token",
        description="Gửi chữ ký thô do token tạo và chứng thư; máy chủ kiểm tra chữ ký khớp "
        "giá trị băm và chứng thư được tin cậy, rồi nhúng chữ ký vào tệp.",
        request=serializers.RemoteCompleteSerializer,
        responses={
            200: serializers.RemoteCompletedSerializer,
            400: OpenApiResponse(
                ApiErrorSerializer,
                description="`signature_mismatch`, `certificate_mismatch`, `invalid_certificate`",
            ),
            404: OpenApiResponse(ApiErrorSerializer, description="`signing_session_not_found`"),
        },
        tags=["signing"],
    )
    def post(self, request: Request, session_id: str) -> Response:
        body = serializers.RemoteCompleteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            signature = base64.b64decode(body.validated_data["signature_b64"], validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ValidationFailed(
                "Chữ ký không đúng định dạng base64.", code="invalid_signature_encoding"
            ) from exc
        pdf = services.complete_remote_signing(
            session_id=str(session_id),
            user=request.user,
            signature=signature,
            certificate=body.validated_data["certificate"],
        )
        return Response(
            {
                "session_id": str(session_id),
                "sha256": hashlib.sha256(pdf).hexdigest(),
                "pdf_b64": base64.b64encode(pdf).decode(),
            }
        )


class MyCertificatesView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="signing_my_certificates",
        summary="Chứng thư số của tôi",
        responses={200: serializers.CertificateSerializer(many=True)},
        tags=["signing"],
    )
    def get(self, request: Request) -> Response:
        rows = selectors.certificates_of(user=request.user)
        return Response(serializers.CertificateSerializer(rows, many=True).data)
