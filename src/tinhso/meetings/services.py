"""Write use-cases of paperless meetings: one function per thing a person does.

Each runs in one transaction, checks permission (rules.py), writes the audit trail and
puts messages in the notify outbox (delivered after commit). Documents the meeting
produces (invitation GM, minutes BB, conclusion notice TB) are outgoing documents made,
signed, numbered and dispatched by `documents`' services.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.core.files.base import ContentFile
from django.db import connection, models, transaction
from django.db.models import F
from django.utils import timezone

from tinhso.accounts.rules import can, require
from tinhso.audit.services import record
from tinhso.core.errors import (
    Conflict,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from tinhso.core.files import sha256_of
from tinhso.core.text import clean_text
from tinhso.meetings.errors import MeetingErrorCode as E
from tinhso.meetings.models import (
    AgendaItem,
    Annotation,
    Body,
    DraftComment,
    EntitledVoter,
    FollowUpTask,
    Meeting,
    MeetingDocument,
    NamedBallot,
    OpinionAnswer,
    OpinionRequest,
    Paper,
    Participant,
    SpeakerRequest,
    Vote,
    VoteOption,
    VotingRule,
)

YNA_OPTIONS = [("yes", "Tán thành"), ("no", "Không tán thành"), ("abstain", "Không biểu quyết")]
MAX_TEXT = 20_000
REMIND_BEFORE = dt.timedelta(hours=24)


# ---------------------------------------------------------------------------------------
# Helpers


def _text(value: str | None, label: str, code: str, *, max_length: int = 500) -> str:
    value = clean_text((value or "").strip())
    if not value:
        raise ValidationFailed(f"Vui lòng nhập {label}.", code=code)
    if len(value) > max_length:
        raise ValidationFailed(
            f"{label.capitalize()} dài quá {max_length} ký tự.", code="text_too_long"
        )
    return value


def _long_text(value: str | None, label: str, code: str) -> str:
    value = clean_text((value or "").strip(), multiline=True)
    if not value:
        raise ValidationFailed(f"Vui lòng nhập {label}.", code=code)
    if len(value) > MAX_TEXT:
        raise ValidationFailed(f"{label.capitalize()} quá dài.", code="text_too_long")
    return value


def require_view(actor: Any, meeting: Meeting) -> None:
    """Whoever is not invited learns nothing: the same answer as for a wrong address."""
    if not can(actor, "meetings.view", meeting):
        raise NotFound("Không tìm thấy cuộc họp.")


def require_manage(actor: Any, meeting: Meeting) -> None:
    require_view(actor, meeting)
    require(
        actor,
        "meetings.manage",
        meeting,
        "Chỉ thư ký và chủ trì cuộc họp được thực hiện thao tác này.",
    )


def _lock(meeting: Meeting) -> Meeting:
    return Meeting.objects.select_for_update().select_related("agency", "body").get(pk=meeting.pk)


def _open(meeting: Meeting) -> None:
    if meeting.status == Meeting.Status.CLOSED:
        raise InvalidTransition("Cuộc họp đã kết thúc.", code=E.MEETING_CLOSED)


def participant_of(meeting: Meeting, user: Any) -> Participant | None:
    if user is None or not getattr(user, "pk", None):
        return None
    return Participant.objects.filter(meeting=meeting, user_id=user.pk).first()


def _require_participant(meeting: Meeting, user: Any) -> Participant:
    require_view(user, meeting)
    participant = participant_of(meeting, user)
    if participant is None:
        raise PermissionDenied(
            "Bạn không có tên trong thành phần cuộc họp.", code=E.NOT_A_PARTICIPANT
        )
    return participant


def _ref(obj: Any) -> str:
    return f"{obj._meta.label_lower}:{obj.uid}"


def notify(user: Any, template: str, context: dict[str, Any], obj: Any) -> None:
    """E-mail and SMS (notify_user) plus the chat channel (Zalo-style) to the same phone."""
    from tinhso.notify.models import Message
    from tinhso.notify.services import enqueue, notify_user

    context = {"user": user, **context}
    notify_user(user=user, template=template, context=context, related_object=_ref(obj))
    if getattr(user, "phone", ""):
        enqueue(
            channel=Message.Channel.CHAT,
            address=user.phone,
            template=template,
            context=context,
            recipient=user,
            related_object=_ref(obj),
        )


def _store_pdf(field_owner: Any, data: bytes, name: str) -> None:
    from tinhso.core.pdf import check_pdf

    check_pdf(data)
    content = ContentFile(data, name=name or "tai-lieu.pdf")
    field_owner.sha256 = sha256_of(content)
    if hasattr(field_owner, "size"):
        field_owner.size = len(data)
    target = field_owner.file if isinstance(field_owner, Paper) else field_owner.draft
    target.save(name or "tai-lieu.pdf", content, save=False)


# ---------------------------------------------------------------------------------------
# Bodies and their voting rules


@transaction.atomic
def create_body(*, actor: Any, agency: Any, name: str, members: Sequence[Any] = ()) -> Body:
    require(actor, "meetings.organise", agency)
    name = _text(name, "tên", E.TITLE_REQUIRED, max_length=255)
    body = Body.objects.create(agency=agency, name=name)
    body.members.set(members)
    record(
        actor=actor,
        action="meetings.create_body",
        obj=body,
        agency=agency,
        summary={"name": name, "members": [m.pk for m in members]},
        object_id=str(body.pk),
    )
    return body


@transaction.atomic
def add_voting_rule(
    *,
    actor: Any,
    body: Body,
    name: str,
    quorum: tuple[int, int, bool] = (1, 2, True),
    majority_base: str = VotingRule.Base.MEMBERS,
    majority: tuple[int, int, bool] = (1, 2, True),
    legal_basis: str = "",
    is_default: bool = False,
) -> VotingRule:
    """A quorum and majority rule of a body, e.g. quorum (1, 2, strict) = "more than half
    of all members"; majority base "present", (2, 3, not strict) = "at least two thirds of
    those present"."""
    require(actor, "meetings.organise", body.agency)
    name = _text(name, "tên quy tắc", E.VOTE_RULE_INVALID, max_length=120)
    for num, den, _strict in (quorum, majority):
        if not (0 < int(den) <= 100 and 0 <= int(num) <= int(den)):
            raise ValidationFailed(
                "Tỷ lệ phải là phân số từ 0 đến 1 (ví dụ 1/2, 2/3).", code=E.VOTE_RULE_INVALID
            )
    if majority_base not in VotingRule.Base.values:
        raise ValidationFailed("Cơ sở tính đa số không hợp lệ.", code=E.VOTE_RULE_INVALID)
    if is_default:
        body.rules.update(is_default=False)
    rule = VotingRule.objects.create(
        body=body,
        name=name,
        quorum_numerator=quorum[0],
        quorum_denominator=quorum[1],
        quorum_strict=quorum[2],
        majority_base=majority_base,
        majority_numerator=majority[0],
        majority_denominator=majority[1],
        majority_strict=majority[2],
        legal_basis=clean_text(legal_basis or "")[:500],
        is_default=is_default or not body.rules.exists(),
    )
    record(
        actor=actor,
        action="meetings.add_rule",
        obj=rule,
        agency=body.agency,
        summary=rule.snapshot(),
        object_id=str(rule.pk),
    )
    return rule


