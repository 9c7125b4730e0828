"""DRF serializers of the one-stop API (read shapes and action inputs)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from tinhso.core.api import column_integer, column_text
from tinhso.core.dates import RANGE_TEXT, DateField
from tinhso.onestop.models import (
    PORTAL_STATUS,
    Channel,
    Dossier,
    DossierEvent,
    DossierFile,
    Field,
    Level,
    OnlineType,
    Payment,
    Procedure,
    ProcessStep,
    RequiredPaper,
    ReturnMethod,
    WalletItem,
)
from tinhso.onestop.selectors import QUEUES as QUEUE_NAMES


class FieldSerializer(serializers.ModelSerializer):
    class Meta:
        model = Field
        fields = ["code", "name"]


class OnestopAgencyRefSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class RequiredPaperSerializer(serializers.ModelSerializer):
    class Meta:
        model = RequiredPaper
        fields = [
            "id",
            "order",
            "name",
            "copies_original",
            "copies_copy",
            "is_required",
            "is_eform",
            "note",
            "template_name",
        ]


class ProcessStepSerializer(serializers.ModelSerializer):
    kind = serializers.CharField(read_only=True)
    role = serializers.CharField(read_only=True)
    agency = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = ProcessStep
        fields = ["order", "name", "kind", "role", "agency", "org_unit_name", "budget_days"]


class ProcedureListSerializer(serializers.ModelSerializer):
    online_type = serializers.CharField(read_only=True)
    field = FieldSerializer(read_only=True)
    agency = OnestopAgencyRefSerializer(read_only=True, allow_null=True)
    levels = serializers.ListField(child=serializers.CharField(), source="level_list")

    class Meta:
        model = Procedure
        fields = [
            "uid",
            "code",
            "name",
            "field",
            "levels",
            "agency",
            "processing_days",
            "fee_vnd",
            "online_type",
        ]


class ProcedureDetailSerializer(ProcedureListSerializer):
    papers = RequiredPaperSerializer(many=True, read_only=True)
    steps = serializers.SerializerMethodField()
    receiving_agency = OnestopAgencyRefSerializer(read_only=True, allow_null=True)

    class Meta(ProcedureListSerializer.Meta):
        fields = [
            *ProcedureListSerializer.Meta.fields,
            "receiving_agency",
            "processing_time_note",
            "fee_note",
            "sequence_description",
            "conditions",
            "applicant_description",
            "legal_basis",
            "result_description",
            "form_schema",
            "papers",
            "steps",
        ]

    def get_steps(self, obj: Procedure) -> list[dict]:
        template = obj.active_process()
        if template is None:
            return []
        return ProcessStepSerializer(template.steps.all(), many=True).data


class DossierFileSerializer(serializers.ModelSerializer):
    kind = serializers.CharField(read_only=True)

    class Meta:
        model = DossierFile
        fields = ["uid", "kind", "name", "original_name", "sha256", "size", "content_type"]


class DossierEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = DossierEvent
        fields = [
            "action",
            "at",
            "step_name",
            "from_name",
            "to_name",
            "state_after",
            "step_due_at",
            "on_time",
            "note",
        ]


class PaymentSerializer(serializers.ModelSerializer):
    purpose = serializers.CharField(read_only=True)
    status = serializers.CharField(read_only=True)

    class Meta:
        model = Payment
        fields = [
            "uid",
            "purpose",
            "amount_vnd",
            "provider",
            "status",
            "reference",
            "paid_at",
            "online",
            "receipt_series",
            "receipt_number",
        ]


class DossierListSerializer(serializers.ModelSerializer):
    state = serializers.CharField(read_only=True)
    channel = serializers.CharField(read_only=True)
    procedure_code = serializers.CharField(source="procedure.code")
    procedure_name = serializers.CharField(source="procedure.name")
    status = serializers.SerializerMethodField()
    status_label = serializers.SerializerMethodField()
    status_detail = serializers.SerializerMethodField()
    current_step = serializers.SerializerMethodField()
    tracking_code = serializers.CharField(read_only=True)
    receiving_agency = serializers.CharField(source="receiving_agency.code")

    class Meta:
        model = Dossier
        fields = [
            "uid",
            "code",
            "tracking_code",
            "procedure_code",
            "procedure_name",
            "state",
            "status",
            "status_label",
            "status_detail",
            "current_step",
            "channel",
            "applicant_name",
            "receiving_agency",
            "submitted_at",
            "received_at",
            "due_at",
            "version",
        ]

    def get_status(self, obj: Dossier) -> int:
        """National portal status code 1–10."""
        return PORTAL_STATUS[obj.state]

    def get_status_label(self, obj: Dossier) -> str:
        return obj.status_text.label

    def get_status_detail(self, obj: Dossier) -> str:
        """What tinhso's state adds to the national label ("" when nothing)."""
        return obj.status_text.detail

    def get_current_step(self, obj: Dossier) -> str:
        """The step being worked on ("" once finished or while waiting for reception)."""
        return obj.status_text.step


