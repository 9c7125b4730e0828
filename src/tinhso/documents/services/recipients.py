"""Saved recipient groups: dozens of recipients picked at once when dispatching."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import transaction

from tinhso.accounts.rules import require
from tinhso.audit.services import record
from tinhso.core.errors import Conflict, ValidationFailed
from tinhso.documents.errors import DocumentErrorCode as E
from tinhso.documents.models import RecipientGroup


@transaction.atomic
def create_recipient_group(
    *, actor: Any, agency: Any, name: str, members: Sequence[Any]
) -> RecipientGroup:
    """The agency's clerk or leader saves a list of recipients under a name."""
    require(actor, "documents.register_incoming", agency)  # the agency's clerk or leader
    name = " ".join((name or "").split())[:120]
    if not name:
        raise ValidationFailed("Vui lòng đặt tên nhóm nơi nhận.", code=E.GROUP_NAME_REQUIRED)
    if not members:
        raise ValidationFailed("Nhóm cần ít nhất một nơi nhận.", code=E.NO_RECIPIENTS)
    if RecipientGroup.objects.filter(agency=agency, name=name).exists():
        raise Conflict(f"Đã có nhóm nơi nhận '{name}'.", code=E.GROUP_EXISTS)
    group = RecipientGroup.objects.create(agency=agency, name=name, created_by=actor)
    group.members.set(members)
    record(
        actor=actor,
        action="documents.create_recipient_group",
        obj=group,
        agency=agency,
        summary={"name": name, "members": [a.code for a in members]},
    )
    return group