# ---------------------------------------------------------------------------------------
# Meetings


@transaction.atomic
def create_meeting(
    *,
    actor: Any,
    body: Body,
    title: str,
    starts_at: dt.datetime,
    chair: Any,
    members: Sequence[Any],
    guests: Sequence[Any] = (),
    ends_at: dt.datetime | None = None,
    room: str = "",
    online_link: str = "",
    secretary: Any = None,
) -> Meeting:
    """The secretary creates a meeting: the chair must be one of the members."""
    require(actor, "meetings.organise", body.agency)
    title = _text(title, "tên cuộc họp", E.TITLE_REQUIRED)
    if not members:
        raise ValidationFailed("Cuộc họp cần có thành viên dự họp.", code=E.NO_MEMBERS)
    ids = [p.pk for p in [*members, *guests]]
    if len(set(ids)) != len(ids):
        raise ValidationFailed(
            "Một người được chọn nhiều lần trong thành phần dự họp.", code=E.PERSON_REPEATED
        )
    if chair is None or chair.pk not in {m.pk for m in members}:
        raise ValidationFailed(
            "Người chủ trì phải là thành viên của cuộc họp.", code=E.CHAIR_NOT_MEMBER
        )
    if starts_at is None or (ends_at is not None and ends_at <= starts_at):
        raise ValidationFailed(
            "Thời gian kết thúc phải sau thời gian bắt đầu.", code=E.INVALID_TIME
        )
    online_link = (online_link or "").strip()
    if online_link and not online_link.startswith(("https://", "http://")):
        raise ValidationFailed(
            "Đường dẫn họp trực tuyến phải bắt đầu bằng https://.", code=E.INVALID_LINK
        )
    meeting = Meeting.objects.create(
        body=body,
        agency=body.agency,
        title=title,
        starts_at=starts_at,
        ends_at=ends_at,
        room=clean_text((room or "").strip())[:255],
        online_link=online_link[:500],
        chair=chair,
        secretary=secretary or actor,
    )
    Participant.objects.bulk_create(
        [
            Participant(
                meeting=meeting,
                user=m,
                role=Participant.Role.CHAIR if m.pk == chair.pk else Participant.Role.MEMBER,
            )
            for m in members
        ]
        + [Participant(meeting=meeting, user=g, role=Participant.Role.GUEST) for g in guests]
    )
    record(
        actor=actor,
        action="meetings.create",
        obj=meeting,
        agency=body.agency,
        summary={
            "title": title,
            "chair": chair.pk,
            "members": [m.pk for m in members],
            "guests": [g.pk for g in guests],
        },
    )
    return meeting


@transaction.atomic
def add_agenda_item(
    *,
    actor: Any,
    meeting: Meeting,
    title: str,
    presenter: Any = None,
    duration_minutes: int = 15,
) -> AgendaItem:
    meeting = _lock(meeting)
    require_manage(actor, meeting)
    _open(meeting)
    title = _text(title, "nội dung", E.TITLE_REQUIRED)
    try:
        duration = int(duration_minutes)
    except (TypeError, ValueError):
        duration = -1
    if not 1 <= duration <= 600:
        raise ValidationFailed("Thời lượng phải từ 1 đến 600 phút.", code=E.INVALID_DURATION)
    order = (meeting.items.order_by("-order").values_list("order", flat=True).first() or 0) + 1
    item = AgendaItem.objects.create(
        meeting=meeting, order=order, title=title, presenter=presenter, duration_minutes=duration
    )
    record(
        actor=actor,
        action="meetings.add_item",
        obj=meeting,
        agency=meeting.agency,
        summary={"order": order, "title": title, "minutes": duration},
    )
    return item


@transaction.atomic
def upload_paper(
    *,
    actor: Any,
    item: AgendaItem,
    title: str,
    pdf: bytes,
    filename: str = "tai-lieu.pdf",
    is_draft: bool = False,
    members_only: bool = False,
) -> Paper:
    meeting = _lock(item.meeting)
    require_manage(actor, meeting)
    _open(meeting)
    title = _text(title, "tên tài liệu", E.TITLE_REQUIRED)
    paper = Paper(
        item=item, title=title, is_draft=is_draft, members_only=members_only, added_by=actor
    )
    _store_pdf(paper, pdf, filename)
    paper.save()
    record(
        actor=actor,
        action="meetings.add_paper",
        obj=paper,
        agency=meeting.agency,
        summary={"meeting": str(meeting.uid), "title": title, "sha256": paper.sha256},
    )
    return paper


@transaction.atomic
def add_paper_from_document(
    *,
    actor: Any,
    item: AgendaItem,
    document: Any,
    is_draft: bool = False,
    members_only: bool = False,
) -> Paper:
    """A copy of a document's latest file (incoming or outgoing, one the secretary may
    read). Secret documents (Mật, Tối mật, Tuyệt mật) are never meeting papers."""
    from tinhso.documents.models import Confidentiality
    from tinhso.documents.services import read_file_bytes
    from tinhso.documents.services.common import require_visible

    meeting = _lock(item.meeting)
    require_manage(actor, meeting)
    _open(meeting)
    require_visible(actor, document)
    if document.confidentiality != Confidentiality.NORMAL:
        raise ValidationFailed(
            "Tài liệu mật không được đưa vào hệ thống họp không giấy.", code=E.PAPER_SECRET
        )
    latest = document.files.order_by("-version", "-id").first()
    if latest is None:
        raise ValidationFailed("Văn bản chưa có tệp.", code=E.PAPER_NO_FILE)
    title = f"{document.number_notation or 'Dự thảo'} — {document.subject}"[:500]
    paper = Paper(
        item=item,
        title=title,
        is_draft=is_draft,
        members_only=members_only,
        added_by=actor,
        source_document=str(document.uid),
    )
    _store_pdf(paper, read_file_bytes(latest), latest.name)
    paper.save()
    record(
        actor=actor,
        action="meetings.add_paper",
        obj=paper,
        agency=meeting.agency,
        summary={"meeting": str(meeting.uid), "document": str(document.uid)},
    )
    return paper


# ---------------------------------------------------------------------------------------
# Invitation, attendance


