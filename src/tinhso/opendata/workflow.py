"""The publication workflow of a dataset, as one table read by services and pages.

draft --submit--> pending --approve--> published --withdraw--> withdrawn
                  pending --reject---> draft            withdrawn --submit--> pending
"""

from __future__ import annotations

from typing import NamedTuple

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from tinhso.opendata.models import DatasetState as S


class Transition(NamedTuple):
    name: str
    label: Promise
    sources: tuple[str, ...]
    target: str
    needs_reason: bool = False


TRANSITIONS = {
    t.name: t
    for t in [
        Transition("submit", _("Gửi duyệt"), (S.DRAFT, S.WITHDRAWN), S.PENDING),
        Transition("approve", _("Duyệt và công bố"), (S.PENDING,), S.PUBLISHED),
        Transition("reject", _("Trả lại"), (S.PENDING,), S.DRAFT, needs_reason=True),
        Transition("withdraw", _("Rút khỏi cổng"), (S.PUBLISHED,), S.WITHDRAWN, needs_reason=True),
    ]
}


def allowed(state: str) -> list[Transition]:
    return [t for t in TRANSITIONS.values() if state in t.sources]
