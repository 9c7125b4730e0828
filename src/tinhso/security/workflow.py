"""The incident's state machine as one table, read by the services, pages and API alike."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from tinhso.security.models import Incident

S = Incident.Status
OPEN_STATES = frozenset({S.NEW, S.INVESTIGATING, S.CONTAINED})


@dataclass(frozen=True)
class Transition:
    code: str
    label: str | Promise
    sources: frozenset[str]
    target: str
    needs_resolution: bool = False
    needs_evidence: bool = False
    style: str = "outline-primary"


TRANSITIONS: dict[str, Transition] = {
    t.code: t
    for t in [
        Transition("start", _("Bắt đầu xử lý"), frozenset({S.NEW}), S.INVESTIGATING),
        Transition("contain", _("Đã ngăn chặn"), frozenset({S.INVESTIGATING}), S.CONTAINED),
        Transition(
            "resolve",
            _("Đã khắc phục"),
            OPEN_STATES,
            S.RESOLVED,
            needs_resolution=True,
        ),
        Transition(
            "close",
            _("Đóng sự cố"),
            OPEN_STATES | {S.RESOLVED},
            S.CLOSED,
            needs_resolution=True,
            needs_evidence=True,
            style="success",
        ),
        Transition(
            "reopen",
            _("Mở lại"),
            frozenset({S.RESOLVED, S.CLOSED}),
            S.INVESTIGATING,
            style="outline-danger",
        ),
    ]
}


def allowed(incident: Incident) -> list[Transition]:
    return [t for t in TRANSITIONS.values() if incident.status in t.sources]
