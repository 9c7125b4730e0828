"""Paperless meetings (họp không giấy) of the People's Committee and its departments.

A `Body` (UBND tỉnh, a department's leadership) holds meetings; its `VotingRule`s are the
quorum and majority thresholds as data, with their legal basis. A `Meeting` has
participants (chair, members, guests, delegates sent by members), an agenda of items with
papers, speakers, votes, and the documents it produces through `documents` (the
invitation GM, the minutes BB, the conclusion notice TB).

Secret votes: `EntitledVoter` records who was entitled and whether they voted;
`VoteOption.tally` counts what was voted. No row links the two: a secret ballot is one
increment of a counter (no ballot row, no timestamp, no id order to correlate). Named
votes also keep a `NamedBallot` (voter, option).
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tinhso.core.models import PublicIdentified, TimeStamped


def new_token() -> str:
    return secrets.token_urlsafe(18)


class Body(TimeStamped):
    """A body that meets (Ủy ban nhân dân tỉnh, Ban Giám đốc Sở...) and its standing members."""

    agency = models.ForeignKey(
        "directory.Agency", on_delete=models.PROTECT, related_name="meeting_bodies"
    )
    name = models.CharField(_("tên"), max_length=255)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")

    class Meta:
        ordering = ["agency", "name"]
        constraints = [models.UniqueConstraint(fields=["agency", "name"], name="body_unique_name")]

    def __str__(self) -> str:
        return self.name

    @property
    def default_rule(self) -> VotingRule | None:
        return self.rules.filter(is_default=True).first() or self.rules.first()


class VotingRule(models.Model):
    """Quorum and majority as data: e.g. quorum "more than half of all members", passed
    when "more than half of all members" or "two thirds of those present" vote yes."""

    class Base(models.TextChoices):
        MEMBERS = "members", _("tổng số thành viên")
        PRESENT = "present", _("số thành viên có mặt")
        CAST = "cast", _("số phiếu đã bỏ")

    body = models.ForeignKey(Body, on_delete=models.CASCADE, related_name="rules")
    name = models.CharField(_("tên quy tắc"), max_length=120)
    quorum_numerator = models.PositiveSmallIntegerField(default=1)
    quorum_denominator = models.PositiveSmallIntegerField(default=2)
    quorum_strict = models.BooleanField(default=True, help_text="more than (True) / at least")
    majority_base = models.CharField(max_length=8, choices=Base.choices, default=Base.MEMBERS)
    majority_numerator = models.PositiveSmallIntegerField(default=1)
    majority_denominator = models.PositiveSmallIntegerField(default=2)
    majority_strict = models.BooleanField(default=True)
    legal_basis = models.CharField(_("căn cứ pháp lý"), max_length=500, blank=True)
    is_default = models.BooleanField(default=False)

    class Meta:
        ordering = ["body", "-is_default", "name"]
        constraints = [
            models.UniqueConstraint(fields=["body", "name"], name="votingrule_unique_name"),
            models.CheckConstraint(
                condition=Q(quorum_denominator__gt=0) & Q(majority_denominator__gt=0),
                name="votingrule_positive_denominators",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def snapshot(self) -> dict:
        return {
            "name": self.name,
            "quorum": [self.quorum_numerator, self.quorum_denominator, self.quorum_strict],
            "majority_base": self.majority_base,
            "majority": [self.majority_numerator, self.majority_denominator, self.majority_strict],
            "legal_basis": self.legal_basis,
        }


class Meeting(PublicIdentified, TimeStamped):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Đang chuẩn bị")
        INVITED = "invited", _("Đã gửi giấy mời")
        IN_PROGRESS = "in_progress", _("Đang họp")
        CLOSED = "closed", _("Đã kết thúc")

    body = models.ForeignKey(Body, on_delete=models.PROTECT, related_name="meetings")
    agency = models.ForeignKey("directory.Agency", on_delete=models.PROTECT, related_name="+")
    title = models.CharField(_("tên cuộc họp"), max_length=500)
    starts_at = models.DateTimeField(_("thời gian bắt đầu"))
    ends_at = models.DateTimeField(_("thời gian kết thúc"), null=True, blank=True)
    room = models.CharField(_("phòng họp"), max_length=255, blank=True)
    online_link = models.URLField(_("đường dẫn họp trực tuyến"), max_length=500, blank=True)
    chair = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    secretary = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    checkin_token = models.CharField(max_length=40, default=new_token, editable=False)
    # The room screen: the item being discussed, who speaks, since when.
    current_item = models.ForeignKey(
        "AgendaItem", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    current_speaker = models.ForeignKey(
        "SpeakerRequest", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    minutes_text = models.TextField(_("biên bản"), blank=True)
    conclusion_text = models.TextField(_("kết luận"), blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-starts_at", "-id"]
        indexes = [models.Index(fields=["agency", "-starts_at"], name="meeting_agency_starts")]

    def __str__(self) -> str:
        return self.title


class Participant(models.Model):
    class Role(models.TextChoices):
        CHAIR = "chair", _("Chủ trì")
        MEMBER = "member", _("Thành viên")
        GUEST = "guest", _("Khách mời")
        DELEGATE = "delegate", _("Người dự thay")

    class Response(models.TextChoices):
        PENDING = "pending", _("Chưa xác nhận")
        ACCEPTED = "accepted", _("Xác nhận dự họp")
        DECLINED = "declined", _("Vắng mặt")
        DELEGATED = "delegated", _("Cử người dự thay")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="participants")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    role = models.CharField(max_length=10, choices=Role.choices)
    response = models.CharField(max_length=10, choices=Response.choices, default=Response.PENDING)
    response_note = models.CharField(max_length=500, blank=True)
    represents = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="delegates"
    )
    checked_in_at = models.DateTimeField(null=True, blank=True)
    checkin_token = models.CharField(max_length=40, default=new_token, editable=False)

    class Meta:
        ordering = ["meeting", "role", "id"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "user"], name="participant_unique_user")
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()})"

    @property
    def is_voting_member(self) -> bool:
        return self.role in (self.Role.CHAIR, self.Role.MEMBER)

    @property
    def is_guest(self) -> bool:
        return self.role == self.Role.GUEST


class AgendaItem(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="items")
    order = models.PositiveSmallIntegerField()
    title = models.CharField(_("nội dung"), max_length=500)
    presenter = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    duration_minutes = models.PositiveSmallIntegerField(_("thời lượng (phút)"), default=15)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["meeting", "order", "id"]

    def __str__(self) -> str:
        return f"{self.order}. {self.title}"


def _paper_upload_to(instance: Paper, filename: str) -> str:
    return f"meetings/{instance.sha256[:2]}/{instance.sha256}.pdf"


class Paper(PublicIdentified, models.Model):
    """A paper of an agenda item: a copy of a document's file or an uploaded PDF.
    Secret documents (Mật and above) are never papers; `members_only` papers are never
    shown to guests."""

    item = models.ForeignKey(AgendaItem, on_delete=models.CASCADE, related_name="papers")
    title = models.CharField(_("tên tài liệu"), max_length=500)
    file = models.FileField(upload_to=_paper_upload_to, max_length=255)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField(default=0)
    is_draft = models.BooleanField(_("dự thảo xin ý kiến"), default=False)
    members_only = models.BooleanField(_("chỉ thành viên (không gửi khách mời)"), default=False)
    source_document = models.CharField(max_length=80, blank=True, help_text="documents uid")
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["item", "id"]

    def __str__(self) -> str:
        return self.title


class Annotation(models.Model):
    """A member's private note on a paper: only its author ever reads it."""

    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="annotations")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    page = models.PositiveIntegerField(default=1)
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["paper", "page", "id"]

    def __str__(self) -> str:
        return f"{self.author_id} p.{self.page}"


