"""The categories and the routing table, kept in each web process (tinhso.core.stamps).

Every report's intake reads its category (with the tier that sets its deadline) and the
route of its commune: the same few rows all day, changed a few times a year by the
centre. Reading them from memory took three of a report's sixteen statements away. A
change (the models' signals, `apps.py`) is seen at once on this machine; other machines
see it within REFERENCE_SECONDS.

What these functions return is shared by the process's requests: read it, never change it.
"""

from __future__ import annotations

from tinhso.core.stamps import Kept, Stamp
from tinhso.directory.models import Agency
from tinhso.feedback.models import Category, Route

REFERENCE_SECONDS = 30
STAMP = Stamp("feedback-reference")


def _categories() -> dict[str, Category]:
    return {c.code: c for c in Category.objects.select_related("tier").filter(is_active=True)}


def _routes() -> dict[tuple[int | None, int | None], Agency]:
    """(category id or None, administrative unit id or None) → its agency, if active."""
    return {
        (r.category_id, r.admin_unit_id): r.agency
        for r in Route.objects.select_related("agency")
        if r.agency.is_active
    }


_kept_categories = Kept(STAMP, _categories, REFERENCE_SECONDS)
_kept_routes = Kept(STAMP, _routes, REFERENCE_SECONDS)


def active_category(code: str) -> Category | None:
    return _kept_categories.get().get(code)


def route(category_id: int, unit_id: int | None) -> Agency | None:
    """The handling agency: (category, unit) first, then (category, any unit), then
    (any category, unit)."""
    routes = _kept_routes.get()
    for key in ((category_id, unit_id), (category_id, None), (None, unit_id)):
        agency = routes.get(key)
        if agency is not None:
            return agency
    return None


def changed(**_kwargs) -> None:
    STAMP.changed()
