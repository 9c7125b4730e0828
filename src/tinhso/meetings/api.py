"""REST endpoints of paperless meetings (/api/v1/meetings/...). Thin: parse, call a
service or selector, serialise. Tablets and the room screen use them; so does the voting
benchmark (300 members voting at once)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from tinhso.accounts.rules import can
from tinhso.core.api import ApiErrorSerializer, query
from tinhso.core.errors import NotFound, ValidationFailed
from tinhso.core.pagination import limit_field, offset_field
from tinhso.meetings import selectors, services
from tinhso.meetings.errors import MeetingErrorCode as E
from tinhso.meetings.models import Meeting, Paper, Vote


class MeetingRowSerializer(serializers.ModelSerializer):
    body = serializers.CharField(source="body.name", read_only=True)
    chair = serializers.CharField(source="chair.__str__", read_only=True)
    status = serializers.CharField(read_only=True, help_text="draft|invited|in_progress|closed")

    class Meta:
        model = Meeting
        fields = ["uid", "title", "body", "chair", "starts_at", "ends_at", "room", "status"]


class PaperSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = Paper
        fields = ["uid", "title", "is_draft", "members_only", "sha256", "size", "url"]

    def get_url(self, obj: Paper) -> str:
        return f"/meetings/papers/{obj.uid}/file.pdf"


class OptionSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()


class VoteSerializer(serializers.ModelSerializer):
    kind = serializers.CharField(read_only=True, help_text="named|secret")
    method = serializers.CharField(read_only=True, help_text="yna|options")
    state = serializers.CharField(read_only=True, help_text="draft|open|closed")
    options = serializers.SerializerMethodField()
    progress = serializers.SerializerMethodField()
    has_voted = serializers.SerializerMethodField()
    result = serializers.SerializerMethodField()

    class Meta:
        model = Vote
        fields = [
            "uid",
            "question",
            "kind",
            "method",
            "state",
            "options",
            "members_count",
            "present_count",
            "opened_at",
            "closed_at",
            "progress",
            "has_voted",
            "passed",
            "result",
        ]

    def get_options(self, obj: Vote) -> list[dict[str, str]]:
        return [{"code": o.code, "label": o.label} for o in obj.options.all()]

    def get_progress(self, obj: Vote) -> dict[str, int]:
        return selectors.vote_progress(obj)

    def get_has_voted(self, obj: Vote) -> bool | None:
        """true/false for an entitled voter; null for anyone else."""
        return selectors.has_voted(obj, self.context["request"].user)

    def get_result(self, obj: Vote) -> dict[str, Any] | None:
        """Counts per option, base, threshold, outcome — once the vote is closed."""
        return obj.result if obj.state == Vote.State.CLOSED else None


class MeetingDetailSerializer(MeetingRowSerializer):
    online_link = serializers.CharField(read_only=True)
    agenda = serializers.SerializerMethodField()
    votes = serializers.SerializerMethodField()

    class Meta(MeetingRowSerializer.Meta):
        fields = [*MeetingRowSerializer.Meta.fields, "online_link", "agenda", "votes"]

    def get_agenda(self, obj: Meeting) -> list[dict[str, Any]]:
        papers = selectors.visible_papers(self.context["request"].user, obj)
        return [
            {
                "order": item.order,
                "title": item.title,
                "presenter": str(item.presenter) if item.presenter_id else None,
                "duration_minutes": item.duration_minutes,
                "current": obj.current_item_id == item.pk,
                "papers": PaperSerializer(
                    [p for p in papers if p.item_id == item.pk], many=True
                ).data,
            }
            for item in obj.items.select_related("presenter")
        ]

    def get_votes(self, obj: Meeting) -> list[dict[str, Any]]:
        return VoteSerializer(
            obj.votes.prefetch_related("options"), many=True, context=self.context
        ).data


class ListQuery(serializers.Serializer):
    limit = limit_field()
    offset = offset_field()


BallotInput = inline_serializer(
    name="MeetingBallotInput",
    fields={"option": serializers.CharField(max_length=20, help_text="yes|no|abstain or o1, o2…")},
)
Accepted = inline_serializer(
    name="MeetingBallotAccepted", fields={"counted": serializers.BooleanField()}
)
ERRORS = {
    400: ApiErrorSerializer,
    403: ApiErrorSerializer,
    404: ApiErrorSerializer,
    409: ApiErrorSerializer,
}


class MeetingListView(APIView):
    @extend_schema(
        operation_id="meetings_list",
        parameters=[ListQuery],
        responses=inline_serializer(
            name="MeetingPage",
            fields={
                "count": serializers.IntegerField(),
                "results": MeetingRowSerializer(many=True),
            },
        ),
        summary="Cuộc họp của tôi (mới nhất trước)",
    )
    def get(self, request: Request) -> Response:
        params = query(ListQuery, request)  # `invalid_pagination` first, as on every list
        limit, offset = params["limit"], params["offset"]
        qs = selectors.my_meetings(request.user)
        rows = qs[offset : offset + limit]
        return Response(
            {"count": qs.count(), "results": MeetingRowSerializer(rows, many=True).data}
        )


class MeetingDetailView(APIView):
    @extend_schema(
        operation_id="meetings_retrieve",
        responses={200: MeetingDetailSerializer, 404: ApiErrorSerializer},
        summary="Một cuộc họp: chương trình, tài liệu được xem, biểu quyết",
    )
    def get(self, request: Request, uid) -> Response:
        meeting = selectors.get_meeting(request.user, uid)
        return Response(MeetingDetailSerializer(meeting, context={"request": request}).data)


class VoteView(APIView):
    @extend_schema(
        operation_id="meetings_vote_retrieve",
        responses={200: VoteSerializer, 404: ApiErrorSerializer},
        summary="Một biểu quyết: tiến độ, và kết quả khi đã kết thúc",
    )
    def get(self, request: Request, uid) -> Response:
        vote = selectors.get_vote(request.user, uid)
        return Response(VoteSerializer(vote, context={"request": request}).data)


class BallotView(APIView):
    @extend_schema(
        operation_id="meetings_vote_ballot",
        request=BallotInput,
        responses={201: Accepted, **ERRORS},
        summary="Biểu quyết (một lần; phiếu kín không lưu ai chọn gì)",
    )
    def post(self, request: Request, uid) -> Response:
        # The service finds the vote, checks who may vote (one place, one answer) and
        # counts, in one transaction of four statements: no second lookup or check here.
        option = request.data.get("option") if hasattr(request.data, "get") else None
        if not isinstance(option, str) or not option:
            if not Vote.objects.filter(uid=uid).exists():
                raise NotFound("Không tìm thấy biểu quyết.")
            raise ValidationFailed("Vui lòng chọn phương án.", code=E.VOTE_UNKNOWN_OPTION)
        services.cast_ballot(actor=request.user, vote_uid=uid, option=option)
        return Response({"counted": True}, status=201)


class VoteControlView(APIView):
    action = ""

    @extend_schema(request=None, responses={200: VoteSerializer, **ERRORS})
    def post(self, request: Request, uid) -> Response:
        vote = selectors.get_vote(request.user, uid)
        if not can(request.user, "meetings.manage", vote.meeting):
            from tinhso.core.errors import PermissionDenied

            raise PermissionDenied("Chỉ thư ký và chủ trì cuộc họp mở, kết thúc biểu quyết.")
        fn = services.open_vote if self.action == "open" else services.close_vote
        vote = fn(actor=request.user, vote=vote)
        return Response(VoteSerializer(vote, context={"request": request}).data)


class OpenVoteView(VoteControlView):
    action = "open"

    @extend_schema(
        operation_id="meetings_vote_open",
        request=None,
        responses={200: VoteSerializer, **ERRORS},
        summary="Mở biểu quyết (chốt danh sách người được biểu quyết, kiểm tra số có mặt)",
    )
    def post(self, request: Request, uid) -> Response:
        return super().post(request, uid)


class CloseVoteView(VoteControlView):
    action = "close"

    @extend_schema(
        operation_id="meetings_vote_close",
        request=None,
        responses={200: VoteSerializer, **ERRORS},
        summary="Kết thúc biểu quyết, kiểm phiếu và công bố kết quả",
    )
    def post(self, request: Request, uid) -> Response:
        return super().post(request, uid)
