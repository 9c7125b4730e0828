"""Ballots racing on PostgreSQL: the same member twice at the same instant counts once;
ballots racing the close are either counted in the published result or refused."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from tinhso.core.errors import DomainError
from tinhso.meetings import services
from tinhso.meetings.models import EntitledVoter, Vote, VoteOption

from .conftest import make_committee, make_meeting, running

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _race(fns) -> list[str]:
    barrier = threading.Barrier(len(fns))
    outcomes: list[str] = [""] * len(fns)

    def run(i: int) -> None:
        barrier.wait()
        try:
            fns[i]()
            outcomes[i] = "ok"
        except DomainError as err:
            outcomes[i] = str(err.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(fns))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes


def _by(entry: str):
    """A ballot through the service by vote (pages, demo) or by its public id (the API)."""
    if entry == "vote":
        return services.cast_vote
    return lambda *, actor, vote, option: services.cast_ballot(
        actor=actor, vote_uid=vote.uid, option=option
    )


@pytest.mark.parametrize("entry", ["vote", "uid"])
def test_the_same_member_twice_at_once_counts_once(entry):
    cast = _by(entry)
    c = make_committee(prefix=f"r1{entry}")
    meeting = make_meeting(c)
    running(c, meeting)
    vote = services.create_vote(actor=c.secretary, meeting=meeting, question="Q", kind="secret")
    services.open_vote(actor=c.secretary, vote=vote)
    voter = c.members[1]
    outcomes = _race([lambda o=o: cast(actor=voter, vote=vote, option=o) for o in ("yes", "no")])
    assert sorted(outcomes) == ["ok", "vote_twice"]
    assert sum(VoteOption.objects.filter(vote=vote).values_list("tally", flat=True)) == 1


@pytest.mark.parametrize("entry", ["vote", "uid"])
def test_ballots_racing_the_close_are_counted_in_the_result_or_refused(entry):
    cast = _by(entry)
    c = make_committee(n_members=9, prefix=f"r2{entry}")
    meeting = make_meeting(c)
    running(c, meeting)
    vote = services.create_vote(actor=c.secretary, meeting=meeting, question="Q")
    services.open_vote(actor=c.secretary, vote=vote)
    fns = [(lambda u=u: cast(actor=u, vote=vote, option="yes")) for u in c.members]
    fns.insert(4, lambda: services.close_vote(actor=c.secretary, vote=vote))
    outcomes = _race(fns)
    vote = Vote.objects.get(pk=vote.pk)
    accepted = [o for i, o in enumerate(outcomes) if i != 4 and o == "ok"]
    refused = [o for i, o in enumerate(outcomes) if i != 4 and o != "ok"]
    assert set(refused) <= {"vote_closed"}
    tallies = sum(VoteOption.objects.filter(vote=vote).values_list("tally", flat=True))
    # what was published is what was counted, and every accepted ballot is in it
    assert vote.result["cast"] == tallies == len(accepted)
    assert EntitledVoter.objects.filter(vote=vote, has_voted=True).count() == len(accepted)
