"""Votes: entitled voters frozen at opening, quorum and majority rules as data, named
votes keep who voted what, bad ballots change nothing."""

from __future__ import annotations

import pytest

from tinhso.audit.models import AuditEntry
from tinhso.core.errors import DomainError
from tinhso.meetings import services
from tinhso.meetings.models import EntitledVoter, NamedBallot, Vote, VoteOption

from .conftest import make_committee, make_meeting, running


def _vote(c, meeting, **kw) -> Vote:
    kw.setdefault("question", "Thông qua Kế hoạch chuyển đổi số năm 2027")
    return services.create_vote(actor=c.secretary, meeting=meeting, **kw)


def _tallies(vote) -> dict[str, int]:
    return dict(VoteOption.objects.filter(vote=vote).values_list("code", "tally"))


def _error(fn, code: str) -> DomainError:
    with pytest.raises(DomainError) as info:
        fn()
    assert info.value.code == code, info.value.message
    return info.value


def test_named_vote_counts_and_keeps_who_voted_what(committee, meeting):
    c = committee
    running(c, meeting)
    vote = _vote(c, meeting)
    services.open_vote(actor=c.secretary, vote=vote)
    choices = ["yes", "yes", "no", "abstain", "yes"]
    for user, choice in zip(c.members, choices, strict=True):
        services.cast_vote(actor=user, vote=vote, option=choice)
    vote = services.close_vote(actor=c.chair, vote=vote)
    assert _tallies(vote) == {"yes": 3, "no": 1, "abstain": 1}
    assert vote.result["cast"] == 5 and vote.cast_count == 5
    # 3 of 5 members is more than half of all members: passed
    assert vote.passed is True and vote.result["winner"] == "yes"
    named = {b.voter_id: b.option.code for b in NamedBallot.objects.filter(vote=vote)}
    assert named == {u.pk: ch for u, ch in zip(c.members, choices, strict=True)}


def test_more_than_half_of_all_members_counts_absent_members(db):
    c = make_committee(n_members=7, prefix="h")
    meeting = make_meeting(c)
    running(c, meeting, present=c.members[:5])  # 5 of 7: quorum (more than half)
    vote = _vote(c, meeting)
    services.open_vote(actor=c.secretary, vote=vote)
    for user, choice in zip(c.members[:5], ["yes", "yes", "yes", "no", "no"], strict=True):
        services.cast_vote(actor=user, vote=vote, option=choice)
    vote = services.close_vote(actor=c.secretary, vote=vote)
    # 3 yes is a majority of those present but not more than half of all 7 members
    assert vote.result["base"] == 7 and vote.passed is False
    assert vote.result["present"] == 5 and vote.result["members"] == 7


def test_two_thirds_of_those_present(db):
    c = make_committee(n_members=7, prefix="t")
    meeting = make_meeting(c)
    running(c, meeting, present=c.members[:6])
    vote = _vote(c, meeting, rule=c.two_thirds)
    services.open_vote(actor=c.secretary, vote=vote)
    for user, choice in zip(c.members[:6], ["yes"] * 4 + ["no", "abstain"], strict=True):
        services.cast_vote(actor=user, vote=vote, option=choice)
    vote = services.close_vote(actor=c.secretary, vote=vote)
    assert vote.result["base"] == 6 and vote.result["threshold"] == "≥ 2/3"
    assert vote.passed is True  # 4 of 6 present is exactly two thirds ("at least")
    assert "Quy chế làm việc" in vote.result["legal_basis"]

    second = _vote(c, meeting, question="Điều chỉnh dự toán", rule=c.two_thirds)
    services.open_vote(actor=c.secretary, vote=second)
    for user, choice in zip(c.members[:6], ["yes"] * 3 + ["no"] * 3, strict=True):
        services.cast_vote(actor=user, vote=second, option=choice)
    assert services.close_vote(actor=c.secretary, vote=second).passed is False


def test_no_quorum_no_vote(db):
    c = make_committee(n_members=5, prefix="q")
    meeting = make_meeting(c)
    running(c, meeting, present=c.members[:2])  # 2 of 5 is not more than half
    vote = _vote(c, meeting)
    err = _error(lambda: services.open_vote(actor=c.secretary, vote=vote), "no_quorum")
    assert "2/5" in err.message
    vote.refresh_from_db()
    assert vote.state == Vote.State.DRAFT and not EntitledVoter.objects.filter(vote=vote).exists()


def test_choice_among_options_needs_a_majority(committee, meeting):
    c = committee
    running(c, meeting)
    vote = _vote(
        c,
        meeting,
        question="Chọn địa điểm xây dựng trung tâm dữ liệu",
        method="options",
        options=["Khu công nghệ cao", "Khu đô thị mới", "Giữ nguyên hiện trạng"],
    )
    services.open_vote(actor=c.secretary, vote=vote)
    for user, choice in zip(c.members, ["o1", "o1", "o1", "o2", "o3"], strict=True):
        services.cast_vote(actor=user, vote=vote, option=choice)
    vote = services.close_vote(actor=c.secretary, vote=vote)
    assert vote.result["winner"] == "o1" and vote.passed is True


