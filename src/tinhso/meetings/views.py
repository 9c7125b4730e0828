"""Meeting pages (thin: parse a form, call a service or selector, render).

The member's page works on a tablet; the room screen refreshes its panel by HTMX; a
service worker (/meetings/sw.js) keeps the papers of a meeting readable offline.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from tinhso.accounts.models import User
from tinhso.accounts.rules import can
from tinhso.core.errors import DomainError, NotFound, ValidationFailed
from tinhso.core.files import attachment_response
from tinhso.core.pagination import paginate
from tinhso.meetings import forms, selectors, services
from tinhso.meetings.errors import MeetingErrorCode as E
from tinhso.meetings.models import (
    FollowUpTask,
    MeetingDocument,
    OpinionAnswer,
    SpeakerRequest,
    Vote,
)

STATIC = Path(__file__).resolve().parent / "static" / "meetings"


def _error_page(request: HttpRequest, err: DomainError) -> HttpResponse:
    return render(request, "meetings/error.html", {"error": err}, status=err.status)


def domain_errors(view: Callable) -> Callable:
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except DomainError as err:
            return _error_page(request, err)

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


def _run(request: HttpRequest, fn: Callable[[], Any], success: str) -> bool:
    try:
        fn()
    except DomainError as err:
        messages.error(request, err.message)
        return False
    messages.success(request, success)
    return True


def _user(uid: str | None):
    if not uid:
        return None
    try:
        return User.objects.get(uid=uid, is_active=True)
    except (User.DoesNotExist, ValueError, Exception):
        raise ValidationFailed(_("Không tìm thấy người dùng."), code=E.UNKNOWN_USER) from None


# ---------------------------------------------------------------------------------------
# Lists


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    page = paginate(request, selectors.my_meetings(user), 20)
    opinions = selectors.my_opinion_requests(user)[:10]
    return render(
        request,
        "meetings/home.html",
        {
            "page": page,
            "opinions": opinions,
            "can_organise": selectors.organiser_bodies(user).exists(),
            "now": timezone.now(),
        },
    )


@login_required
@domain_errors
def meeting_new(request: HttpRequest) -> HttpResponse:
    bodies = selectors.organiser_bodies(request.user)
    if not bodies.exists():
        raise NotFound(_("Bạn không tổ chức cuộc họp của cơ quan nào."))
    form = forms.MeetingForm(request.POST or None, bodies=bodies)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            meeting = services.create_meeting(
                actor=request.user,
                body=data["body"],
                title=data["title"],
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
                chair=data["chair"],
                members=list(data["members"]),
                guests=list(data["guests"]),
                room=data["room"],
                online_link=data["online_link"],
            )
        except DomainError as err:
            messages.error(request, err.message)
        else:
            messages.success(request, _("Đã tạo cuộc họp."))
            return redirect("meetings:detail", uid=meeting.uid)
    return render(request, "meetings/new.html", {"form": form})


# ---------------------------------------------------------------------------------------
# One meeting: the member's tablet page and the secretary's panel


def _context(request: HttpRequest, meeting) -> dict[str, Any]:
    user = request.user
    manage = can(user, "meetings.manage", meeting)
    participant = services.participant_of(meeting, user)
    papers = selectors.visible_papers(user, meeting)
    items = list(meeting.items.select_related("presenter"))
    for item in items:
        item.visible_papers = [p for p in papers if p.item_id == item.pk]
    votes = list(meeting.votes.select_related("item").prefetch_related("options"))
    for vote in votes:
        vote.my_status = selectors.has_voted(vote, user) if vote.state != Vote.State.DRAFT else None
        vote.progress = selectors.vote_progress(vote) if vote.state != Vote.State.DRAFT else None
    docs = {d.kind: d for d in meeting.documents.select_related("outgoing")}
    return {
        "meeting": meeting,
        "manage": manage,
        "participant": participant,
        "items": items,
        "votes": votes,
        "participants": list(
            meeting.participants.select_related("user", "represents__user").order_by("role", "id")
        ),
        "attendance": selectors.attendance(meeting),
        "speakers": list(selectors.speakers_waiting(meeting)),
        "my_waiting": participant is not None
        and meeting.speakers.filter(
            participant=participant, status=SpeakerRequest.Status.WAITING
        ).exists(),
        "docs": docs,
        "doc_rows": [(k, label, docs.get(k)) for k, label in MeetingDocument.Kind.choices],
        "delegate_choices": _delegate_choices(meeting, participant),
        "vote_form": forms.VoteForm(meeting=meeting) if manage else None,
        "can_sign": any(
            can(user, "documents.approve", d.outgoing) and d.outgoing.status == "reviewed"
            for d in docs.values()
        ),
        "tasks": list(meeting.tasks.select_related("assignee_agency")),
        "rules": list(meeting.body.rules.all()),
    }


def _delegate_choices(meeting, participant) -> list[Any]:
    """People a member may send in their place: officials of the agencies they work in."""
    if participant is None or participant.role not in ("chair", "member"):
        return []
    from tinhso.core.text import vi_sort_key
    from tinhso.directory.models import Membership

    agencies = Membership.objects.filter(user_id=participant.user_id, ended_on__isnull=True).values(
        "agency_id"
    )
    taken = meeting.participants.values("user_id")
    people = (
        User.objects.filter(
            memberships__agency_id__in=agencies, memberships__ended_on__isnull=True, is_active=True
        )
        .exclude(pk__in=taken)
        .distinct()[:200]
    )
    return sorted(people, key=lambda u: vi_sort_key(str(u)))


@login_required
@require_GET
@domain_errors
def detail(request: HttpRequest, uid) -> HttpResponse:
    meeting = selectors.get_meeting(request.user, uid)
    return render(request, "meetings/detail.html", _context(request, meeting))


def _date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat((value or "").strip())
    except ValueError:
        return None


@login_required
@require_POST
@domain_errors
def act(request: HttpRequest, uid, action: str) -> HttpResponse:
    """Every button of the meeting page posts here; the service decides."""
    meeting = selectors.get_meeting(request.user, uid)
    user, post = request.user, request.POST
    target = reverse("meetings:detail", kwargs={"uid": meeting.uid})

    def item():
        found = meeting.items.filter(pk=_int(post.get("item"))).first()
        if found is None:
            raise NotFound(_("Không tìm thấy nội dung trong chương trình họp."))
        return found

    actions: dict[str, tuple[Callable[[], Any], str]] = {
        "respond": (
            lambda: services.respond(
                actor=user,
                meeting=meeting,
                response=post.get("response", ""),
                note=post.get("note", ""),
                delegate=_user(post.get("delegate")),
            ),
            _("Đã ghi nhận xác nhận của bạn."),
        ),
        "speak": (
            lambda: services.register_to_speak(
                actor=user, meeting=meeting, topic=post.get("topic", "")
            ),
            _("Đã đăng ký phát biểu."),
        ),
        "add-item": (
            lambda: services.add_agenda_item(
                actor=user,
                meeting=meeting,
                title=post.get("title", ""),
                presenter=_user(post.get("presenter")),
                duration_minutes=_int(post.get("duration")) or 0,
            ),
            _("Đã thêm nội dung vào chương trình."),
        ),
        "add-paper": (
            lambda: _add_paper(request, meeting, item()),
            _("Đã thêm tài liệu."),
        ),
        "invite": (
            lambda: services.send_invitation(actor=user, meeting=meeting),
            _("Đã lập giấy mời trình chủ trì ký và gửi thông báo mời họp."),
        ),
        "start": (
            lambda: services.start_meeting(actor=user, meeting=meeting),
            _("Cuộc họp đã bắt đầu."),
        ),
        "check-in": (
            lambda: services.check_in(
                actor=user,
                meeting=meeting,
                participant=meeting.participants.filter(pk=_int(post.get("participant"))).first()
                or _missing(_("Không tìm thấy người dự họp.")),
            ),
            _("Đã điểm danh."),
        ),
        "current-item": (
            lambda: services.set_current_item(actor=user, meeting=meeting, item=item()),
            _("Đã chuyển nội dung trên màn hình phòng họp."),
        ),
        "give-floor": (
            lambda: services.give_floor(
                actor=user,
                meeting=meeting,
                speaker=meeting.speakers.filter(pk=_int(post.get("speaker"))).first(),
            ),
            _("Đã cập nhật người phát biểu."),
        ),
        "create-vote": (lambda: _create_vote(request, meeting), _("Đã tạo biểu quyết.")),
        "open-vote": (
            lambda: services.open_vote(actor=user, vote=_vote(meeting, post)),
            _("Đã mở biểu quyết."),
        ),
        "close-vote": (
            lambda: services.close_vote(actor=user, vote=_vote(meeting, post)),
            _("Đã kết thúc biểu quyết và công bố kết quả."),
        ),
        "cast": (
            lambda: services.cast_vote(
                actor=user, vote=_vote(meeting, post), option=post.get("option", "")
            ),
            _("Đã ghi nhận biểu quyết của bạn."),
        ),
        "close": (
            lambda: services.close_meeting(actor=user, meeting=meeting),
            _("Cuộc họp đã kết thúc; biên bản đã được dự thảo."),
        ),
        "edit-minutes": (
            lambda: services.edit_minutes(actor=user, meeting=meeting, text=post.get("text", "")),
            _("Đã lưu biên bản."),
        ),
        "submit-minutes": (
            lambda: services.submit_minutes(actor=user, meeting=meeting),
            _("Đã trình chủ trì ký biên bản."),
        ),
        "submit-conclusion": (
            lambda: services.submit_conclusion(
                actor=user,
                meeting=meeting,
                text=post.get("text", ""),
                tasks=_tasks(post),
            ),
            _("Đã trình chủ trì ký thông báo kết luận."),
        ),
        "sign": (
            lambda: services.sign_meeting_document(
                actor=user, meeting=meeting, kind=post.get("kind", "")
            ),
            _("Đã ký số văn bản."),
        ),
    }
    if action not in actions:
        raise NotFound()
    fn, success = actions[action]
    _run(request, fn, success)
    anchor = {"cast": "#votes", "create-vote": "#votes", "open-vote": "#votes"}.get(action, "")
    return redirect(target + anchor)


def _missing(message: str):
    raise NotFound(message)


def _int(value: Any) -> int:
    """A positive id or number from a form; 0 (matches nothing) for anything else."""
    text = str(value or "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) < 10 else 0


def _vote(meeting, post) -> Vote:
    vote = (
        meeting.votes.filter(uid=_uuid(post.get("vote"))).first()
        if _uuid(post.get("vote"))
        else None
    )
    if vote is None:
        raise NotFound(_("Không tìm thấy biểu quyết."))
    return vote


def _uuid(value: Any):
    import uuid

    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def _document(user, reference: str):
    """An incoming or outgoing document from its address (/documents/outgoing/<uid>/) or
    uid, as the documents app lets this user read it."""
    import re

    from tinhso.documents import selectors as documents

    match = re.search(r"(incoming|outgoing)?/?([0-9a-fA-F-]{36})", reference or "")
    if match is None:
        raise ValidationFailed(_("Không nhận ra mã văn bản."), code=E.PAPER_NO_FILE)
    kind, uid = match.groups()
    if kind == "incoming":
        return documents.incoming_for(user, uid)
    try:
        return documents.outgoing_for(user, uid)
    except NotFound:
        return documents.incoming_for(user, uid)


def _add_paper(request: HttpRequest, meeting, item):
    reference = request.POST.get("document", "").strip()
    if reference:
        return services.add_paper_from_document(
            actor=request.user,
            item=item,
            document=_document(request.user, reference),
            is_draft=bool(request.POST.get("is_draft")),
            members_only=bool(request.POST.get("members_only")),
        )
    upload = request.FILES.get("file")
    if upload is None:
        raise ValidationFailed(_("Vui lòng chọn tệp PDF."), code=E.PAPER_NO_FILE)
    if (upload.size or 0) > 20 * 1024 * 1024:
        raise ValidationFailed(_("Tệp quá lớn (tối đa 20 MB)."), code="file_too_large")
    return services.upload_paper(
        actor=request.user,
        item=item,
        title=request.POST.get("title", ""),
        pdf=upload.read(),
        filename=upload.name or "tai-lieu.pdf",
        is_draft=bool(request.POST.get("is_draft")),
        members_only=bool(request.POST.get("members_only")),
    )


def _create_vote(request: HttpRequest, meeting):
    form = forms.VoteForm(request.POST, meeting=meeting)
    if not form.is_valid():
        raise ValidationFailed(
            "; ".join(str(e) for errs in form.errors.values() for e in errs),
            code=E.VOTE_QUESTION_REQUIRED,
        )
    data = form.cleaned_data
    return services.create_vote(
        actor=request.user,
        meeting=meeting,
        question=data["question"],
        kind=data["kind"],
        method=data["method"],
        options=[o for o in data["options"].splitlines() if o.strip()],
        rule=data["rule"],
        item=data["item"],
    )


def _tasks(post) -> list[dict[str, Any]]:
    from tinhso.directory.models import Agency

    tasks = []
    for title, code, deadline in zip(
        post.getlist("task_title"),
        post.getlist("task_agency"),
        post.getlist("task_deadline"),
        strict=False,
    ):
        if not title.strip():
            continue
        agency = Agency.objects.filter(code=code.strip().upper()).first() if code.strip() else None
        tasks.append({"title": title, "agency": agency, "deadline": _date(deadline)})
    return tasks


# ---------------------------------------------------------------------------------------
# Check-in, room screen, papers, offline


@login_required
@domain_errors
def check_in(request: HttpRequest, uid) -> HttpResponse:
    """The door's QR code opens this page on the participant's tablet or phone."""
    meeting = selectors.get_meeting(request.user, uid)
    token = request.POST.get("t") or request.GET.get("t", "")
    if request.method == "POST" and _run(
        request,
        lambda: services.check_in(actor=request.user, meeting=meeting, token=token),
        _("Đã điểm danh. Chào mừng bạn đến dự họp."),
    ):
        return redirect("meetings:detail", uid=meeting.uid)
    return render(request, "meetings/check_in.html", {"meeting": meeting, "token": token[:60]})


@login_required
@require_GET
@domain_errors
def door_qr(request: HttpRequest, uid) -> HttpResponse:
    import segno

    meeting = selectors.get_meeting(request.user, uid)
    if not can(request.user, "meetings.manage", meeting):
        raise NotFound()
    url = request.build_absolute_uri(
        reverse("meetings:check_in", kwargs={"uid": meeting.uid}) + f"?t={meeting.checkin_token}"
    )
    svg = segno.make(url, error="m").svg_inline(scale=8)
    return HttpResponse(svg, content_type="image/svg+xml")


@login_required
@require_GET
@domain_errors
def door(request: HttpRequest, uid) -> HttpResponse:
    meeting = selectors.get_meeting(request.user, uid)
    if not can(request.user, "meetings.manage", meeting):
        raise NotFound()
    return render(request, "meetings/door.html", {"meeting": meeting})


def _screen_context(meeting) -> dict[str, Any]:
    item = meeting.current_item
    speaker = meeting.current_speaker
    ends = None
    if item is not None and item.started_at:
        ends = item.started_at + dt.timedelta(minutes=item.duration_minutes)
    last_vote = meeting.votes.exclude(state=Vote.State.DRAFT).order_by("-opened_at", "-id").first()
    return {
        "meeting": meeting,
        "item": item,
        "speaker": speaker,
        "item_ends": ends,
        "vote": last_vote,
        "progress": selectors.vote_progress(last_vote) if last_vote else None,
        "attendance": selectors.attendance(meeting),
        "waiting": list(selectors.speakers_waiting(meeting)[:5]),
    }


@login_required
@require_GET
@domain_errors
def screen(request: HttpRequest, uid) -> HttpResponse:
    meeting = selectors.get_meeting(request.user, uid)
    return render(request, "meetings/screen.html", _screen_context(meeting))


@login_required
@require_GET
@domain_errors
def screen_panel(request: HttpRequest, uid) -> HttpResponse:
    meeting = selectors.get_meeting(request.user, uid)
    return render(request, "meetings/_screen_panel.html", _screen_context(meeting))


@login_required
@domain_errors
def paper(request: HttpRequest, uid) -> HttpResponse:
    found = selectors.get_paper(request.user, uid)
    if request.method == "POST":
        what = request.POST.get("what")
        if what == "annotate":
            _run(
                request,
                lambda: services.annotate(
                    actor=request.user,
                    paper=found,
                    text=request.POST.get("text", ""),
                    page=_int(request.POST.get("page")) or 1,
                ),
                _("Đã lưu ghi chú riêng."),
            )
        elif what == "comment":
            _run(
                request,
                lambda: services.comment_on_draft(
                    actor=request.user, paper=found, text=request.POST.get("text", "")
                ),
                _("Đã gửi góp ý."),
            )
        return redirect("meetings:paper", uid=found.uid)
    return render(
        request,
        "meetings/paper.html",
        {
            "paper": found,
            "meeting": found.item.meeting,
            "annotations": selectors.my_annotations(request.user, found),
            "comments": selectors.draft_comments(found) if found.is_draft else [],
        },
    )


@login_required
@require_GET
@domain_errors
def paper_file(request: HttpRequest, uid) -> HttpResponseBase:
    found = selectors.get_paper(request.user, uid)
    response = attachment_response(found.file.open("rb"), filename=f"{found.title[:80]}.pdf")
    response["Content-Disposition"] = response["Content-Disposition"].replace(
        "attachment", "inline", 1
    )
    response["Cache-Control"] = "private, max-age=0"
    return response


@login_required
@require_GET
@domain_errors
def offline_manifest(request: HttpRequest, uid) -> JsonResponse:
    """The addresses the service worker caches so the meeting reads without a network."""
    meeting = selectors.get_meeting(request.user, uid)
    urls = [reverse("meetings:detail", kwargs={"uid": meeting.uid})]
    for p in selectors.visible_papers(request.user, meeting):
        urls.append(reverse("meetings:paper", kwargs={"uid": p.uid}))
        urls.append(reverse("meetings:paper_file", kwargs={"uid": p.uid}))
    return JsonResponse({"meeting": str(meeting.uid), "urls": urls})


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    """Served from /meetings/ so that its scope covers the meeting pages and papers."""
    response = HttpResponse(
        (STATIC / "sw.js").read_bytes(), content_type="application/javascript; charset=utf-8"
    )
    response["Service-Worker-Allowed"] = "/meetings/"
    response["Cache-Control"] = "no-cache"
    return response


# ---------------------------------------------------------------------------------------
# Follow-up, opinions, documents waiting for the clerk


@login_required
@require_GET
def tasks(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    status = status if status in FollowUpTask.Status.values else ""
    qs = selectors.follow_up_tasks(request.user, status=status or None)
    page = paginate(request, qs, 30)
    return render(request, "meetings/tasks.html", {"page": page, "status": status})


@login_required
@require_POST
@domain_errors
def task_done(request: HttpRequest, uid) -> HttpResponse:
    task = selectors.follow_up_tasks(request.user).filter(uid=_uuid(uid)).first()
    if task is None:
        raise NotFound(_("Không tìm thấy nhiệm vụ."))
    _run(
        request,
        lambda: services.finish_task(
            actor=request.user, task=task, result=request.POST.get("result", "")
        ),
        _("Đã ghi nhận hoàn thành nhiệm vụ."),
    )
    return redirect("meetings:tasks")


@login_required
@domain_errors
def opinion_new(request: HttpRequest) -> HttpResponse:
    bodies = selectors.organiser_bodies(request.user)
    if not bodies.exists():
        raise NotFound(_("Bạn không tổ chức lấy ý kiến của cơ quan nào."))
    form = forms.OpinionForm(request.POST or None, request.FILES or None, bodies=bodies)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            created = services.request_opinions(
                actor=request.user,
                body=data["body"],
                title=data["title"],
                pdf=data["file"].read(),
                filename=data["file"].name,
                deadline=data["deadline"],
            )
        except DomainError as err:
            messages.error(request, err.message)
        else:
            messages.success(request, _("Đã gửi phiếu lấy ý kiến."))
            return redirect("meetings:opinion", uid=created.uid)
    return render(request, "meetings/opinion_new.html", {"form": form})


@login_required
@domain_errors
def opinion(request: HttpRequest, uid) -> HttpResponse:
    found = selectors.get_opinion_request(request.user, uid)
    if request.method == "POST":
        if request.POST.get("what") == "close":
            _run(
                request,
                lambda: services.close_opinion_request(actor=request.user, request=found),
                _("Đã kết thúc lấy ý kiến."),
            )
        else:
            _run(
                request,
                lambda: services.answer_opinion(
                    actor=request.user,
                    request=found,
                    answer=request.POST.get("answer", ""),
                    comment=request.POST.get("comment", ""),
                ),
                _("Đã gửi ý kiến của bạn."),
            )
        return redirect("meetings:opinion", uid=found.uid)
    mine = found.answers.filter(member_id=request.user.pk).first()
    is_sender = found.sender_id == request.user.pk or can(
        request.user, "meetings.follow_up", found.body.agency
    )
    return render(
        request,
        "meetings/opinion.html",
        {
            "req": found,
            "mine": mine,
            "summary": selectors.opinion_summary(found) if is_sender else None,
            "answers": OpinionAnswer.Answer,
            "open": found.status == "open" and found.deadline > timezone.now(),
        },
    )


@login_required
@require_GET
@domain_errors
def opinion_file(request: HttpRequest, uid) -> HttpResponseBase:
    found = selectors.get_opinion_request(request.user, uid)
    return attachment_response(found.draft.open("rb"), filename=f"{found.title[:80]}.pdf")


@login_required
@domain_errors
def to_issue(request: HttpRequest) -> HttpResponse:
    """The clerk's list: the meetings' documents signed by the chair, to number, seal and
    dispatch (documents' services) and announce to the participants."""
    if request.method == "POST":
        doc = (
            selectors.documents_to_issue(request.user)
            .filter(pk=_int(request.POST.get("doc")))
            .first()
        )
        if doc is None:
            raise NotFound(_("Không tìm thấy văn bản của cuộc họp."))
        _run(
            request,
            lambda: services.issue_meeting_document(
                actor=request.user, meeting=doc.meeting, kind=doc.kind
            ),
            _("Đã cấp số, đóng dấu và phát hành văn bản."),
        )
        return redirect("meetings:to_issue")
    page = paginate(request, selectors.documents_to_issue(request.user), 30)
    return render(request, "meetings/to_issue.html", {"page": page})
