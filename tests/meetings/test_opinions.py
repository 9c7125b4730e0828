"""Opinions outside meetings (phiếu lấy ý kiến): the chair sends a draft with a deadline,
members agree / disagree / comment, the unanswered are reminded once before the
deadline, the chair reads a summary."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tinhso.core.errors import DomainError
from tinhso.meetings import selectors, services
from tinhso.notify.models import Message

from .conftest import make_pdf


def test_opinions_with_reminders_and_a_summary(committee):
    c = committee
    now = timezone.now()
    request = services.request_opinions(
        actor=c.chair,
        body=c.body,
        title="Dự thảo Quyết định ban hành Quy chế dữ liệu mở",
        pdf=make_pdf("Dự thảo Quy chế dữ liệu mở"),
        deadline=now + timedelta(days=3),
    )
    assert Message.objects.filter(template="meetings_opinion_request").count() == 5 * 3
    services.answer_opinion(actor=c.members[1], request=request, answer="agree")
    services.answer_opinion(
        actor=c.members[2], request=request, answer="disagree", comment="Cần lùi thời hạn."
    )
    with pytest.raises(DomainError) as no_reason:
        services.answer_opinion(actor=c.members[3], request=request, answer="comment")
    assert no_reason.value.code == "opinion_comment_required"
    with pytest.raises(DomainError) as stranger:
        services.answer_opinion(actor=c.outsider, request=request, answer="agree")
    assert stranger.value.code == "not_found"

    # Three days before: nobody is reminded yet; within a day of the deadline, the three
    # who have not answered are reminded, once.
    assert services.send_opinion_reminders(now=now) == 0
    later = now + timedelta(days=2, hours=1)
    assert services.send_opinion_reminders(now=later) == 3
    assert services.send_opinion_reminders(now=later + timedelta(hours=1)) == 0
    reminded = set(
        Message.objects.filter(template="meetings_opinion_reminder").values_list(
            "recipient_id", flat=True
        )
    )
    assert reminded == {c.chair.pk, c.members[3].pk, c.members[4].pk}

    summary = selectors.opinion_summary(request)
    assert summary["counts"]["agree"] == 1 and summary["counts"]["disagree"] == 1
    assert summary["answered"] == 2 and summary["total"] == 5
    assert [row.comment for row in summary["comments"]] == ["Cần lùi thời hạn."]

    # After the deadline no answer is taken.
    request.deadline = now - timedelta(minutes=1)
    request.save(update_fields=["deadline"])
    with pytest.raises(DomainError) as late:
        services.answer_opinion(actor=c.members[4], request=request, answer="agree")
    assert late.value.code == "opinion_closed"


def test_a_deadline_in_the_past_is_refused(committee):
    c = committee
    with pytest.raises(DomainError) as err:
        services.request_opinions(
            actor=c.chair,
            body=c.body,
            title="Dự thảo",
            pdf=make_pdf(),
            deadline=timezone.now() - timedelta(hours=1),
        )
    assert err.value.code == "opinion_deadline_in_past"


def test_the_remind_command_reminds_once(committee):
    from io import StringIO

    from django.core.management import call_command

    c = committee
    services.request_opinions(
        actor=c.chair,
        body=c.body,
        title="Dự thảo",
        pdf=make_pdf(),
        deadline=timezone.now() + timedelta(hours=5),
    )
    out = StringIO()
    call_command("meetings", "remind", stdout=out)
    assert "Đã nhắc 5 thành viên." in out.getvalue()
    call_command("meetings", "remind", stdout=out)
    assert Message.objects.filter(template="meetings_opinion_reminder").count() == 5 * 3
