"""REST endpoints of the service centre (thin: parse, call a service/selector, serialise).

GET  counter/centres/{code}/board/         the waiting-room board (public: screens, apps)
POST counter/centres/{code}/tickets/       take a ticket (public: a kiosk of another vendor)
GET  counter/tickets/{uid}/                a ticket's status (public: the QR code's id)
POST counter/desks/{uid}/call-next/        the officer at the counter calls next
POST counter/desks/{uid}/{action}/         recall, serve, finish, absent (the current ticket)
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from tinhso.core.api import ApiErrorSerializer
from tinhso.core.errors import NotFound
from tinhso.counter import selectors, services
from tinhso.counter.errors import CounterErrorCode as E
from tinhso.counter.models import Ticket
from tinhso.counter.views import kiosk_limit


class CallSerializer(serializers.Serializer):
    number = serializers.CharField()
    desk = serializers.IntegerField(allow_null=True)
    desk_name = serializers.CharField()
    called_at = serializers.DateTimeField(allow_null=True)
    state = serializers.CharField()


class QueueSerializer(serializers.Serializer):
    letter = serializers.CharField()
    name = serializers.CharField()
    waiting = serializers.IntegerField()
    next = serializers.ListField(child=serializers.CharField())
    open_desks = serializers.IntegerField()
    estimated_minutes = serializers.IntegerField(allow_null=True)


class BoardSerializer(serializers.Serializer):
    centre = serializers.CharField()
    at = serializers.DateTimeField()
    latest_call = serializers.CharField()
    calls = CallSerializer(many=True)
    queues = QueueSerializer(many=True)


class TicketSerializer(serializers.Serializer):
    uid = serializers.UUIDField()
    number = serializers.CharField(source="display")
    group = serializers.CharField(source="group.name")
    kind = serializers.ChoiceField(choices=Ticket.Kind.choices)
    state = serializers.ChoiceField(choices=Ticket.State.choices)
    issued_at = serializers.DateTimeField()
    called_at = serializers.DateTimeField(allow_null=True)
    desk = serializers.SerializerMethodField()
    ahead = serializers.SerializerMethodField()

    def get_desk(self, ticket: Ticket) -> int | None:
        return ticket.desk.number if ticket.desk_id and ticket.desk else None

    def get_ahead(self, ticket: Ticket) -> int:
        return selectors.position(ticket)


class TakeTicketSerializer(serializers.Serializer):
    group = serializers.CharField(max_length=2)
    purpose = serializers.ChoiceField(choices=Ticket.Purpose.choices, default="submit")
    priority_reason = serializers.ChoiceField(
        choices=Ticket.Priority.choices, required=False, allow_blank=True, default=""
    )
    id_number = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    dossier_code = serializers.CharField(
        max_length=40, required=False, allow_blank=True, default=""
    )
    request_key = serializers.CharField(
        max_length=40,
        required=False,
        allow_blank=True,
        default="",
        help_text="Khóa của lần chạm (8–40 ký tự): gửi lại cùng khóa trả về đúng số đã lấy.",
    )


class Board(APIView):
    """Bảng gọi số của phòng chờ: các số đang được gọi, hàng chờ từng nhóm, thời gian chờ
    dự kiến."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(tags=["counter"], responses=BoardSerializer)
    def get(self, request: Request, code: str) -> Response:
        centre = selectors.get_centre(code)
        return Response(BoardSerializer(selectors.board_dict(selectors.board(centre))).data)


class TakeTicket(APIView):
    """Lấy số thứ tự (ki-ốt)."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(
        tags=["counter"],
        request=TakeTicketSerializer,
        responses={201: TicketSerializer, 429: ApiErrorSerializer},  # kiosk_limit
    )
    def post(self, request: Request, code: str) -> Response:
        kiosk_limit(request)
        centre = selectors.get_centre(code)
        data = TakeTicketSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        params = data.validated_data
        group = selectors.groups(centre).filter(letter=params["group"]).first()
        if group is None:
            raise NotFound("Nhóm dịch vụ không tồn tại.", code=E.UNKNOWN_GROUP)
        ticket = services.take_ticket(
            centre=centre,
            group=group,
            purpose=params["purpose"],
            priority_reason=params["priority_reason"],
            id_number=params["id_number"],
            dossier_code=params["dossier_code"],
            request_key=params["request_key"],
        )
        return Response(TicketSerializer(ticket).data, status=201)


class TicketStatus(APIView):
    """Trạng thái một số thứ tự (mã trong QR của phiếu)."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(tags=["counter"], responses=TicketSerializer)
    def get(self, request: Request, uid: str) -> Response:
        return Response(TicketSerializer(selectors.ticket_by_uid(uid)).data)


class CallNext(APIView):
    """Quầy gọi số tiếp theo (cán bộ đang mở quầy)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(tags=["counter"], request=None, responses=TicketSerializer)
    def post(self, request: Request, uid: str) -> Response:
        desk = selectors.desk_by_uid(uid)
        ticket = services.call_next(officer=request.user, desk=desk)
        return Response(TicketSerializer(ticket).data)


DESK_ACTIONS = {
    "recall": services.recall,
    "serve": services.start_serving,
    "finish": services.finish,
    "absent": services.mark_absent,
}


class DeskAction(APIView):
    """Quầy thao tác với số đang phục vụ: gọi lại (recall), bắt đầu phục vụ (serve), kết
    thúc (finish), vắng mặt (absent)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(tags=["counter"], request=None, responses=TicketSerializer)
    def post(self, request: Request, uid: str, action: str) -> Response:
        desk = selectors.desk_by_uid(uid)
        ticket = DESK_ACTIONS[action](officer=request.user, desk=desk)
        return Response(TicketSerializer(ticket).data)
