"""REST: the audit trail, with the same filters as the page (platform/agency admins)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers

from tinhso.accounts.rules import require
from tinhso.audit.errors import AuditErrorCode as E
from tinhso.audit.forms import TrailFilterForm
from tinhso.audit.labels import action_label
from tinhso.audit.models import AuditEntry
from tinhso.audit.selectors import trail_for
from tinhso.core.dates import DateField
from tinhso.core.errors import ValidationFailed


class AuditEntrySerializer(serializers.ModelSerializer):
    agency_code = serializers.CharField(
        source="agency.code", default=None, read_only=True, allow_null=True
    )
    action_label = serializers.SerializerMethodField(
        help_text="tên hành động bằng lời, theo ngôn ngữ của yêu cầu"
    )
    sealed = serializers.BooleanField(
        read_only=True,
        help_text="đã niêm phong vào chuỗi băm (seq, prev_hash, hash là null cho đến khi đó)",
    )

    class Meta:
        model = AuditEntry
        fields = [
            "id",
            "seq",
            "sealed",
            "created_at",
            "actor_id",
            "actor_name",
            "action",
            "action_label",
            "object_type",
            "object_id",
            "object_repr",
            "agency_id",
            "agency_code",
            "summary",
            "ip",
            "prev_hash",
            "hash",
        ]
        read_only_fields = fields

    def get_action_label(self, obj: AuditEntry) -> str:
        return action_label(obj.action)


class TrailQuerySerializer(serializers.Serializer):
    """The filters' shape (documented); the values are then read by the page's own form."""

    actor = serializers.CharField(
        required=False, max_length=150, help_text="tên đăng nhập hoặc họ tên (một phần)"
    )
    action = serializers.CharField(
        required=False,
        max_length=80,
        help_text="mã ('accounts.login_2fa'), tiền tố ('accounts.') hoặc vài chữ của tên hành động",
    )
    object = serializers.CharField(
        required=False, max_length=170, help_text="mã đối tượng, hoặc loại:mã"
    )
    agency = serializers.CharField(
        required=False, max_length=255, help_text="mã định danh hoặc tên cơ quan"
    )
    date_from = DateField(required=False, help_text="YYYY-MM-DD (giờ Việt Nam)")
    date_to = DateField(required=False, help_text="YYYY-MM-DD (giờ Việt Nam)")


@extend_schema(
    summary="Nhật ký hệ thống",
    description=(
        "Các bản ghi nhật ký mà người gọi được xem (quản trị nền tảng: tất cả; quản trị "
        "cơ quan: các cơ quan mình quản trị), mới nhất trước (theo thứ tự ghi). Bản ghi "
        "mới ghi chưa được niêm phong vào chuỗi băm (sealed=false; seq, prev_hash, hash "
        "là null) cho đến lần niêm phong kế tiếp (thường trong vòng một giây)."
    ),
    parameters=[TrailQuerySerializer],
)
class AuditEntryList(generics.ListAPIView):
    serializer_class = AuditEntrySerializer

    def get_queryset(self):
        require(self.request.user, "audit.view_trail")
        shape = TrailQuerySerializer(data=self.request.query_params.dict())
        form = TrailFilterForm(self.request.query_params)
        if not shape.is_valid() or not form.is_valid():
            fields = set(shape.errors) | set(form.errors)
            raise ValidationFailed(
                "Điều kiện lọc không hợp lệ (ngày theo dạng YYYY-MM-DD).",
                code=E.INVALID_DATE if {"date_from", "date_to"} & fields else E.INVALID_FILTER,
                details=shape.errors or form.errors.get_json_data(),
            )
        return trail_for(self.request.user, form.to_filter()).select_related("agency")