@transaction.atomic
def send_invitation(*, actor: Any, meeting: Meeting) -> MeetingDocument:
    """The invitation (giấy mời, GM) becomes an outgoing draft in `documents`, sent to the
    chair to sign; every participant is told now by e-mail, SMS and chat."""
    meeting = _lock(meeting)
    require_manage(actor, meeting)
    if meeting.status != Meeting.Status.DRAFT:
        raise InvalidTransition("Giấy mời đã được gửi.", code=E.DOCUMENT_EXISTS)
    local = timezone.localtime(meeting.starts_at)
    lines = [
        f"{meeting.body.name} trân trọng kính mời dự họp: {meeting.title}.",
        f"Thời gian: {local:%H giờ %M, ngày %d/%m/%Y}.",
        f"Địa điểm: {meeting.room or 'họp trực tuyến'}."
        + (f" Đường dẫn: {meeting.online_link}" if meeting.online_link else ""),
        "Chương trình: " + "; ".join(f"{i.order}. {i.title}" for i in meeting.items.all()) + ".",
        "Tài liệu họp được đăng tải trên hệ thống họp không giấy.",
    ]
    doc = _draft_document(
        actor=actor,
        meeting=meeting,
        kind=MeetingDocument.Kind.INVITATION,
        subject=f"Giấy mời họp: {meeting.title}"[:500],
        lines=lines,
    )
    meeting.status = Meeting.Status.INVITED
    meeting.save(update_fields=["status", "updated_at"])
    for participant in meeting.participants.select_related("user"):
        notify(
            participant.user,
            "meetings_invitation",
            {"meeting": meeting, "participant": participant},
            meeting,
        )
    record(
        actor=actor,
        action="meetings.send_invitation",
        obj=meeting,
        agency=meeting.agency,
        summary={"outgoing": str(doc.outgoing.uid), "participants": meeting.participants.count()},
    )
    return doc


@transaction.atomic
def respond(
    *,
    actor: Any,
    meeting: Meeting,
    response: str,
    note: str = "",
    delegate: Any = None,
) -> Participant:
    """A participant confirms, declines, or (a member) sends a delegate in their place."""
    meeting = _lock(meeting)
    participant = _require_participant(meeting, actor)
    _open(meeting)
    if response not in (
        Participant.Response.ACCEPTED,
        Participant.Response.DECLINED,
        Participant.Response.DELEGATED,
    ):
        raise ValidationFailed("Lựa chọn xác nhận không hợp lệ.", code=E.INVALID_RESPONSE)
    if participant.role == Participant.Role.DELEGATE and response == Participant.Response.DELEGATED:
        raise ValidationFailed("Người dự thay không cử tiếp người khác.", code=E.DELEGATE_INVALID)
    participant.delegates.all().delete()
    if response == Participant.Response.DELEGATED:
        if participant.role == Participant.Role.GUEST:
            raise ValidationFailed(
                "Khách mời không cử người dự thay.", code=E.GUEST_CANNOT_DELEGATE
            )
        if delegate is None:
            raise ValidationFailed("Vui lòng chọn người dự thay.", code=E.DELEGATE_REQUIRED)
        if delegate.pk == actor.pk or participant_of(meeting, delegate) is not None:
            raise ValidationFailed(
                "Người dự thay đã có tên trong thành phần cuộc họp.", code=E.DELEGATE_INVALID
            )
        Participant.objects.create(
            meeting=meeting,
            user=delegate,
            role=Participant.Role.DELEGATE,
            represents=participant,
            response=Participant.Response.ACCEPTED,
        )
        notify(
            delegate,
            "meetings_delegate",
            {"meeting": meeting, "member": actor},
            meeting,
        )
    participant.response = response
    participant.response_note = clean_text((note or "").strip())[:500]
    participant.save(update_fields=["response", "response_note"])
    record(
        actor=actor,
        action="meetings.respond",
        obj=meeting,
        agency=meeting.agency,
        summary={"response": response, "delegate": delegate.pk if delegate else None},
    )
    return participant


@transaction.atomic
def check_in(
    *, actor: Any, meeting: Meeting, participant: Participant | None = None, token: str = ""
) -> Participant:
    """At the door: a participant scans the room's QR code (its token checks them in), or
    the secretary checks someone in."""
    meeting = _lock(meeting)
    _open(meeting)
    if participant is None:
        participant = _require_participant(meeting, actor)
        if not token or token != meeting.checkin_token:
            raise ValidationFailed(
                "Mã QR điểm danh không đúng hoặc đã hết hạn.", code=E.CHECKIN_INVALID
            )
    else:
        require_manage(actor, meeting)
        if participant.meeting_id != meeting.pk:
            raise NotFound("Không tìm thấy người dự họp.")
    participant = Participant.objects.select_for_update().get(pk=participant.pk)
    if participant.checked_in_at is None:
        participant.checked_in_at = timezone.now()
        if participant.response == Participant.Response.PENDING:
            participant.response = Participant.Response.ACCEPTED
        participant.save(update_fields=["checked_in_at", "response"])
        record(
            actor=actor,
            action="meetings.check_in",
            obj=meeting,
            agency=meeting.agency,
            summary={"participant": participant.user_id, "by_qr": bool(token)},
        )
    return participant


# ---------------------------------------------------------------------------------------
# Running the meeting: agenda, speakers


@transaction.atomic
def start_meeting(*, actor: Any, meeting: Meeting) -> Meeting:
    meeting = _lock(meeting)
    require_manage(actor, meeting)
    _open(meeting)
    if meeting.status != Meeting.Status.IN_PROGRESS:
        meeting.status = Meeting.Status.IN_PROGRESS
        meeting.started_at = timezone.now()
        meeting.save(update_fields=["status", "started_at", "updated_at"])
        record(actor=actor, action="meetings.start", obj=meeting, agency=meeting.agency)
    return meeting


def _require_running(meeting: Meeting) -> None:
    _open(meeting)
    if meeting.status != Meeting.Status.IN_PROGRESS:
        raise InvalidTransition("Cuộc họp chưa bắt đầu.", code=E.MEETING_NOT_STARTED)


@transaction.atomic
def set_current_item(*, actor: Any, meeting: Meeting, item: AgendaItem) -> Meeting:
    """The room screen moves to `item`; its timer starts."""
    meeting = _lock(meeting)
    require_manage(actor, meeting)
    _require_running(meeting)
    if item.meeting_id != meeting.pk:
        raise NotFound("Không tìm thấy nội dung trong chương trình họp.")
    now = timezone.now()
    if meeting.current_item_id and meeting.current_item_id != item.pk:
        AgendaItem.objects.filter(pk=meeting.current_item_id, ended_at__isnull=True).update(
            ended_at=now
        )
    AgendaItem.objects.filter(pk=item.pk).update(started_at=now, ended_at=None)
    meeting.current_item = item
    meeting.current_speaker = None
    meeting.save(update_fields=["current_item", "current_speaker", "updated_at"])
    record(
        actor=actor,
        action="meetings.set_item",
        obj=meeting,
        agency=meeting.agency,
        summary={"item": item.order},
    )
    return meeting


