"""Read queries of paperless meetings, used by pages, the API and the benchmarks."""

from __future__ import annotations

from typing import Any

from django.db.models import BooleanField as DbBoolean
from django.db.models import Case, Count, ExpressionWrapper, Q, QuerySet, When
from django.utils import timezone

from tinhso.accounts.models import Role
from tinhso.accounts.rules import can, is_platform_admin, visible_agency_filter
from tinhso.core.errors import NotFound
from tinhso.meetings.models import (
    Annotation,
    Body,
    DraftComment,
    FollowUpTask,
    Meeting,
    OpinionAnswer,
    OpinionRequest,
    Paper,
    Participant,
    SpeakerRequest,
    Vote,
)


def my_meetings(user: Any) -> QuerySet[Meeting]:
    """The meetings a person takes part in (or runs) — never anyone else's."""
    if not getattr(user, "is_authenticated", False):
        return Meeting.objects.none()
    mine = Q(participants__user_id=user.pk) | Q(secretary_id=user.pk) | Q(chair_id=user.pk)
    ids = Meeting.objects.filter(mine).values("pk")
    return (
        Meeting.objects.filter(pk__in=ids)
        .select_related("body", "agency", "chair")
        .order_by("-starts_at", "-id")
    )


def get_meeting(user: Any, uid: Any) -> Meeting:
    meeting = (
        Meeting.objects.select_related("body", "agency", "chair", "secretary")
        .filter(uid=uid)
        .first()
    )
    if meeting is None or not can(user, "meetings.view", meeting):
        raise NotFound("Không tìm thấy cuộc họp.")
    return meeting


def organiser_bodies(user: Any) -> QuerySet[Body]:
    if not getattr(user, "is_authenticated", False):
        return Body.objects.none()
    agencies = visible_agency_filter(user, {Role.LEADER, Role.CLERK, Role.SPECIALIST})
    from tinhso.directory.models import Agency

    return Body.objects.filter(agency__in=Agency.objects.filter(agencies)).select_related("agency")


def visible_papers(user: Any, meeting: Meeting) -> list[Paper]:
    """The meeting's papers this person may read: guests never see members-only ones."""
    papers = Paper.objects.filter(item__meeting=meeting).select_related("item")
    if not can(user, "meetings.manage", meeting):
        participant = meeting.participants.filter(user_id=user.pk).first()
        if participant is None:
            return []
        if participant.role == Participant.Role.GUEST:
            papers = papers.filter(members_only=False)
    return list(papers.order_by("item__order", "id"))


def get_paper(user: Any, uid: Any) -> Paper:
    paper = Paper.objects.select_related("item__meeting").filter(uid=uid).first()
    if paper is None or not can(user, "meetings.view_paper", paper):
        raise NotFound("Không tìm thấy tài liệu.")
    return paper


def my_annotations(user: Any, paper: Paper) -> QuerySet[Annotation]:
    return Annotation.objects.filter(paper=paper, author_id=user.pk)


def draft_comments(paper: Paper) -> QuerySet[DraftComment]:
    return DraftComment.objects.filter(paper=paper).select_related("author")


def speakers_waiting(meeting: Meeting) -> QuerySet[SpeakerRequest]:
    return meeting.speakers.filter(status=SpeakerRequest.Status.WAITING).select_related(
        "participant__user", "item"
    )


def get_vote(user: Any, uid: Any) -> Vote:
    vote = Vote.objects.select_related("meeting", "rule").filter(uid=uid).first()
    if vote is None or not can(user, "meetings.view", vote.meeting):
        raise NotFound("Không tìm thấy biểu quyết.")
    return vote


def has_voted(vote: Vote, user: Any) -> bool | None:
    """True/False for an entitled voter, None for someone not entitled."""
    row = vote.entitled.filter(user_id=user.pk).values_list("has_voted", flat=True).first()
    return row