class DossierDetailSerializer(DossierListSerializer):
    timeliness = serializers.CharField(read_only=True)
    return_method = serializers.CharField(read_only=True)
    files = serializers.SerializerMethodField()
    events = DossierEventSerializer(many=True, read_only=True)
    payments = PaymentSerializer(many=True, read_only=True)
    agency = serializers.CharField(source="agency.code")
    handling_agency = serializers.CharField(
        source="handling_agency.code", default=None, read_only=True, allow_null=True
    )
    assignee = serializers.CharField(
        source="assignee.username", default=None, read_only=True, allow_null=True
    )
    supplements = serializers.SerializerMethodField()

    class Meta(DossierListSerializer.Meta):
        fields = [
            *DossierListSerializer.Meta.fields,
            "agency",
            "handling_agency",
            "assignee",
            "applicant_id_number",
            "applicant_phone",
            "applicant_email",
            "applicant_address",
            "form_data",
            "original_due_at",
            "extended_once",
            "clock_restarted",
            "result_at",
            "returned_at",
            "timeliness",
            "fee_vnd",
            "fee_paid",
            "return_method",
            "refusal_reasons",
            "stop_reasons",
            "files",
            "events",
            "payments",
            "supplements",
        ]

    @extend_schema_field(DossierFileSerializer(many=True))
    def get_files(self, obj: Dossier) -> list[dict]:
        """The files the caller may open: the applicant gets the result once returned."""
        from tinhso.onestop.selectors import visible_files

        request = self.context.get("request")
        user = getattr(request, "user", None)
        files = visible_files(obj, user) if user is not None else obj.files.none()
        return list(DossierFileSerializer(files, many=True).data)

    def get_supplements(self, obj: Dossier) -> list[dict]:
        return [
            {
                "stage": s.stage,
                "items": s.items,
                "note": s.note,
                "requested_at": s.requested_at,
                "answered_at": s.answered_at,
            }
            for s in obj.supplements.all()
        ]


class WalletItemSerializer(serializers.ModelSerializer):
    source = serializers.CharField(read_only=True)

    class Meta:
        model = WalletItem
        fields = ["uid", "name", "source", "original_name", "sha256", "size", "content_type"]


class LookupSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Mã hồ sơ (sau khi tiếp nhận), trước đó mã theo dõi")
    tracking_code = serializers.CharField(help_text="Mã theo dõi cấp khi nộp")
    procedure = serializers.CharField()
    status = serializers.IntegerField(help_text="Mã trạng thái Cổng DVC quốc gia (1–10)")
    status_label = serializers.CharField()
    status_detail = serializers.CharField()
    step = serializers.CharField()
    due_at = serializers.DateTimeField(allow_null=True)
    received_at = serializers.DateTimeField(allow_null=True)


# ---------------------------------------------------------------------------------------
# Inputs: bounded like the columns they fill (text length, integer range, date range)