@transaction.atomic
def register_to_speak(*, actor: Any, meeting: Meeting, topic: str = "") -> SpeakerRequest:
    meeting = _lock(meeting)
    participant = _require_participant(meeting, actor)
    _open(meeting)
    if SpeakerRequest.objects.filter(
        meeting=meeting, participant=participant, status=SpeakerRequest.Status.WAITING
    ).exists():
        raise Conflict(
            "Bạn đã đăng ký phát biểu, đang chờ đến lượt.", code=E.SPEAKER_ALREADY_WAITING
        )
    speaker = SpeakerRequest.objects.create(
        meeting=meeting,
        item=meeting.current_item,
        participant=participant,
        topic=clean_text((topic or "").strip())[:300],
    )
    record(
        actor=actor,
        action="meetings.register_to_speak",
        obj=meeting,
        agency=meeting.agency,
        summary={"item": meeting.current_item.order if meeting.current_item else None},
    )
    return speaker


@transaction.atomic
def give_floor(*, actor: Any, meeting: Meeting, speaker: SpeakerRequest | None) -> Meeting:
    """The chair gives the floor to the next speaker (ends the current speech); None ends
    the current speech only."""
    meeting = _lock(meeting)
    require_manage(actor, meeting)
    _require_running(meeting)
    now = timezone.now()
    SpeakerRequest.objects.filter(meeting=meeting, status=SpeakerRequest.Status.SPEAKING).update(
        status=SpeakerRequest.Status.DONE, ended_at=now
    )
    if speaker is not None:
        if speaker.meeting_id != meeting.pk or speaker.status != SpeakerRequest.Status.WAITING:
            raise NotFound("Không tìm thấy lượt đăng ký phát biểu.")
        speaker.status = SpeakerRequest.Status.SPEAKING
        speaker.started_at = now
        speaker.item = speaker.item or meeting.current_item
        speaker.save(update_fields=["status", "started_at", "item"])
    meeting.current_speaker = speaker
    meeting.save(update_fields=["current_speaker", "updated_at"])
    record(
        actor=actor,
        action="meetings.give_floor",
        obj=meeting,
        agency=meeting.agency,
        summary={"speaker": speaker.participant.user_id if speaker else None},
    )
    return meeting


@transaction.atomic
def close_meeting(*, actor: Any, meeting: Meeting) -> Meeting:
    """End the meeting; the minutes draft themselves (the secretary then edits them)."""
    from tinhso.meetings import minutes

    meeting = _lock(meeting)
    require_manage(actor, meeting)
    _open(meeting)
    if meeting.votes.filter(state=Vote.State.OPEN).exists():
        raise InvalidTransition(
            "Còn biểu quyết đang mở; kết thúc biểu quyết trước.", code=E.VOTE_ALREADY_OPEN
        )
    now = timezone.now()
    meeting.items.filter(started_at__isnull=False, ended_at__isnull=True).update(ended_at=now)
    meeting.speakers.filter(status=SpeakerRequest.Status.SPEAKING).update(
        status=SpeakerRequest.Status.DONE, ended_at=now
    )
    meeting.status = Meeting.Status.CLOSED
    meeting.closed_at = now
    meeting.current_speaker = None
    meeting.minutes_text = meeting.minutes_text or minutes.draft(meeting)
    meeting.save(
        update_fields=["status", "closed_at", "current_speaker", "minutes_text", "updated_at"]
    )
    record(actor=actor, action="meetings.close", obj=meeting, agency=meeting.agency)
    return meeting


# ---------------------------------------------------------------------------------------
# Papers: private annotations, comments on drafts


@transaction.atomic
def annotate(*, actor: Any, paper: Paper, text: str, page: int = 1) -> Annotation:
    if not can(actor, "meetings.view_paper", paper):
        raise NotFound("Không tìm thấy tài liệu.")
    text = _long_text(text, "ghi chú", E.TEXT_REQUIRED)
    try:
        page = max(1, min(int(page), 100_000))
    except (TypeError, ValueError):
        page = 1
    # Private: no audit entry carries the text, only that a note was written.
    return Annotation.objects.create(paper=paper, author=actor, page=page, text=text)


@transaction.atomic
def comment_on_draft(*, actor: Any, paper: Paper, text: str) -> DraftComment:
    if not can(actor, "meetings.view_paper", paper):
        raise NotFound("Không tìm thấy tài liệu.")
    if not paper.is_draft:
        raise ValidationFailed(
            "Chỉ góp ý vào tài liệu là dự thảo xin ý kiến.", code=E.PAPER_NOT_DRAFT
        )
    text = _long_text(text, "ý kiến góp ý", E.TEXT_REQUIRED)
    comment = DraftComment.objects.create(paper=paper, author=actor, text=text)
    meeting = paper.item.meeting
    record(
        actor=actor,
        action="meetings.comment_draft",
        obj=paper,
        agency=meeting.agency,
        summary={"meeting": str(meeting.uid), "length": len(text)},
    )
    return comment


# ---------------------------------------------------------------------------------------
# Votes


@transaction.atomic
def create_vote(
    *,
    actor: Any,
    meeting: Meeting,
    question: str,
    kind: str = Vote.Kind.NAMED,
    method: str = Vote.Method.YNA,
    options: Sequence[str] = (),
    rule: VotingRule | None = None,
    item: AgendaItem | None = None,
) -> Vote:
    meeting = _lock(meeting)
    require_manage(actor, meeting)
    _open(meeting)
    question = _text(question, "nội dung biểu quyết", E.VOTE_QUESTION_REQUIRED)
    if kind not in Vote.Kind.values:
        raise ValidationFailed("Hình thức biểu quyết không hợp lệ.", code=E.VOTE_INVALID_KIND)
    if method not in Vote.Method.values:
        raise ValidationFailed("Cách biểu quyết không hợp lệ.", code=E.VOTE_INVALID_METHOD)
    rule = rule or meeting.body.default_rule
    if rule is None or rule.body_id != meeting.body_id:
        raise ValidationFailed(
            "Cơ quan họp chưa có quy tắc biểu quyết (tỷ lệ có mặt, đa số).",
            code=E.VOTE_RULE_INVALID,
        )
    if item is not None and item.meeting_id != meeting.pk:
        raise NotFound("Không tìm thấy nội dung trong chương trình họp.")
    if method == Vote.Method.OPTIONS:
        labels = [clean_text(o.strip())[:300] for o in options if o and o.strip()]
        if len(labels) < 2 or len(set(labels)) != len(labels):
            raise ValidationFailed(
                "Cần ít nhất hai phương án khác nhau để lựa chọn.", code=E.VOTE_OPTIONS_REQUIRED
            )
        choices = [(f"o{i}", label) for i, label in enumerate(labels, start=1)]
    else:
        choices = YNA_OPTIONS
    vote = Vote.objects.create(
        meeting=meeting,
        item=item or meeting.current_item,
        question=question,
        kind=kind,
        method=method,
        rule=rule,
    )
    VoteOption.objects.bulk_create(
        [
            VoteOption(vote=vote, order=i, code=code, label=label)
            for i, (code, label) in enumerate(choices, start=1)
        ]
    )
    record(
        actor=actor,
        action="meetings.create_vote",
        obj=vote,
        agency=meeting.agency,
        summary={"question": question, "kind": kind, "method": method, "rule": rule.name},
    )
    return vote