class DraftComment(models.Model):
    """A member's comment on a draft paper, read by the secretary, chair and members."""

    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["paper", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.author}: {self.text[:40]}"


class SpeakerRequest(models.Model):
    class Status(models.TextChoices):
        WAITING = "waiting", _("Chờ phát biểu")
        SPEAKING = "speaking", _("Đang phát biểu")
        DONE = "done", _("Đã phát biểu")
        WITHDRAWN = "withdrawn", _("Đã rút")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="speakers")
    item = models.ForeignKey(
        AgendaItem, null=True, blank=True, on_delete=models.CASCADE, related_name="speakers"
    )
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="+")
    topic = models.CharField(_("nội dung phát biểu"), max_length=300, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.WAITING)
    requested_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["meeting", "requested_at", "id"]

    def __str__(self) -> str:
        return f"{self.participant_id} ({self.get_status_display()})"


class Vote(PublicIdentified, TimeStamped):
    class Kind(models.TextChoices):
        NAMED = "named", _("Biểu quyết công khai (ghi danh)")
        SECRET = "secret", _("Bỏ phiếu kín")

    class Method(models.TextChoices):
        YNA = "yna", _("Tán thành / Không tán thành / Không biểu quyết")
        OPTIONS = "options", _("Chọn một phương án")

    class State(models.TextChoices):
        DRAFT = "draft", _("Chưa mở")
        OPEN = "open", _("Đang biểu quyết")
        CLOSED = "closed", _("Đã kết thúc")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="votes")
    item = models.ForeignKey(
        AgendaItem, null=True, blank=True, on_delete=models.SET_NULL, related_name="votes"
    )
    question = models.CharField(_("nội dung biểu quyết"), max_length=500)
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.NAMED)
    method = models.CharField(max_length=8, choices=Method.choices, default=Method.YNA)
    rule = models.ForeignKey(VotingRule, on_delete=models.PROTECT, related_name="+")
    state = models.CharField(max_length=8, choices=State.choices, default=State.DRAFT)
    # Frozen when the vote opens / closes.
    rule_snapshot = models.JSONField(default=dict, blank=True)
    members_count = models.PositiveIntegerField(default=0)
    present_count = models.PositiveIntegerField(default=0)
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    cast_count = models.PositiveIntegerField(default=0)
    passed = models.BooleanField(null=True, blank=True)
    result = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["meeting", "created_at", "id"]

    def __str__(self) -> str:
        return self.question