def vote_progress(vote: Vote) -> dict[str, int]:
    counts = vote.entitled.aggregate(
        entitled=Count("id"), voted=Count("id", filter=Q(has_voted=True))
    )
    return {"entitled": counts["entitled"] or 0, "voted": counts["voted"] or 0}


def attendance(meeting: Meeting) -> dict[str, int]:
    rows = meeting.participants.aggregate(
        total=Count("id"),
        accepted=Count("id", filter=Q(response=Participant.Response.ACCEPTED)),
        declined=Count("id", filter=Q(response=Participant.Response.DECLINED)),
        delegated=Count("id", filter=Q(response=Participant.Response.DELEGATED)),
        pending=Count("id", filter=Q(response=Participant.Response.PENDING)),
        present=Count("id", filter=Q(checked_in_at__isnull=False)),
    )
    return {k: v or 0 for k, v in rows.items()}


def follow_up_tasks(user: Any, *, status: str | None = None) -> QuerySet[FollowUpTask]:
    """Tasks from conclusion notices: of the meetings a leader or clerk's agency held,
    assigned to their agency, or to them — overdue first."""
    today = timezone.localdate()
    qs = FollowUpTask.objects.select_related("meeting", "assignee_agency", "assignee")
    if not is_platform_admin(user):
        from tinhso.directory.models import Agency

        agencies = Agency.objects.filter(visible_agency_filter(user, {Role.LEADER, Role.CLERK}))
        qs = qs.filter(
            Q(meeting__agency__in=agencies)
            | Q(assignee_agency__in=agencies)
            | Q(assignee_id=user.pk)
            | Q(meeting__secretary_id=user.pk)
            | Q(meeting__chair_id=user.pk)
        ).distinct()
    if status:
        qs = qs.filter(status=status)
    return qs.annotate(
        is_overdue=ExpressionWrapper(
            Case(
                When(status=FollowUpTask.Status.OPEN, deadline__lt=today, then=True),
                default=False,
            ),
            output_field=DbBoolean(),
        )
    ).order_by("status", "deadline", "id")


def my_opinion_requests(user: Any) -> QuerySet[OpinionRequest]:
    return (
        OpinionRequest.objects.filter(Q(answers__member_id=user.pk) | Q(sender_id=user.pk))
        .distinct()
        .select_related("body", "sender")
        .order_by("-created_at", "-id")
    )


def get_opinion_request(user: Any, uid: Any) -> OpinionRequest:
    request = (
        OpinionRequest.objects.select_related("body__agency", "sender").filter(uid=uid).first()
    )
    if request is None:
        raise NotFound("Không tìm thấy phiếu lấy ý kiến.")
    allowed = (
        request.sender_id == user.pk
        or request.answers.filter(member_id=user.pk).exists()
        or can(user, "meetings.follow_up", request.body.agency)
    )
    if not allowed:
        raise NotFound("Không tìm thấy phiếu lấy ý kiến.")
    return request


def opinion_summary(request: OpinionRequest) -> dict[str, Any]:
    """For the chair: how many agreed, disagreed, commented or have not answered, and
    the comments."""
    answers = list(request.answers.select_related("member"))
    counts = {choice: 0 for choice in OpinionAnswer.Answer.values}
    for row in answers:
        counts[row.answer] += 1
    return {
        "total": len(answers),
        "counts": counts,
        "answered": len(answers) - counts[OpinionAnswer.Answer.PENDING],
        "comments": [row for row in answers if row.comment],
        "pending": [row.member for row in answers if row.answer == OpinionAnswer.Answer.PENDING],
        "answers": answers,
    }


def documents_to_issue(user: Any):
    """Meeting documents signed by the chair, waiting for a clerk of the agency."""
    from tinhso.directory.models import Agency
    from tinhso.meetings.models import MeetingDocument

    agencies = Agency.objects.filter(visible_agency_filter(user, {Role.CLERK}))
    return (
        MeetingDocument.objects.filter(meeting__agency__in=agencies, outgoing__status="signed")
        .select_related("meeting", "outgoing")
        .order_by("created_at", "id")
    )