def voting_seats(meeting: Meeting) -> list[tuple[Any, bool]]:
    """(user who holds the vote, present) for each voting member: the member, or the
    delegate they sent in their place."""
    participants = list(meeting.participants.select_related("user"))
    delegates = {p.represents_id: p for p in participants if p.role == Participant.Role.DELEGATE}
    seats = []
    for p in participants:
        if not p.is_voting_member:
            continue
        holder = delegates.get(p.pk) if p.response == Participant.Response.DELEGATED else None
        holder = holder or p
        seats.append((holder.user, holder.checked_in_at is not None))
    return seats


def _meets(count: int, base: int, num: int, den: int, strict: bool) -> bool:
    if base <= 0:
        return False
    return count * den > num * base if strict else count * den >= num * base


@transaction.atomic
def open_vote(*, actor: Any, vote: Vote) -> Vote:
    """Freeze the entitled voters (voting members present, or their delegates) and the
    rule; refuse without quorum."""
    vote = Vote.objects.select_for_update().select_related("meeting", "rule").get(pk=vote.pk)
    meeting = vote.meeting
    require_manage(actor, meeting)
    _require_running(meeting)
    if vote.state != Vote.State.DRAFT:
        raise InvalidTransition("Biểu quyết đã được mở.", code=E.VOTE_ALREADY_OPEN)
    if meeting.votes.filter(state=Vote.State.OPEN).exists():
        raise InvalidTransition(
            "Đang có một biểu quyết khác mở; kết thúc biểu quyết đó trước.",
            code=E.VOTE_ALREADY_OPEN,
        )
    seats = voting_seats(meeting)
    present = [user for user, here in seats if here]
    rule = vote.rule
    if not _meets(
        len(present),
        len(seats),
        rule.quorum_numerator,
        rule.quorum_denominator,
        rule.quorum_strict,
    ):
        raise InvalidTransition(
            f"Không đủ số thành viên có mặt để biểu quyết ({len(present)}/{len(seats)}; "
            f"quy tắc: {rule.name}).",
            code=E.NO_QUORUM,
        )
    EntitledVoter.objects.bulk_create([EntitledVoter(vote=vote, user=user) for user in present])
    vote.state = Vote.State.OPEN
    vote.opened_at = timezone.now()
    vote.members_count = len(seats)
    vote.present_count = len(present)
    vote.rule_snapshot = rule.snapshot()
    vote.save(
        update_fields=[
            "state",
            "opened_at",
            "members_count",
            "present_count",
            "rule_snapshot",
            "updated_at",
        ]
    )
    record(
        actor=actor,
        action="meetings.open_vote",
        obj=vote,
        agency=meeting.agency,
        summary={"members": len(seats), "present": len(present), "rule": rule.snapshot()},
    )
    return vote


_UID_FIELD = Vote._meta.get_field("uid")
assert isinstance(_UID_FIELD, models.UUIDField)  # noqa: S101 (narrows the type)


def _ballot_row(*, key: str, value: Any, option: str) -> tuple | None:
    """The vote's (id, uid, state, kind, question, meeting_id) and the chosen option's id,
    in one query. On PostgreSQL the vote row is held under a shared lock: ballots go in
    side by side, closing (FOR UPDATE) waits for those in flight and every later ballot
    sees the vote closed. SQLite runs one writing transaction at a time anyway."""
    vote_table = Vote._meta.db_table
    option_table = VoteOption._meta.db_table
    lock = " FOR SHARE OF v" if connection.vendor == "postgresql" else ""
    sql = (
        "SELECT v.id, v.uid, v.state, v.kind, v.question, v.meeting_id, o.id "  # noqa: S608
        f"FROM {vote_table} v LEFT JOIN {option_table} o ON o.vote_id = v.id AND o.code = %s "
        f"WHERE v.{key} = %s{lock}"
    )
    value = (Vote._meta.pk if key == "id" else _UID_FIELD).get_db_prep_value(value, connection)
    with connection.cursor() as cursor:
        cursor.execute(sql, [str(option or "")[:20], value])
        return cursor.fetchone()


def cast_vote(*, actor: Any, vote: Vote, option: str) -> None:
    """One ballot. Secret: the voter is marked as having voted and the option's counter
    goes up by one — nothing stores which voter chose what. Named: a ballot row too."""
    _cast(actor=actor, key="id", value=vote.pk, option=option, known=vote)


def cast_ballot(*, actor: Any, vote_uid: Any, option: str) -> None:
    """`cast_vote` for a vote known by its public id (the API: one query finds the vote,
    locks it and finds the option)."""
    _cast(actor=actor, key="uid", value=vote_uid, option=option, known=None)