class VoteOption(models.Model):
    """A choice; `tally` is the count of ballots for it (the only trace of a secret one)."""

    vote = models.ForeignKey(Vote, on_delete=models.CASCADE, related_name="options")
    order = models.PositiveSmallIntegerField()
    code = models.CharField(max_length=20)
    label = models.CharField(max_length=300)
    tally = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["vote", "order"]
        constraints = [models.UniqueConstraint(fields=["vote", "code"], name="voteoption_unique")]

    def __str__(self) -> str:
        return self.label


class EntitledVoter(models.Model):
    """Who may vote (frozen when the vote opens) and whether they did — never what."""

    vote = models.ForeignKey(Vote, on_delete=models.CASCADE, related_name="entitled")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    present = models.BooleanField(default=True)
    has_voted = models.BooleanField(default=False)

    class Meta:
        ordering = ["vote", "id"]
        constraints = [
            models.UniqueConstraint(fields=["vote", "user"], name="entitledvoter_unique")
        ]

    def __str__(self) -> str:
        return f"{self.vote_id}:{self.user_id}"


class NamedBallot(models.Model):
    """A named (roll-call) vote's ballot: who voted what. Never written for secret votes."""

    vote = models.ForeignKey(Vote, on_delete=models.CASCADE, related_name="named_ballots")
    voter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    option = models.ForeignKey(VoteOption, on_delete=models.PROTECT, related_name="+")
    cast_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["vote", "id"]
        constraints = [models.UniqueConstraint(fields=["vote", "voter"], name="namedballot_unique")]

    def __str__(self) -> str:
        return f"{self.vote_id}:{self.voter_id}"


class MeetingDocument(models.Model):
    """An outgoing document the meeting produces through `documents`: invitation (GM),
    minutes (BB) or conclusion notice (TB)."""

    class Kind(models.TextChoices):
        INVITATION = "gm", _("Giấy mời")
        MINUTES = "bb", _("Biên bản")
        CONCLUSION = "tb", _("Thông báo kết luận")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(max_length=2, choices=Kind.choices)
    outgoing = models.ForeignKey(
        "documents.OutgoingDocument", on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["meeting", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "kind"], name="meetingdocument_unique")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.meeting_id}"


class FollowUpTask(PublicIdentified, TimeStamped):
    """A task assigned in the conclusion notice, followed up until done."""

    class Status(models.TextChoices):
        OPEN = "open", _("Đang thực hiện")
        DONE = "done", _("Hoàn thành")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="tasks")
    title = models.CharField(_("nhiệm vụ"), max_length=500)
    assignee_agency = models.ForeignKey(
        "directory.Agency", on_delete=models.PROTECT, related_name="+"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    deadline = models.DateField(_("hạn hoàn thành"))
    status = models.CharField(max_length=6, choices=Status.choices, default=Status.OPEN)
    result = models.TextField(blank=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["deadline", "id"]
        indexes = [models.Index(fields=["status", "deadline"], name="followup_status_deadline")]

    def __str__(self) -> str:
        return self.title


class OpinionRequest(PublicIdentified, TimeStamped):
    """Phiếu lấy ý kiến: the chair sends a draft to members, with a deadline."""

    class Status(models.TextChoices):
        OPEN = "open", _("Đang lấy ý kiến")
        CLOSED = "closed", _("Đã kết thúc")

    body = models.ForeignKey(Body, on_delete=models.PROTECT, related_name="opinion_requests")
    title = models.CharField(_("nội dung xin ý kiến"), max_length=500)
    draft = models.FileField(upload_to=_paper_upload_to, max_length=255)
    sha256 = models.CharField(max_length=64)
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    deadline = models.DateTimeField(_("hạn trả lời"))
    status = models.CharField(max_length=6, choices=Status.choices, default=Status.OPEN)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title


class OpinionAnswer(models.Model):
    class Answer(models.TextChoices):
        PENDING = "pending", _("Chưa trả lời")
        AGREE = "agree", _("Đồng ý")
        DISAGREE = "disagree", _("Không đồng ý")
        COMMENT = "comment", _("Có ý kiến khác")

    request = models.ForeignKey(OpinionRequest, on_delete=models.CASCADE, related_name="answers")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    answer = models.CharField(max_length=10, choices=Answer.choices, default=Answer.PENDING)
    comment = models.TextField(blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["request", "id"]
        constraints = [
            models.UniqueConstraint(fields=["request", "member"], name="opinionanswer_unique")
        ]

    def __str__(self) -> str:
        return f"{self.member_id}: {self.answer}"