@extend_schema_field(
    {
        "type": "object",
        "additionalProperties": {},
        "description": "Dữ liệu biểu mẫu điện tử: một đối tượng JSON (phần multipart dạng "
        "application/json)",
    }
)
class JsonObjectPart(serializers.CharField):
    """The e-form in a multipart body: an OpenAPI object part, sent as JSON text and
    parsed by the view (`tinhso.core.api.loads_json`)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_blank", True)
        kwargs.setdefault("max_length", 100_000)
        super().__init__(**kwargs)


class ProcedureQuerySerializer(serializers.Serializer):
    q = serializers.CharField(
        required=False, allow_blank=True, max_length=200, help_text="Tìm theo tên/mã, không dấu"
    )
    field = column_text(Field, "code", required=False, help_text="Mã lĩnh vực")
    agency = serializers.CharField(required=False, max_length=40, help_text="Mã cơ quan")
    level = serializers.ChoiceField(choices=Level.choices, required=False)
    online_type = serializers.ChoiceField(choices=OnlineType.choices, required=False)


class DossierQuerySerializer(serializers.Serializer):
    queue = serializers.ChoiceField(
        choices=list(QUEUE_NAMES), required=False, help_text="Hàng đợi của cán bộ"
    )


class LookupQuerySerializer(serializers.Serializer):
    code = serializers.CharField(max_length=40, help_text="Mã hồ sơ")
    secret = serializers.CharField(
        max_length=20, help_text="4 số cuối điện thoại hoặc số định danh của người nộp"
    )


class StatisticsQuerySerializer(serializers.Serializer):
    start = DateField(help_text=f"Từ ngày (YYYY-MM-DD, trong khoảng {RANGE_TEXT})")
    end = DateField(help_text=f"Đến ngày (YYYY-MM-DD, trong khoảng {RANGE_TEXT})")
    group_by = serializers.ChoiceField(
        choices=["agency", "field", "procedure", "receiving_agency"], required=False
    )
    agency = serializers.CharField(
        required=False, max_length=40, help_text="Mã cơ quan (kể cả cơ quan cấp dưới)"
    )


def _version():
    return column_integer(
        Dossier,
        "version",
        required=False,
        help_text="Phiên bản hồ sơ đã đọc (khóa lạc quan); 409 nếu đã đổi.",
    )


class VersionedInput(serializers.Serializer):
    version = _version()


class WalletPickSerializer(serializers.Serializer):
    paper = column_integer(RequiredPaper, "id", required=False, allow_null=True)
    item = serializers.UUIDField()


class OnestopSubmitSerializer(serializers.Serializer):
    """A dossier submitted as JSON: the e-form as an object, papers from the wallet."""

    procedure = column_text(Procedure, "code", help_text="Mã thủ tục, ví dụ 1.001193")
    agency = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=40,
        help_text="Mã cơ quan giải quyết (thủ tục không gắn cơ quan, ví dụ thủ tục cấp xã)",
    )
    form_data = serializers.DictField(required=False, help_text="Dữ liệu biểu mẫu điện tử")
    applicant_name = column_text(Dossier, "applicant_name", required=False, allow_blank=True)
    applicant_id_number = column_text(
        Dossier, "applicant_id_number", required=False, allow_blank=True
    )
    applicant_phone = column_text(Dossier, "applicant_phone", required=False, allow_blank=True)
    applicant_email = column_text(Dossier, "applicant_email", required=False, allow_blank=True)
    applicant_address = column_text(Dossier, "applicant_address", required=False, allow_blank=True)
    return_method = serializers.ChoiceField(
        choices=ReturnMethod.choices, required=False, default=ReturnMethod.ONLINE
    )
    postal_address = column_text(Dossier, "postal_address", required=False, allow_blank=True)
    wallet_items = WalletPickSerializer(many=True, required=False)


class OnestopSubmitUploadSerializer(OnestopSubmitSerializer):
    """A dossier submitted as multipart/form-data: the e-form as JSON text, uploaded
    papers in `files` or in `file_<id of the required paper>`."""

    form_data = JsonObjectPart()
    wallet_items = None  # type: ignore[assignment]  # JSON only
    files = serializers.ListField(
        child=serializers.FileField(),
        required=False,
        help_text="Tệp giấy tờ; hoặc trường file_<id thành phần hồ sơ>",
    )
    save_to_wallet = serializers.BooleanField(
        default=False, help_text="Lưu cả các tệp tải lên vào kho giấy tờ của người nộp"
    )


class PaperReceivedSerializer(serializers.Serializer):
    paper = column_integer(
        RequiredPaper, "id", min_value=1, help_text="id của thành phần hồ sơ (papers[].id)"
    )
    originals = serializers.IntegerField(min_value=0, max_value=99, default=1)
    copies = serializers.IntegerField(min_value=0, max_value=99, default=0)


class _CounterFields(serializers.Serializer):
    applicant_name = column_text(
        Dossier,
        "applicant_name",
        required=False,
        allow_blank=True,
        help_text="Để trống: lấy từ tờ khai điện tử",
    )
    channel = serializers.ChoiceField(
        choices=[Channel.COUNTER, Channel.POST], default=Channel.COUNTER
    )
    accept = serializers.BooleanField(default=True)
    fee_paid_cash = serializers.BooleanField(default=False)
    return_method = serializers.ChoiceField(
        choices=ReturnMethod.choices, required=False, default=ReturnMethod.COUNTER
    )


class OnestopCounterSerializer(_CounterFields, OnestopSubmitSerializer):
    papers_received = PaperReceivedSerializer(
        many=True,
        required=False,
        help_text="Giấy tờ công dân nộp tại quầy (số bản chính, bản sao); giấy tờ bắt buộc "
        "phải có trước khi tiếp nhận",
    )


class OnestopCounterUploadSerializer(_CounterFields, OnestopSubmitUploadSerializer):
    pass


class NoteInput(VersionedInput):
    note = serializers.CharField(required=False, allow_blank=True, default="")


class ReasonsInput(VersionedInput):
    reasons = serializers.CharField()


class SupplementInput(VersionedInput):
    items = serializers.ListField(
        child=serializers.CharField(max_length=500), min_length=1, max_length=100
    )
    note = serializers.CharField(required=False, allow_blank=True, default="")


class AnswerSupplementInput(VersionedInput):
    note = serializers.CharField(required=False, allow_blank=True, default="")
    form_data = serializers.DictField(required=False)
    wallet_items = WalletPickSerializer(many=True, required=False)


class AnswerSupplementUploadInput(VersionedInput):
    note = serializers.CharField(required=False, allow_blank=True, default="")
    form_data = JsonObjectPart()
    files = serializers.ListField(child=serializers.FileField(), required=False)


class AssignInput(VersionedInput):
    assignee = serializers.CharField(max_length=150, help_text="Tên đăng nhập người được giao")
    note = serializers.CharField(required=False, allow_blank=True, default="")


class ForwardInput(VersionedInput):
    to_user = serializers.CharField(
        required=False, allow_blank=True, max_length=150, help_text="Tên đăng nhập"
    )
    note = serializers.CharField(required=False, allow_blank=True, default="")


class SendBackInput(VersionedInput):
    note = serializers.CharField()
    to_step = column_integer(ProcessStep, "order", required=False, help_text="Thứ tự bước")


class ObligationInput(VersionedInput):
    amount_vnd = column_integer(Payment, "amount_vnd", min_value=1)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class PauseInput(VersionedInput):
    reason = serializers.CharField()


class ExtendInput(VersionedInput):
    new_due_date = DateField()
    reason = serializers.CharField()
    apology = serializers.CharField(required=False, allow_blank=True, default="")


class ApproveInput(VersionedInput):
    result_summary = serializers.CharField(required=False, allow_blank=True, default="")
    note = serializers.CharField(required=False, allow_blank=True, default="")
    signing = serializers.ChoiceField(
        choices=["certificate", "token"],
        required=False,
        default="certificate",
        help_text="Cách ký kết quả: certificate (chứng thư số do hệ thống quản lý: khóa trên "
        "máy chủ hoặc PKCS#11) hoặc token (USB token của người ký, sau prepare-signature)",
    )


class ResultInput(serializers.Serializer):
    file = serializers.FileField()
    name = column_text(DossierFile, "name", required=False, default="Kết quả giải quyết")


class ReturnInput(VersionedInput):
    method = serializers.ChoiceField(choices=ReturnMethod.choices, required=False)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class WithdrawInput(VersionedInput):
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class RateInput(serializers.Serializer):
    score = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class PayInput(serializers.Serializer):
    payment = serializers.UUIDField(required=False, help_text="Khoản cần thanh toán")
    return_url = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=2000
    )


class PayOutput(serializers.Serializer):
    payment = serializers.UUIDField()
    url = serializers.CharField()
    provider = serializers.CharField()


class CallbackOutput(serializers.Serializer):
    RspCode = serializers.CharField()
    Message = serializers.CharField()


class WalletUploadInput(serializers.Serializer):
    file = serializers.FileField()
    name = column_text(WalletItem, "name", required=False, allow_blank=True, default="")


class StatisticsRowSerializer(serializers.Serializer):
    key = serializers.IntegerField(allow_null=True)
    name = serializers.CharField(allow_null=True)
    code = serializers.CharField(allow_null=True)
    received = serializers.IntegerField()
    received_online = serializers.IntegerField()
    received_counter = serializers.IntegerField()
    received_post = serializers.IntegerField()
    online_full = serializers.IntegerField()
    online_partial = serializers.IntegerField()
    resolved = serializers.IntegerField()
    resolved_early = serializers.IntegerField()
    resolved_on_time = serializers.IntegerField()
    resolved_late = serializers.IntegerField()
    in_progress = serializers.IntegerField()
    in_progress_on_time = serializers.IntegerField()
    in_progress_overdue = serializers.IntegerField()
    withdrawn = serializers.IntegerField()
    refused = serializers.IntegerField()
    stopped = serializers.IntegerField()
    with_fee = serializers.IntegerField()
    paid_online = serializers.IntegerField()
    ratings = serializers.IntegerField()
    not_satisfied = serializers.IntegerField()
    online_share = serializers.FloatField(allow_null=True)
    online_full_share = serializers.FloatField(allow_null=True)
    online_partial_share = serializers.FloatField(allow_null=True)
    on_time_rate = serializers.FloatField(allow_null=True)
    online_payment_share = serializers.FloatField(allow_null=True)
    satisfaction_rate = serializers.FloatField(allow_null=True)