@transaction.atomic
def _cast(*, actor: Any, key: str, value: Any, option: str, known: Vote | None) -> None:
    # The hot path (an entitled member's first ballot) is four statements in one
    # transaction: find and share-lock the vote with the option, mark the voter, write the
    # audit entry, count. The shared counter row goes last, so its row lock is held only
    # until the commit that follows at once.
    row = _ballot_row(key=key, value=value, option=option)
    if row is None:
        raise NotFound("Không tìm thấy biểu quyết.")
    vote_id, uid, state, kind, question, meeting_id, option_id = row
    uid = _UID_FIELD.to_python(uid)  # SQLite gives the hex string
    vote = known or Vote(
        id=vote_id, uid=uid, state=state, kind=kind, question=question, meeting_id=meeting_id
    )

    def outsider() -> bool:
        # Checked only on the way to an error: an entitled voter's ballot (the hot path)
        # is proved by the entitled-voter row itself; whoever may not see the meeting is
        # told the vote does not exist, whatever its state.
        return not can(actor, "meetings.view", vote.meeting)

    if state != Vote.State.OPEN and outsider():
        raise NotFound("Không tìm thấy biểu quyết.")
    if state == Vote.State.CLOSED:
        raise InvalidTransition("Biểu quyết đã kết thúc.", code=E.VOTE_CLOSED)
    if state != Vote.State.OPEN:
        raise InvalidTransition("Biểu quyết chưa được mở.", code=E.VOTE_NOT_OPEN)
    if option_id is None:
        if outsider():
            raise NotFound("Không tìm thấy biểu quyết.")
        raise ValidationFailed("Phương án biểu quyết không tồn tại.", code=E.VOTE_UNKNOWN_OPTION)
    with connection.cursor() as cursor:
        # The unique (vote, user) row is the proof of entitlement and the guard against a
        # second ballot: of two racing ballots, the second waits for the first's row lock
        # and then finds has_voted already true.
        cursor.execute(
            f"UPDATE {EntitledVoter._meta.db_table} SET has_voted = %s "  # noqa: S608
            "WHERE vote_id = %s AND user_id = %s AND NOT has_voted",
            [True, vote_id, actor.pk],
        )
        marked = cursor.rowcount
    if not marked:
        if EntitledVoter.objects.filter(vote_id=vote_id, user_id=actor.pk).exists():
            raise Conflict(
                "Bạn đã biểu quyết; mỗi người chỉ biểu quyết một lần.", code=E.VOTE_TWICE
            )
        if outsider():
            raise NotFound("Không tìm thấy biểu quyết.")
        raise PermissionDenied(
            "Bạn không có quyền biểu quyết (không thuộc thành viên có mặt khi mở biểu quyết).",
            code=E.VOTE_NOT_ENTITLED,
        )
    summary: dict[str, Any] = {"vote": str(uid)}
    if kind == Vote.Kind.NAMED:
        NamedBallot.objects.create(vote_id=vote_id, voter=actor, option_id=option_id)
        summary["option"] = str(option)[:20]
    record(
        actor=actor,
        action="meetings.cast_named" if kind == Vote.Kind.NAMED else "meetings.cast_secret",
        obj=vote,
        summary=summary,
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {VoteOption._meta.db_table} SET tally = tally + 1 WHERE id = %s",  # noqa: S608
            [option_id],
        )


def compute_result(vote: Vote) -> dict[str, Any]:
    """Counts, the base and threshold of the rule frozen at opening, and the outcome."""
    snap = vote.rule_snapshot or vote.rule.snapshot()
    options = list(vote.options.order_by("order"))
    counts = {o.code: o.tally for o in options}
    cast = sum(counts.values())
    num, den, strict = snap["majority"]
    base = {
        VotingRule.Base.MEMBERS: vote.members_count,
        VotingRule.Base.PRESENT: vote.present_count,
        VotingRule.Base.CAST: cast,
    }[snap["majority_base"]]
    if vote.method == Vote.Method.YNA:
        winner = "yes" if _meets(counts.get("yes", 0), base, num, den, strict) else None
    else:
        top = max(counts.values(), default=0)
        leaders = [code for code, n in counts.items() if n == top]
        winner = leaders[0] if len(leaders) == 1 and _meets(top, base, num, den, strict) else None
    return {
        "options": [{"code": o.code, "label": o.label, "count": o.tally} for o in options],
        "cast": cast,
        "members": vote.members_count,
        "present": vote.present_count,
        "not_voted": vote.present_count - cast,
        "base": base,
        "base_kind": snap["majority_base"],
        "threshold": f"{'>' if strict else '≥'} {num}/{den}",
        "rule": snap["name"],
        "legal_basis": snap.get("legal_basis", ""),
        "winner": winner,
        "passed": winner is not None,
    }


@transaction.atomic
def close_vote(*, actor: Any, vote: Vote) -> Vote:
    """Close, count and publish the result (room screen, minutes)."""
    vote = Vote.objects.select_for_update().select_related("meeting", "rule").get(pk=vote.pk)
    meeting = vote.meeting
    require_manage(actor, meeting)
    if vote.state != Vote.State.OPEN:
        raise InvalidTransition("Biểu quyết không ở trạng thái đang mở.", code=E.VOTE_NOT_OPEN)
    if vote.kind == Vote.Kind.SECRET:
        # Rewrite every row the ballots touched in this one transaction: on PostgreSQL
        # the last writer of a counter (xmin) would otherwise name the last voter for it.
        VoteOption.objects.filter(vote=vote).update(tally=F("tally"))
        EntitledVoter.objects.filter(vote=vote).update(has_voted=F("has_voted"))
    result = compute_result(vote)
    vote.state = Vote.State.CLOSED
    vote.closed_at = timezone.now()
    vote.cast_count = result["cast"]
    vote.passed = result["passed"]
    vote.result = result
    vote.save(update_fields=["state", "closed_at", "cast_count", "passed", "result", "updated_at"])
    record(
        actor=actor,
        action="meetings.close_vote",
        obj=vote,
        agency=meeting.agency,
        summary={"cast": result["cast"], "passed": result["passed"], "winner": result["winner"]},
    )
    return vote


# ---------------------------------------------------------------------------------------
# Documents produced by the meeting (through `documents`)

_TITLES: dict[str, str] = {
    MeetingDocument.Kind.INVITATION: "GIẤY MỜI",
    MeetingDocument.Kind.MINUTES: "BIÊN BẢN",
    MeetingDocument.Kind.CONCLUSION: "THÔNG BÁO KẾT LUẬN",
}


def _recipients(meeting: Meeting) -> tuple[list[Any], list[tuple[str, str]]]:
    """Nơi nhận: the agencies where the participants hold their posts (other than the
    issuing one); the participants themselves are reached through the outbox."""
    from tinhso.directory.models import Agency, Membership

    user_ids = meeting.participants.values_list("user_id", flat=True)
    agency_ids = (
        Membership.objects.filter(user_id__in=user_ids, ended_on__isnull=True)
        .exclude(agency_id=meeting.agency_id)
        .values_list("agency_id", flat=True)
        .distinct()
    )
    agencies = list(Agency.objects.filter(pk__in=list(agency_ids), status=Agency.Status.ACTIVE))
    external = [] if agencies else [("Thành phần dự họp (theo danh sách kèm theo)", "")]
    return agencies, external


