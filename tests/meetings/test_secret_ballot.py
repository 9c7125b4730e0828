"""A secret vote keeps no link between voter and choice — proved by reading the
database itself — while nobody votes twice."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import connection

from tinhso.audit.models import AuditEntry
from tinhso.core.errors import DomainError
from tinhso.meetings import services
from tinhso.meetings.models import EntitledVoter, NamedBallot, VoteOption

from .conftest import running


def _secret_vote(c, meeting):
    running(c, meeting)
    vote = services.create_vote(
        actor=c.secretary, meeting=meeting, question="Bầu Phó Chủ tịch", kind="secret"
    )
    services.open_vote(actor=c.secretary, vote=vote)
    choices = dict(
        zip([u.pk for u in c.members], ["yes", "no", "yes", "abstain", "yes"], strict=True)
    )
    for user in c.members:
        services.cast_vote(actor=user, vote=vote, option=choices[user.pk])
    return vote, choices


def _columns(table: str) -> set[str]:
    with connection.cursor() as cursor:
        return {c.name for c in connection.introspection.get_table_description(cursor, table)}


def test_the_database_holds_no_link_between_voter_and_choice(committee, meeting):
    c = committee
    vote, choices = _secret_vote(c, meeting)
    with pytest.raises(DomainError) as twice:
        services.cast_vote(actor=c.members[0], vote=vote, option="no")
    assert twice.value.code == "vote_twice"
    vote = services.close_vote(actor=c.secretary, vote=vote)
    assert dict(VoteOption.objects.filter(vote=vote).values_list("code", "tally")) == {
        "yes": 3,
        "no": 1,
        "abstain": 1,
    }

    # 1. No table references both a user and a vote option: the only table pointing at
    #    options with a user column is the named ballot, which holds nothing for this vote.
    option_table = VoteOption._meta.db_table
    user_table = apps.get_model("accounts", "User")._meta.db_table
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
        linking = []
        for table in tables:
            targets = {
                target
                for _col, (_tcol, target) in connection.introspection.get_relations(
                    cursor, table
                ).items()
            }
            if option_table in targets and user_table in targets:
                linking.append(table)
    assert linking == [NamedBallot._meta.db_table]
    assert not NamedBallot.objects.filter(vote=vote).exists()

    # 2. Who voted is kept without what or when (no time to line up with the counters).
    assert _columns(EntitledVoter._meta.db_table) == {
        "id",
        "vote_id",
        "user_id",
        "present",
        "has_voted",
    }
    assert EntitledVoter.objects.filter(vote=vote, has_voted=True).count() == 5
    # ... and the counters carry no voter, no time.
    assert _columns(option_table) == {"id", "vote_id", "order", "code", "label", "tally"}

    # 3. The audit trail says that each member voted, never what.
    entries = AuditEntry.objects.filter(action="meetings.cast_secret", object_id=str(vote.uid))
    assert entries.count() == 5
    for entry in entries:
        text = str(entry.summary) + entry.object_repr
        assert "option" not in entry.summary
        assert not any(code in text for code in ("'yes'", "'no'", "'abstain'"))

    # 4. Nothing else in the database mentions a voter's choice next to their id: no row
    #    of any table contains both a voter's id (as a user reference) and an option code.
    for model in apps.get_models():
        user_fks = [
            f.attname
            for f in model._meta.concrete_fields
            if f.is_relation and f.related_model is apps.get_model("accounts", "User")
        ]
        if not user_fks or model is NamedBallot:
            continue
        for row in model.objects.filter(**{f"{user_fks[0]}__in": list(choices)}).values():
            own_choice = choices.get(row[user_fks[0]])
            assert not any(isinstance(v, str) and v == own_choice for v in row.values()), (
                model,
                row,
            )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_row_versions_do_not_name_the_last_voter_of_each_choice(committee, meeting):
    """PostgreSQL keeps, per row, the transaction that last wrote it (xmin): closing
    rewrites the counters and the voters' rows in one transaction, so all carry one."""
    c = committee
    vote, _choices = _secret_vote(c, meeting)
    services.close_vote(actor=c.secretary, vote=vote)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT DISTINCT xmin::text FROM {VoteOption._meta.db_table} WHERE vote_id = %s "
            f"UNION SELECT DISTINCT xmin::text FROM {EntitledVoter._meta.db_table} "
            "WHERE vote_id = %s",
            [vote.pk, vote.pk],
        )
        assert len(cursor.fetchall()) == 1