def test_entitled_voters_are_frozen_when_the_vote_opens(committee, meeting):
    c = committee
    running(c, meeting, present=c.members[:4])
    vote = _vote(c, meeting)
    services.open_vote(actor=c.secretary, vote=vote)
    late = c.members[4]
    services.check_in(actor=late, meeting=meeting, token=meeting.checkin_token)
    _error(lambda: services.cast_vote(actor=late, vote=vote, option="yes"), "vote_not_entitled")
    assert set(EntitledVoter.objects.filter(vote=vote).values_list("user_id", flat=True)) == {
        u.pk for u in c.members[:4]
    }


def test_bad_ballots_are_refused_and_change_nothing(committee, meeting):
    c = committee
    running(c, meeting)
    vote = _vote(c, meeting)
    voter = c.members[1]
    _error(lambda: services.cast_vote(actor=voter, vote=vote, option="yes"), "vote_not_open")
    services.open_vote(actor=c.secretary, vote=vote)
    _error(lambda: services.cast_vote(actor=c.guest, vote=vote, option="yes"), "vote_not_entitled")
    _error(lambda: services.cast_vote(actor=c.outsider, vote=vote, option="yes"), "not_found")
    _error(
        lambda: services.cast_vote(actor=voter, vote=vote, option="maybe"), "vote_unknown_option"
    )
    services.cast_vote(actor=voter, vote=vote, option="no")
    _error(lambda: services.cast_vote(actor=voter, vote=vote, option="yes"), "vote_twice")
    services.close_vote(actor=c.secretary, vote=vote)
    _error(lambda: services.cast_vote(actor=c.chair, vote=vote, option="yes"), "vote_closed")
    assert _tallies(vote) == {"yes": 0, "no": 1, "abstain": 0}
    assert NamedBallot.objects.filter(vote=vote).count() == 1


def test_a_delegate_votes_in_the_members_place(committee, meeting):
    c = committee
    absent = c.members[2]
    services.respond(
        actor=absent,
        meeting=meeting,
        response="delegated",
        delegate=c.outsider,
        note="Đi công tác",
    )
    running(c, meeting, present=[m for m in c.members if m != absent] + [c.outsider])
    vote = _vote(c, meeting)
    services.open_vote(actor=c.secretary, vote=vote)
    services.cast_vote(actor=c.outsider, vote=vote, option="yes")
    _error(lambda: services.cast_vote(actor=absent, vote=vote, option="yes"), "vote_not_entitled")
    assert vote.__class__.objects.get(pk=vote.pk).present_count == 5


def test_only_the_secretary_or_chair_runs_votes(committee, meeting):
    c = committee
    running(c, meeting)
    vote = _vote(c, meeting)
    _error(lambda: services.open_vote(actor=c.members[1], vote=vote), "permission_denied")
    _error(lambda: services.open_vote(actor=c.outsider, vote=vote), "not_found")


def test_a_ballot_by_the_votes_public_id_is_a_short_transaction(
    committee, meeting, django_assert_max_num_queries
):
    """The API's path: one query finds and locks the vote with the option, then the
    voter is marked, the audit entry written and the option counted — nothing more."""
    c = committee
    running(c, meeting)
    secret = _vote(c, meeting, kind="secret")
    services.open_vote(actor=c.secretary, vote=secret)
    with django_assert_max_num_queries(6):  # savepoint, 4 statements, release
        services.cast_ballot(actor=c.members[0], vote_uid=secret.uid, option="no")
    entry = AuditEntry.objects.filter(action="meetings.cast_secret").get()
    assert entry.object_id == str(secret.uid) and entry.summary == {"vote": str(secret.uid)}
    assert entry.actor_id == c.members[0].pk
    _error(
        lambda: services.cast_ballot(actor=c.members[0], vote_uid=secret.uid, option="yes"),
        "vote_twice",
    )
    _error(
        lambda: services.cast_ballot(actor=c.members[1], vote_uid=secret.uid, option="maybe"),
        "vote_unknown_option",
    )
    _error(
        lambda: services.cast_ballot(actor=c.outsider, vote_uid=secret.uid, option="maybe"),
        "not_found",
    )
    _error(
        lambda: services.cast_ballot(actor=c.members[1], vote_uid=meeting.uid, option="yes"),
        "not_found",
    )
    services.close_vote(actor=c.secretary, vote=secret)
    assert _tallies(secret) == {"yes": 0, "no": 1, "abstain": 0}

    named = _vote(c, meeting, kind="named")
    services.open_vote(actor=c.secretary, vote=named)
    services.cast_ballot(actor=c.members[1], vote_uid=named.uid, option="yes")
    ballot = NamedBallot.objects.get(vote=named)
    assert (ballot.voter_id, ballot.option.code) == (c.members[1].pk, "yes")
    entry = AuditEntry.objects.filter(action="meetings.cast_named").get()
    assert entry.summary == {"vote": str(named.uid), "option": "yes"}