def _draft_document(
    *, actor: Any, meeting: Meeting, kind: str, subject: str, lines: list[str]
) -> MeetingDocument:
    from tinhso.documents import services as documents
    from tinhso.documents.pdfs import render_document_pdf

    if MeetingDocument.objects.filter(meeting=meeting, kind=kind).exists():
        raise Conflict("Văn bản này của cuộc họp đã được lập.", code=E.DOCUMENT_EXISTS)
    pdf = render_document_pdf(
        agency_name=meeting.agency.name,
        title=_TITLES[kind],
        subject=subject,
        body=lines,
        signer_title="CHỦ TRÌ",
        signer_name=str(meeting.chair),
    )
    agencies, external = _recipients(meeting)
    outgoing = documents.create_draft(
        actor=actor,
        agency=meeting.agency,
        doc_type=str(kind),
        subject=subject,
        pdf=pdf,
        filename=f"{kind}-{meeting.uid}.pdf",
        recipients=agencies,
        external_recipients=external,
    )
    documents.submit_for_review(actor=actor, document=outgoing, signer=meeting.chair)
    outgoing.refresh_from_db()
    return MeetingDocument.objects.create(meeting=meeting, kind=kind, outgoing=outgoing)


def _meeting_document(meeting: Meeting, kind: str) -> MeetingDocument:
    doc = (
        MeetingDocument.objects.filter(meeting=meeting, kind=kind)
        .select_related("outgoing")
        .first()
    )
    if doc is None:
        raise InvalidTransition("Văn bản này của cuộc họp chưa được lập.", code=E.DOCUMENT_MISSING)
    return doc


@transaction.atomic
def edit_minutes(*, actor: Any, meeting: Meeting, text: str) -> Meeting:
    meeting = _lock(meeting)
    require_manage(actor, meeting)
    if MeetingDocument.objects.filter(meeting=meeting, kind=MeetingDocument.Kind.MINUTES).exists():
        raise InvalidTransition("Biên bản đã trình ký; không sửa được nữa.", code=E.DOCUMENT_EXISTS)
    meeting.minutes_text = _long_text(text, "nội dung biên bản", E.MINUTES_EMPTY)
    meeting.save(update_fields=["minutes_text", "updated_at"])
    record(actor=actor, action="meetings.edit_minutes", obj=meeting, agency=meeting.agency)
    return meeting


@transaction.atomic
def submit_minutes(*, actor: Any, meeting: Meeting) -> MeetingDocument:
    """The edited minutes become an outgoing BB draft sent to the chair to sign."""
    meeting = _lock(meeting)
    require_manage(actor, meeting)
    if meeting.status != Meeting.Status.CLOSED:
        raise InvalidTransition("Cuộc họp chưa kết thúc.", code=E.MEETING_NOT_STARTED)
    if not meeting.minutes_text.strip():
        raise ValidationFailed("Biên bản chưa có nội dung.", code=E.MINUTES_EMPTY)
    doc = _draft_document(
        actor=actor,
        meeting=meeting,
        kind=MeetingDocument.Kind.MINUTES,
        subject=f"Biên bản cuộc họp: {meeting.title}"[:500],
        lines=[line for line in meeting.minutes_text.splitlines() if line.strip()],
    )
    record(
        actor=actor,
        action="meetings.submit_minutes",
        obj=meeting,
        agency=meeting.agency,
        summary={"outgoing": str(doc.outgoing.uid)},
    )
    return doc


@transaction.atomic
def submit_conclusion(
    *,
    actor: Any,
    meeting: Meeting,
    text: str,
    tasks: Sequence[dict[str, Any]] = (),
) -> MeetingDocument:
    """The conclusion notice (TB) with the tasks it assigns, each followed up with its
    deadline (`tasks`: {"title", "agency", "assignee" (optional), "deadline"})."""
    meeting = _lock(meeting)
    require_manage(actor, meeting)
    if meeting.status != Meeting.Status.CLOSED:
        raise InvalidTransition("Cuộc họp chưa kết thúc.", code=E.MEETING_NOT_STARTED)
    text = _long_text(text, "nội dung kết luận", E.TEXT_REQUIRED)
    lines = [line for line in text.splitlines() if line.strip()]
    rows = []
    for n, task in enumerate(tasks, start=1):
        title = _text(task.get("title"), "nhiệm vụ", E.TEXT_REQUIRED)
        deadline = task.get("deadline")
        if not isinstance(deadline, dt.date):
            raise ValidationFailed("Nhiệm vụ cần có hạn hoàn thành.", code=E.TASK_DEADLINE_REQUIRED)
        agency = task.get("agency")
        if agency is None:
            raise ValidationFailed("Nhiệm vụ cần có cơ quan chủ trì.", code=E.TEXT_REQUIRED)
        rows.append((title, agency, task.get("assignee"), deadline))
        lines.append(f"Nhiệm vụ {n}: {title} — giao {agency.name}, hạn {deadline:%d/%m/%Y}.")
    meeting.conclusion_text = text
    meeting.save(update_fields=["conclusion_text", "updated_at"])
    doc = _draft_document(
        actor=actor,
        meeting=meeting,
        kind=MeetingDocument.Kind.CONCLUSION,
        subject=f"Thông báo kết luận cuộc họp: {meeting.title}"[:500],
        lines=lines,
    )
    FollowUpTask.objects.bulk_create(
        [
            FollowUpTask(meeting=meeting, title=t, assignee_agency=a, assignee=u, deadline=d)
            for t, a, u, d in rows
        ]
    )
    record(
        actor=actor,
        action="meetings.submit_conclusion",
        obj=meeting,
        agency=meeting.agency,
        summary={"outgoing": str(doc.outgoing.uid), "tasks": len(rows)},
    )
    return doc


@transaction.atomic
def sign_meeting_document(
    *, actor: Any, meeting: Meeting, kind: str, digital: bool = True
) -> MeetingDocument:
    """The chair signs (through `documents.sign_outgoing`, PAdES with their certificate)."""
    from tinhso.documents import services as documents

    require_view(actor, meeting)
    doc = _meeting_document(meeting, kind)
    documents.sign_outgoing(actor=actor, document=doc.outgoing, digital=digital)
    doc.outgoing.refresh_from_db()
    return doc


@transaction.atomic
def issue_meeting_document(*, actor: Any, meeting: Meeting, kind: str) -> MeetingDocument:
    """The clerk numbers it in the outgoing register, seals and dispatches it (documents'
    services); every participant is told by e-mail, SMS and chat."""
    from tinhso.documents import services as documents
    from tinhso.documents.models import OutgoingDocument

    doc = _meeting_document(meeting, kind)
    outgoing = doc.outgoing
    if not can(actor, "documents.number", outgoing):
        # the agency's clerks issue the meeting's documents, as every outgoing one
        raise NotFound("Không tìm thấy văn bản của cuộc họp.")
    if outgoing.status != OutgoingDocument.Status.SIGNED:
        raise InvalidTransition("Văn bản chưa được chủ trì ký.", code=E.DOCUMENT_NOT_SIGNED)
    documents.number_outgoing(actor=actor, document=outgoing)
    documents.seal_outgoing(actor=actor, document=outgoing)
    outgoing.refresh_from_db()
    documents.dispatch_outgoing(
        actor=actor,
        document=outgoing,
        agencies=list(outgoing.planned_agencies.all()),
        external=documents.parse_external(outgoing.planned_external),
    )
    outgoing.refresh_from_db()
    for participant in meeting.participants.select_related("user"):
        notify(
            participant.user,
            "meetings_document_issued",
            {"meeting": meeting, "document": outgoing, "kind": doc.get_kind_display()},
            meeting,
        )
    record(
        actor=actor,
        action="meetings.issue_document",
        obj=meeting,
        agency=meeting.agency,
        summary={"kind": kind, "number_notation": outgoing.number_notation},
    )
    return doc


