"""REST endpoints for official documents (/api/v1/documents/...). Thin: parse, call a
service or selector, serialise. Users are referred to by their `uid`, agencies by code,
org units by id."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from tinhso.accounts.rules import require
from tinhso.core.api import JSONParser, column_integer, column_text, query
from tinhso.core.dates import DateField
from tinhso.core.errors import ValidationFailed
from tinhso.core.files import attachment_response
from tinhso.core.pagination import limit_field, offset_field
from tinhso.documents import exports, selectors, services
from tinhso.documents.errors import DocumentErrorCode as E
from tinhso.documents.models import (
    DOC_TYPE_CHOICES,
    Assignment,
    Confidentiality,
    DocumentFile,
    IncomingDocument,
    OutgoingDocument,
    Urgency,
    WorkRecord,
)
from tinhso.documents.services.outgoing import parse_external

# ---------------------------------------------------------------------------------------
# References


def _user(uid: Any):
    from tinhso.accounts.models import User

    try:
        return User.objects.get(uid=uid, is_active=True)
    except (User.DoesNotExist, ValueError, TypeError, Exception):
        raise ValidationFailed(f"Không tìm thấy người dùng {uid}.", code=E.UNKNOWN_USER) from None


def _unit(pk: Any):
    from tinhso.directory.models import OrgUnit

    try:
        return OrgUnit.objects.get(pk=int(pk))
    except (OrgUnit.DoesNotExist, ValueError, TypeError):
        raise ValidationFailed(f"Không tìm thấy đơn vị {pk}.", code=E.UNKNOWN_UNIT) from None


def _agency(code: Any):
    from tinhso.directory.models import Agency

    try:
        return Agency.objects.get(code=str(code).strip().upper())
    except Agency.DoesNotExist:
        raise ValidationFailed(
            f"Không tìm thấy cơ quan mã {code}.", code=E.UNKNOWN_AGENCY
        ) from None


def _target(data: dict[str, Any]):
    if data.get("user"):
        return _user(data["user"])
    if data.get("unit"):
        return _unit(data["unit"])
    raise ValidationFailed("Chọn người (user) hoặc đơn vị (unit).", code=E.ASSIGNEE_REQUIRED)


def _valid(serializer_class, data) -> dict[str, Any]:
    serializer = serializer_class(data=data)
    if not serializer.is_valid():
        raise ValidationFailed(
            "Dữ liệu không hợp lệ.", code=E.VALIDATION_FAILED, details=serializer.errors
        )
    return serializer.validated_data


def _pdf_upload(upload) -> tuple[bytes, str]:
    if upload is None:
        raise ValidationFailed("Vui lòng tải lên tệp PDF.", code=E.PDF_REQUIRED)
    return upload.read(), upload.name


# ---------------------------------------------------------------------------------------
# Serializers


class DocumentFileSerializer(serializers.ModelSerializer):
    download = serializers.SerializerMethodField()
    role = serializers.CharField(
        read_only=True, help_text="main|attachment|draft|signed|sealed|note"
    )

    class Meta:
        model = DocumentFile
        fields = [
            "id",
            "role",
            "version",
            "name",
            "sha256",
            "size",
            "page_count",
            "created_at",
            "download",
        ]

    def get_download(self, obj: DocumentFile) -> str:
        return f"/api/v1/documents/files/{obj.pk}"


class DocumentAssignmentSerializer(serializers.ModelSerializer):
    assignee = serializers.UUIDField(
        source="assignee.uid", default=None, read_only=True, allow_null=True
    )
    assignee_name = serializers.CharField(source="assignee_label", read_only=True)
    unit = serializers.IntegerField(source="unit_id", default=None, read_only=True, allow_null=True)
    document = serializers.UUIDField(source="document.uid", read_only=True)
    overdue = serializers.SerializerMethodField()
    kind = serializers.CharField(read_only=True, help_text="lead|cooperate|info")
    status = serializers.CharField(read_only=True, help_text="pending|in_progress|done|forwarded")

    class Meta:
        model = Assignment
        fields = [
            "id",
            "document",
            "kind",
            "assignee",
            "assignee_name",
            "unit",
            "deadline",
            "status",
            "instruction",
            "result",
            "finished_at",
            "overdue",
        ]

    def get_overdue(self, obj: Assignment) -> bool:
        return bool(
            obj.deadline
            and obj.status in ("pending", "in_progress")
            and obj.deadline < timezone.localdate()
        )


class IncomingDocumentSerializer(serializers.ModelSerializer):
    agency = serializers.CharField(source="agency.code", read_only=True)
    sender_agency = serializers.CharField(
        source="sender_agency.code", default=None, read_only=True, allow_null=True
    )
    register_year = serializers.IntegerField(
        source="register.year", default=None, read_only=True, allow_null=True
    )
    status = serializers.CharField(
        read_only=True, help_text="pending (chờ vào sổ)|registered|in_progress|done"
    )
    source = serializers.CharField(read_only=True, help_text="paper|upload|internal|exchange")

    class Meta:
        model = IncomingDocument
        fields = [
            "uid",
            "agency",
            "arrival_number",
            "register_year",
            "arrived_at",
            "sender_agency",
            "sender_name",
            "number_notation",
            "issued_on",
            "doc_type",
            "subject",
            "urgency",
            "confidentiality",
            "page_count",
            "deadline",
            "status",
            "source",
        ]


class IncomingDocumentDetailSerializer(IncomingDocumentSerializer):
    files = DocumentFileSerializer(many=True, read_only=True)
    assignments = DocumentAssignmentSerializer(many=True, read_only=True)

    class Meta(IncomingDocumentSerializer.Meta):
        fields = [*IncomingDocumentSerializer.Meta.fields, "files", "assignments"]


class DocumentReviewStepSerializer(serializers.Serializer):
    round = serializers.IntegerField()
    order = serializers.IntegerField()
    reviewer = serializers.UUIDField(source="reviewer.uid")
    reviewer_name = serializers.CharField(source="reviewer.__str__")
    status = serializers.CharField()
    comment = serializers.CharField()
    decided_at = serializers.DateTimeField(allow_null=True)


class DocumentRecipientSerializer(serializers.Serializer):
    name = serializers.CharField()
    agency = serializers.CharField(source="agency.code", default=None, allow_null=True)
    external_code = serializers.CharField()
    status = serializers.CharField()


class OutgoingDocumentSerializer(serializers.ModelSerializer):
    agency = serializers.CharField(source="agency.code", read_only=True)
    drafter = serializers.UUIDField(source="drafter.uid", read_only=True)
    signer = serializers.UUIDField(
        source="signer.uid", default=None, read_only=True, allow_null=True
    )
    status = serializers.CharField(
        read_only=True,
        help_text="draft|in_review|reviewed|approved|signed|numbered|issued|dispatched",
    )

    class Meta:
        model = OutgoingDocument
        fields = [
            "uid",
            "agency",
            "drafter",
            "doc_type",
            "subject",
            "urgency",
            "confidentiality",
            "page_count",
            "status",
            "signer",
            "approved_at",
            "signed_at",
            "digitally_signed",
            "number",
            "number_notation",
            "issued_on",
            "sealed_at",
            "dispatched_at",
        ]


class OutgoingDocumentDetailSerializer(OutgoingDocumentSerializer):
    files = DocumentFileSerializer(many=True, read_only=True)
    review_steps = DocumentReviewStepSerializer(many=True, read_only=True)
    recipients = DocumentRecipientSerializer(many=True, read_only=True)

    class Meta(OutgoingDocumentSerializer.Meta):
        fields = [*OutgoingDocumentSerializer.Meta.fields, "files", "review_steps", "recipients"]


STATUS_CHOICES = sorted(set(IncomingDocument.Status.values) | set(OutgoingDocument.Status.values))


class DocumentSearchQuerySerializer(serializers.Serializer):
    q = serializers.CharField(
        required=False, allow_blank=True, max_length=200, help_text="từ khóa, có/không dấu"
    )
    doc_type = serializers.ChoiceField(choices=DOC_TYPE_CHOICES, required=False)
    agency = serializers.CharField(required=False, max_length=40, help_text="mã định danh cơ quan")
    register = column_integer(IncomingDocument, "register", required=False, min_value=1)
    date_from = DateField(required=False)
    date_to = DateField(required=False)
    status = serializers.ChoiceField(
        choices=STATUS_CHOICES, required=False, help_text="trạng thái văn bản"
    )
    limit = limit_field()
    offset = offset_field()


def _search(request: Request, kind: str) -> dict[str, Any]:
    params = query(DocumentSearchQuerySerializer, request)
    page = selectors.search_documents(
        user=request.user,
        q=params.get("q", ""),
        kind=kind,
        doc_type=params.get("doc_type"),
        agency=_agency(params["agency"]) if params.get("agency") else None,
        register=selectors.get_register(params["register"]) if params.get("register") else None,
        date_from=params.get("date_from"),
        date_to=params.get("date_to"),
        status=params.get("status"),
        limit=params["limit"],
        offset=params["offset"],
    )
    serializer = IncomingDocumentSerializer if kind == "incoming" else OutgoingDocumentSerializer
    return {
        "results": serializer(page.items, many=True).data,
        "has_more": page.has_more,
        "offset": page.offset,
        "limit": page.limit,
        "took_ms": page.took_ms,
    }


def _page_serializer(name: str, item) -> serializers.Serializer:
    return inline_serializer(
        name=name,
        fields={
            "results": item(many=True),
            "has_more": serializers.BooleanField(),
            "offset": serializers.IntegerField(),
            "limit": serializers.IntegerField(),
            "took_ms": serializers.FloatField(),
        },
    )


class RegisterIncomingDocumentSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="tệp PDF của văn bản (bản điện tử hoặc bản quét)")
    agency = serializers.CharField(max_length=40, help_text="mã định danh cơ quan nhận")
    sender_agency = serializers.CharField(
        required=False, allow_blank=True, max_length=40, help_text="mã cơ quan gửi trên nền tảng"
    )
    sender_name = column_text(
        IncomingDocument,
        "sender_name",
        required=False,
        allow_blank=True,
        help_text="cơ quan ban hành bên ngoài",
    )
    number_notation = column_text(IncomingDocument, "number_notation")
    issued_on = DateField()
    doc_type = serializers.ChoiceField(choices=DOC_TYPE_CHOICES)
    subject = serializers.CharField()
    urgency = serializers.ChoiceField(choices=Urgency.choices, default=Urgency.NORMAL)
    confidentiality = serializers.ChoiceField(
        choices=Confidentiality.choices, default=Confidentiality.NORMAL
    )
    page_count = column_integer(IncomingDocument, "page_count", required=False, min_value=1)
    deadline = DateField(required=False)
    source = serializers.ChoiceField(choices=["upload", "paper"], default="upload")
    allow_duplicate = serializers.BooleanField(default=False)


class IncomingListView(APIView):
    parser_classes = [MultiPartParser]

    @extend_schema(
        summary="Tìm kiếm văn bản đến",
        operation_id="documents_incoming_search",
        parameters=[DocumentSearchQuerySerializer],
        responses=_page_serializer("IncomingPage", IncomingDocumentSerializer),
    )
    def get(self, request: Request) -> Response:
        return Response(_search(request, "incoming"))

    @extend_schema(
        summary="Vào sổ văn bản đến (tải lên PDF)",
        request=RegisterIncomingDocumentSerializer,
        responses={201: IncomingDocumentDetailSerializer},
    )
    def post(self, request: Request) -> Response:
        data = _valid(RegisterIncomingDocumentSerializer, request.data)
        pdf, name = _pdf_upload(data["file"])
        document = services.register_incoming(
            actor=request.user,
            agency=_agency(data["agency"]),
            pdf=pdf,
            filename=name,
            sender_agency=_agency(data["sender_agency"]) if data.get("sender_agency") else None,
            sender_name=data.get("sender_name", ""),
            number_notation=data["number_notation"],
            issued_on=data["issued_on"],
            doc_type=data["doc_type"],
            subject=data["subject"],
            urgency=data["urgency"],
            confidentiality=data["confidentiality"],
            page_count=data.get("page_count"),
            deadline=data.get("deadline"),
            source=data["source"],
            allow_duplicate=data["allow_duplicate"],
        )
        return Response(IncomingDocumentDetailSerializer(document).data, status=201)


def _incoming_for(request: Request, uid) -> IncomingDocument:
    return selectors.incoming_for(request.user, uid)


def _outgoing_for(request: Request, uid) -> OutgoingDocument:
    return selectors.outgoing_for(request.user, uid)


class IncomingDetailView(APIView):
    @extend_schema(
        summary="Chi tiết văn bản đến (ghi nhận đã đọc)", responses=IncomingDocumentDetailSerializer
    )
    def get(self, request: Request, uid) -> Response:
        document = _incoming_for(request, uid)
        services.mark_read(user=request.user, incoming=document)
        return Response(IncomingDocumentDetailSerializer(document).data)


class IncomingAcceptView(APIView):
    @extend_schema(
        summary="Văn thư vào sổ văn bản điện tử nhận qua nền tảng",
        request=None,
        responses=IncomingDocumentDetailSerializer,
    )
    def post(self, request: Request, uid) -> Response:
        document = services.accept_incoming(
            actor=request.user, document=selectors.get_incoming(uid)
        )
        return Response(IncomingDocumentDetailSerializer(document).data)


class DocumentTargetSerializer(serializers.Serializer):
    user = serializers.UUIDField(required=False, help_text="uid người dùng")
    unit = column_integer(
        Assignment, "unit", required=False, min_value=1, help_text="id đơn vị trong cơ quan"
    )


class DocumentAssignSerializer(serializers.Serializer):
    lead = DocumentTargetSerializer()
    cooperate = DocumentTargetSerializer(many=True, required=False)
    info = DocumentTargetSerializer(many=True, required=False)
    deadline = DateField(required=False)
    instruction = serializers.CharField(required=False, allow_blank=True, default="")


class IncomingAssignView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        summary="Lãnh đạo phân công xử lý (chủ trì, phối hợp, để biết)",
        request=DocumentAssignSerializer,
        responses={201: DocumentAssignmentSerializer(many=True)},
    )
    def post(self, request: Request, uid) -> Response:
        data = _valid(DocumentAssignSerializer, request.data)
        created = services.assign_incoming(
            actor=request.user,
            document=selectors.get_incoming(uid),
            lead=_target(data["lead"]),
            cooperate=[_target(t) for t in data.get("cooperate", [])],
            info=[_target(t) for t in data.get("info", [])],
            deadline=data.get("deadline"),
            instruction=data.get("instruction", ""),
        )
        return Response(DocumentAssignmentSerializer(created, many=True).data, status=201)


class MyAssignmentsView(APIView):
    @extend_schema(
        summary="Việc được giao cho tôi (chưa xong)",
        responses=DocumentAssignmentSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        return Response(
            DocumentAssignmentSerializer(
                selectors.my_assignments(request.user)[:200], many=True
            ).data
        )


class DocumentNoteSerializer(serializers.Serializer):
    text = serializers.CharField(required=False, allow_blank=True, default="")


class DocumentNoteUploadSerializer(DocumentNoteSerializer):
    file = serializers.FileField(required=False, help_text="tệp PDF đính kèm")


class AssignmentNoteView(APIView):
    parser_classes = [JSONParser, MultiPartParser]

    @extend_schema(
        summary="Ghi ý kiến / đính kèm tệp khi xử lý",
        request={
            "application/json": DocumentNoteSerializer,
            "multipart/form-data": DocumentNoteUploadSerializer,
        },
        responses={201: DocumentAssignmentSerializer},
    )
    def post(self, request: Request, pk: int) -> Response:
        upload = (request.content_type or "").startswith("multipart/")
        data = _valid(
            DocumentNoteUploadSerializer if upload else DocumentNoteSerializer, request.data
        )
        pdf, name = (None, "")
        if data.get("file") is not None:
            pdf, name = _pdf_upload(data["file"])
        assignment = selectors.get_assignment(pk)
        services.add_note(
            actor=request.user, assignment=assignment, text=data["text"], pdf=pdf, filename=name
        )
        assignment.refresh_from_db()
        return Response(DocumentAssignmentSerializer(assignment).data, status=201)


class DocumentForwardSerializer(serializers.Serializer):
    to = DocumentTargetSerializer()
    instruction = serializers.CharField(required=False, allow_blank=True, default="")


class AssignmentForwardView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        summary="Chuyển tiếp phần việc trong cơ quan",
        request=DocumentForwardSerializer,
        responses={201: DocumentAssignmentSerializer},
    )
    def post(self, request: Request, pk: int) -> Response:
        data = _valid(DocumentForwardSerializer, request.data)
        new = services.forward_assignment(
            actor=request.user,
            assignment=selectors.get_assignment(pk),
            to=_target(data["to"]),
            instruction=data["instruction"],
        )
        return Response(DocumentAssignmentSerializer(new).data, status=201)


class DocumentFinishSerializer(serializers.Serializer):
    result = serializers.CharField(required=False, allow_blank=True, default="")


class AssignmentFinishView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        summary="Hoàn thành phần việc",
        request=DocumentFinishSerializer,
        responses=DocumentAssignmentSerializer,
    )
    def post(self, request: Request, pk: int) -> Response:
        data = _valid(DocumentFinishSerializer, request.data)
        done = services.finish_assignment(
            actor=request.user, assignment=selectors.get_assignment(pk), result=data["result"]
        )
        return Response(DocumentAssignmentSerializer(done).data)


# ---------------------------------------------------------------------------------------
# Outgoing


class DocumentDraftSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="tệp PDF dự thảo")
    agency = serializers.CharField(max_length=40, help_text="mã định danh cơ quan ban hành")
    doc_type = serializers.ChoiceField(choices=DOC_TYPE_CHOICES)
    subject = serializers.CharField()
    drafting_unit = column_integer(OutgoingDocument, "drafting_unit", required=False, min_value=1)
    urgency = serializers.ChoiceField(choices=Urgency.choices, default=Urgency.NORMAL)
    confidentiality = serializers.ChoiceField(
        choices=Confidentiality.choices, default=Confidentiality.NORMAL
    )
    recipients = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        default=list,
        help_text="nơi nhận trên nền tảng: mã định danh cơ quan (cần ít nhất một nơi nhận)",
    )
    external = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        default=list,
        help_text="nơi nhận bên ngoài, mỗi mục 'tên; mã định danh'",
    )
    in_reply_to = serializers.UUIDField(
        required=False, help_text="uid văn bản đến mà dự thảo này trả lời"
    )


class OutgoingListView(APIView):
    parser_classes = [MultiPartParser]

    @extend_schema(
        summary="Tìm kiếm văn bản đi",
        operation_id="documents_outgoing_search",
        parameters=[DocumentSearchQuerySerializer],
        responses=_page_serializer("OutgoingPage", OutgoingDocumentSerializer),
    )
    def get(self, request: Request) -> Response:
        return Response(_search(request, "outgoing"))

    @extend_schema(
        summary="Tạo dự thảo văn bản đi",
        request=DocumentDraftSerializer,
        responses={201: OutgoingDocumentDetailSerializer},
    )
    def post(self, request: Request) -> Response:
        data = _valid(DocumentDraftSerializer, request.data)
        pdf, name = _pdf_upload(data["file"])
        document = services.create_draft(
            actor=request.user,
            agency=_agency(data["agency"]),
            doc_type=data["doc_type"],
            subject=data["subject"],
            pdf=pdf,
            filename=name,
            drafting_unit=_unit(data["drafting_unit"]) if data.get("drafting_unit") else None,
            urgency=data["urgency"],
            confidentiality=data["confidentiality"],
            recipients=[_agency(code) for code in data["recipients"]],
            external_recipients=parse_external("\n".join(data["external"])),
            in_reply_to=(
                selectors.incoming_for(request.user, data["in_reply_to"])
                if data.get("in_reply_to")
                else None
            ),
        )
        return Response(OutgoingDocumentDetailSerializer(document).data, status=201)


class OutgoingDetailView(APIView):
    @extend_schema(summary="Chi tiết văn bản đi", responses=OutgoingDocumentDetailSerializer)
    def get(self, request: Request, uid) -> Response:
        document = _outgoing_for(request, uid)
        services.mark_read(user=request.user, outgoing=document)
        return Response(OutgoingDocumentDetailSerializer(document).data)


class DocumentVersionSerializer(serializers.Serializer):
    file = serializers.FileField()


class OutgoingVersionView(APIView):
    parser_classes = [MultiPartParser]

    @extend_schema(
        summary="Thêm phiên bản dự thảo",
        request=DocumentVersionSerializer,
        responses={201: DocumentFileSerializer},
    )
    def post(self, request: Request, uid) -> Response:
        data = _valid(DocumentVersionSerializer, request.data)
        pdf, name = _pdf_upload(data["file"])
        doc_file = services.add_draft_version(
            actor=request.user, document=selectors.get_outgoing(uid), pdf=pdf, filename=name
        )
        return Response(DocumentFileSerializer(doc_file).data, status=201)


class DocumentSubmitSerializer(serializers.Serializer):
    reviewers = serializers.ListField(child=serializers.UUIDField(), required=False, default=list)
    signer = serializers.UUIDField(help_text="uid lãnh đạo ký")


class DocumentReviewSerializer(serializers.Serializer):
    approve = serializers.BooleanField()
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class DocumentCommentSerializer(serializers.Serializer):
    comment = serializers.CharField()


class DocumentSignSerializer(serializers.Serializer):
    digital = serializers.BooleanField(default=True, help_text="false: ký tay trên bản giấy")


class DocumentDispatchExternalSerializer(serializers.Serializer):
    name = serializers.CharField()
    code = serializers.CharField(required=False, allow_blank=True, default="")


class DocumentDispatchSerializer(serializers.Serializer):
    agencies = serializers.ListField(child=serializers.CharField(), required=False, default=list)
    external = DocumentDispatchExternalSerializer(many=True, required=False, default=list)


def _outgoing_action(name: str, summary: str, request_serializer, call):
    """An APIView for one step of the outgoing flow."""

    class View(APIView):
        parser_classes = [JSONParser]

        @extend_schema(
            summary=summary,
            request=request_serializer,
            responses=OutgoingDocumentDetailSerializer,
            operation_id=f"documents_outgoing_{name}",
        )
        def post(self, request: Request, uid) -> Response:
            data = _valid(request_serializer, request.data) if request_serializer else {}
            document = selectors.get_outgoing(uid)
            call(request.user, document, data)
            return Response(OutgoingDocumentDetailSerializer(selectors.get_outgoing(uid)).data)

    View.__name__ = f"Outgoing{name.title()}View"
    return View


OutgoingSubmitView = _outgoing_action(
    "submit",
    "Gửi xem xét theo chuỗi người xem xét, rồi lãnh đạo ký",
    DocumentSubmitSerializer,
    lambda user, doc, d: services.submit_for_review(
        actor=user,
        document=doc,
        reviewers=[_user(u) for u in d["reviewers"]],
        signer=_user(d["signer"]),
    ),
)
OutgoingReviewView = _outgoing_action(
    "review",
    "Cho ý kiến xem xét (đồng ý / trả lại)",
    DocumentReviewSerializer,
    lambda user, doc, d: services.review_draft(
        actor=user, document=doc, approve=d["approve"], comment=d["comment"]
    ),
)
OutgoingApproveView = _outgoing_action(
    "approve",
    "Lãnh đạo duyệt",
    None,
    lambda user, doc, d: services.approve_outgoing(actor=user, document=doc),
)
OutgoingReturnView = _outgoing_action(
    "return",
    "Lãnh đạo trả lại dự thảo",
    DocumentCommentSerializer,
    lambda user, doc, d: services.return_to_drafter(actor=user, document=doc, comment=d["comment"]),
)
OutgoingSignView = _outgoing_action(
    "sign",
    "Lãnh đạo ký số",
    DocumentSignSerializer,
    lambda user, doc, d: services.sign_outgoing(actor=user, document=doc, digital=d["digital"]),
)
OutgoingNumberView = _outgoing_action(
    "number",
    "Văn thư cấp số, ký hiệu",
    None,
    lambda user, doc, d: services.number_outgoing(actor=user, document=doc),
)
OutgoingSealView = _outgoing_action(
    "seal",
    "Văn thư ký số cơ quan (đóng dấu)",
    None,
    lambda user, doc, d: services.seal_outgoing(actor=user, document=doc),
)
OutgoingDispatchView = _outgoing_action(
    "dispatch",
    "Phát hành: gửi cơ quan trên nền tảng, lập danh sách nơi nhận bên ngoài",
    DocumentDispatchSerializer,
    lambda user, doc, d: services.dispatch_outgoing(
        actor=user,
        document=doc,
        agencies=[_agency(c) for c in d["agencies"]],
        external=[(e["name"], e["code"]) for e in d["external"]],
    ),
)


# ---------------------------------------------------------------------------------------
# Files, workspace, registers, statistics, work records


class FileDownloadView(APIView):
    @extend_schema(
        summary="Tải tệp PDF của văn bản",
        responses={(200, "application/pdf"): OpenApiTypes.BINARY},
    )
    def get(self, request: Request, pk: int) -> HttpResponse:
        doc_file = selectors.file_for(request.user, pk)
        return attachment_response(
            services.read_file_bytes(doc_file), filename=f"{doc_file.sha256[:16]}.pdf"
        )


class WorkspaceView(APIView):
    @extend_schema(
        summary="Bàn làm việc: số việc đang chờ tôi",
        responses=inline_serializer(
            name="DocumentsWorkspace",
            fields={
                key: serializers.IntegerField()
                for key in [
                    "to_register",
                    "to_assign",
                    "to_handle",
                    "drafts",
                    "to_review",
                    "to_sign",
                    "to_number",
                    "overdue",
                ]
            },
        ),
    )
    def get(self, request: Request) -> Response:
        return Response(selectors.workspace(request.user).as_counts())


class DocumentRegisterSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    agency = serializers.CharField(source="agency.code")
    year = serializers.IntegerField()
    direction = serializers.CharField()
    series = serializers.CharField()
    last_number = serializers.IntegerField()
    title = serializers.CharField()


class RegisterQuerySerializer(serializers.Serializer):
    year = serializers.IntegerField(required=False, min_value=1900, max_value=2099)


class RegisterListView(APIView):
    @extend_schema(
        summary="Sổ văn bản đến/đi mà tôi được xem",
        parameters=[RegisterQuerySerializer],
        responses=DocumentRegisterSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        year_value = query(RegisterQuerySerializer, request).get("year")
        return Response(
            DocumentRegisterSerializer(
                selectors.registers_for(request.user, year_value), many=True
            ).data
        )


def _register_for(request: Request, pk) -> Any:
    register = selectors.register_visible_to(request.user, pk)
    return register


class RegisterExportView(APIView):
    @extend_schema(
        summary="In sổ (PDF khổ A4 ngang) hoặc xuất Excel (XLSX) theo mẫu phụ lục IV",
        responses={
            (200, "application/pdf"): OpenApiTypes.BINARY,
            (
                200,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ): OpenApiTypes.BINARY,
        },
    )
    def get(self, request: Request, pk: int, fmt: str) -> HttpResponse:
        register = _register_for(request, pk)
        name = f"so-{register.direction}-{register.year}-{register.agency.code}"
        if fmt == "pdf":
            response = HttpResponse(exports.register_pdf(register), content_type="application/pdf")
        else:
            response = HttpResponse(
                exports.register_xlsx(register),
                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            )
        response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
        return response


class DocumentStatisticsQuerySerializer(serializers.Serializer):
    date_from = DateField(required=False, help_text="từ ngày (mặc định 1/1 năm nay)")
    date_to = DateField(required=False, help_text="đến ngày (mặc định hôm nay)")
    agency = serializers.CharField(required=False, max_length=40)


class StatisticsView(APIView):
    @extend_schema(
        summary="Thống kê văn bản theo cơ quan và kỳ",
        parameters=[DocumentStatisticsQuerySerializer],
        responses=inline_serializer(
            name="DocumentStatistics",
            many=True,
            fields={
                "agency": serializers.CharField(),
                "agency_name": serializers.CharField(),
                "incoming": serializers.IntegerField(),
                "incoming_electronic_pct": serializers.FloatField(allow_null=True),
                "incoming_done": serializers.IntegerField(),
                "incoming_overdue": serializers.IntegerField(),
                "on_time_pct": serializers.FloatField(allow_null=True),
                "outgoing": serializers.IntegerField(),
                "outgoing_signed_pct": serializers.FloatField(allow_null=True),
                "outgoing_exchanged_pct": serializers.FloatField(allow_null=True),
            },
        ),
    )
    def get(self, request: Request) -> Response:
        params = query(DocumentStatisticsQuerySerializer, request)
        today = timezone.localdate()
        date_from = params.get("date_from") or today.replace(month=1, day=1)
        date_to = params.get("date_to") or today
        agencies = [
            a for a in selectors.office_agencies(request.user) if _can_stats(request.user, a)
        ]
        if params.get("agency"):
            agency = _agency(params["agency"])
            require(request.user, "documents.view_statistics", agency)
            agencies = [agency]
        rows = selectors.statistics(agencies=agencies, date_from=date_from, date_to=date_to)
        for row in rows:
            agency = row.pop("agency")
            row["agency"], row["agency_name"] = agency.code, agency.name
        return Response(rows)


def _can_stats(user, agency) -> bool:
    from tinhso.accounts.rules import can

    return can(user, "documents.view_statistics", agency)


class DocumentWorkRecordSerializer(serializers.ModelSerializer):
    agency = serializers.CharField(source="agency.code", read_only=True)
    owner = serializers.UUIDField(source="owner.uid", read_only=True)
    status = serializers.CharField(read_only=True, help_text="open|closed")

    class Meta:
        model = WorkRecord
        fields = ["uid", "agency", "code", "year", "title", "owner", "status", "closed_at"]


class DocumentWorkRecordCreateSerializer(serializers.Serializer):
    agency = serializers.CharField(max_length=40)
    title = column_text(WorkRecord, "title")


class WorkRecordListView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(summary="Hồ sơ công việc", responses=DocumentWorkRecordSerializer(many=True))
    def get(self, request: Request) -> Response:
        return Response(
            DocumentWorkRecordSerializer(
                selectors.work_records_for(request.user)[:200], many=True
            ).data
        )

    @extend_schema(
        summary="Lập hồ sơ công việc",
        request=DocumentWorkRecordCreateSerializer,
        responses={201: DocumentWorkRecordSerializer},
    )
    def post(self, request: Request) -> Response:
        data = _valid(DocumentWorkRecordCreateSerializer, request.data)
        work_record = services.create_work_record(
            actor=request.user, agency=_agency(data["agency"]), title=data["title"]
        )
        return Response(DocumentWorkRecordSerializer(work_record).data, status=201)


class DocumentFileItemSerializer(serializers.Serializer):
    incoming = serializers.UUIDField(required=False)
    outgoing = serializers.UUIDField(required=False)


class WorkRecordItemView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        summary="Đưa văn bản vào hồ sơ công việc",
        request=DocumentFileItemSerializer,
        responses={201: DocumentWorkRecordSerializer},
    )
    def post(self, request: Request, uid) -> Response:
        data = _valid(DocumentFileItemSerializer, request.data)
        work_record = selectors.get_work_record(uid)
        services.file_document(
            actor=request.user,
            work_record=work_record,
            incoming=selectors.get_incoming(data["incoming"]) if data.get("incoming") else None,
            outgoing=selectors.get_outgoing(data["outgoing"]) if data.get("outgoing") else None,
        )
        return Response(DocumentWorkRecordSerializer(work_record).data, status=201)


class WorkRecordCloseView(APIView):
    @extend_schema(
        summary="Đóng hồ sơ công việc", request=None, responses=DocumentWorkRecordSerializer
    )
    def post(self, request: Request, uid) -> Response:
        work_record = services.close_work_record(
            actor=request.user, work_record=selectors.get_work_record(uid)
        )
        return Response(DocumentWorkRecordSerializer(work_record).data)


__all__ = ["OpenApiResponse"]