# ---------------------------------------------------------------------------------------
# Follow-up tasks


@transaction.atomic
def finish_task(*, actor: Any, task: FollowUpTask, result: str) -> FollowUpTask:
    task = FollowUpTask.objects.select_for_update().select_related("meeting").get(pk=task.pk)
    allowed = can(actor, "meetings.manage", task.meeting) or task.assignee_id == actor.pk
    if not allowed and not can(actor, "meetings.follow_up", task.assignee_agency):
        raise PermissionDenied()
    if task.status == FollowUpTask.Status.DONE:
        raise InvalidTransition("Nhiệm vụ đã hoàn thành.", code=E.TASK_DONE)
    task.result = _long_text(result, "kết quả thực hiện", E.TEXT_REQUIRED)
    task.status = FollowUpTask.Status.DONE
    task.done_at = timezone.now()
    task.save(update_fields=["result", "status", "done_at", "updated_at"])
    record(
        actor=actor,
        action="meetings.finish_task",
        obj=task,
        agency=task.meeting.agency,
        summary={"late": timezone.localdate() > task.deadline},
    )
    return task


# ---------------------------------------------------------------------------------------
# Opinions outside meetings (phiếu lấy ý kiến)


@transaction.atomic
def request_opinions(
    *,
    actor: Any,
    body: Body,
    title: str,
    pdf: bytes,
    deadline: dt.datetime,
    filename: str = "du-thao.pdf",
    members: Sequence[Any] | None = None,
) -> OpinionRequest:
    """The chair sends a draft to the body's members with a deadline."""
    require(actor, "meetings.organise", body.agency)
    title = _text(title, "nội dung xin ý kiến", E.TITLE_REQUIRED)
    if deadline is None or deadline <= timezone.now():
        raise ValidationFailed("Hạn trả lời phải sau thời điểm hiện tại.", code=E.DEADLINE_IN_PAST)
    members = list(body.members.all()) if members is None else list(members)
    if not members:
        raise ValidationFailed("Chưa chọn thành viên xin ý kiến.", code=E.NO_MEMBERS)
    request = OpinionRequest(body=body, title=title, sender=actor, deadline=deadline)
    _store_pdf(request, pdf, filename)
    request.save()
    OpinionAnswer.objects.bulk_create([OpinionAnswer(request=request, member=m) for m in members])
    for member in members:
        notify(member, "meetings_opinion_request", {"request": request}, request)
    record(
        actor=actor,
        action="meetings.request_opinions",
        obj=request,
        agency=body.agency,
        summary={"title": title, "members": [m.pk for m in members]},
    )
    return request


@transaction.atomic
def answer_opinion(
    *, actor: Any, request: OpinionRequest, answer: str, comment: str = ""
) -> OpinionAnswer:
    request = OpinionRequest.objects.select_related("body__agency").get(pk=request.pk)
    row = OpinionAnswer.objects.select_for_update().filter(request=request, member=actor).first()
    if row is None:
        raise NotFound("Không tìm thấy phiếu lấy ý kiến.")
    if request.status != OpinionRequest.Status.OPEN or request.deadline <= timezone.now():
        raise InvalidTransition("Phiếu lấy ý kiến đã hết hạn trả lời.", code=E.OPINION_CLOSED)
    choices = {a for a in OpinionAnswer.Answer.values if a != OpinionAnswer.Answer.PENDING}
    if answer not in choices:
        raise ValidationFailed("Ý kiến không hợp lệ.", code=E.OPINION_INVALID_ANSWER)
    comment = clean_text((comment or "").strip(), multiline=True)[:MAX_TEXT]
    if answer in (OpinionAnswer.Answer.DISAGREE, OpinionAnswer.Answer.COMMENT) and not comment:
        raise ValidationFailed(
            "Vui lòng ghi rõ ý kiến khi không đồng ý hoặc có ý kiến khác.",
            code=E.OPINION_COMMENT_REQUIRED,
        )
    row.answer = answer
    row.comment = comment
    row.answered_at = timezone.now()
    row.save(update_fields=["answer", "comment", "answered_at"])
    record(
        actor=actor,
        action="meetings.answer_opinion",
        obj=request,
        agency=request.body.agency,
        summary={"answer": answer},
    )
    return row


def send_opinion_reminders(*, now: dt.datetime | None = None, before=REMIND_BEFORE) -> int:
    """Remind members who have not answered when the deadline is less than `before`
    away (once each). Run by the worker's outbox sweep and by `tinhso meetings remind`."""
    now = now or timezone.now()
    sent = 0
    due = OpinionAnswer.objects.filter(
        answer=OpinionAnswer.Answer.PENDING,
        reminded_at__isnull=True,
        request__status=OpinionRequest.Status.OPEN,
        request__deadline__gt=now,
        request__deadline__lte=now + before,
    ).select_related("request__body__agency", "member")
    for row in due:
        with transaction.atomic():
            updated = OpinionAnswer.objects.filter(pk=row.pk, reminded_at__isnull=True).update(
                reminded_at=now
            )
            if not updated:
                continue
            notify(row.member, "meetings_opinion_reminder", {"request": row.request}, row.request)
            record(
                actor=None,
                action="meetings.remind_opinion",
                obj=row.request,
                agency=row.request.body.agency,
                summary={"member": row.member_id},
            )
            sent += 1
    return sent


@transaction.atomic
def close_opinion_request(*, actor: Any, request: OpinionRequest) -> OpinionRequest:
    request = (
        OpinionRequest.objects.select_for_update().select_related("body__agency").get(pk=request.pk)
    )
    if request.sender_id != actor.pk and not can(actor, "meetings.follow_up", request.body.agency):
        raise PermissionDenied()
    if request.status == OpinionRequest.Status.CLOSED:
        raise InvalidTransition("Phiếu lấy ý kiến đã kết thúc.", code=E.OPINION_CLOSED)
    request.status = OpinionRequest.Status.CLOSED
    request.closed_at = timezone.now()
    request.save(update_fields=["status", "closed_at", "updated_at"])
    record(actor=actor, action="meetings.close_opinions", obj=request, agency=request.body.agency)
    return request
