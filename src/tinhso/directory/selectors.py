"""Read queries of the directory, used by pages, the API and other apps.

Subtree reads use the materialised `path` ("/1/7/42/"): one prefix scan of an index.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from django.db.models import Case, IntegerField, Prefetch, Q, QuerySet, Value, When
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from tinhso.core.collation import vi
from tinhso.core.errors import NotFound
from tinhso.core.stamps import Kept, Stamp
from tinhso.core.text import fold
from tinhso.directory.codes import normalize_any
from tinhso.directory.models import AdministrativeUnit, Agency, AgencyEvent, Membership

MAX_TREE_DEPTH = 10


class AgencyNotFound(NotFound):
    code = "agency_not_found"


def get_agency(code: str) -> Agency:
    """The agency with this code, in either form (Decision 20 or QCVN 102).

    Raises InvalidAgencyCode (400, `invalid_agency_code`) for a malformed code and
    AgencyNotFound (404, `agency_not_found`) for an unknown one.
    """
    form, normalised = normalize_any(code)
    lookup = {"code": normalised} if form == "decision20" else {"legacy_code": normalised}
    agency = (
        Agency.objects.select_related("parent", "admin_unit", "successor").filter(**lookup).first()
    )
    if agency is None:
        raise AgencyNotFound(f"Không tìm thấy cơ quan có mã định danh '{normalised}'.")
    return agency


def roots(*, include_closed: bool = False) -> QuerySet[Agency]:
    qs = Agency.objects.filter(parent__isnull=True)
    return qs if include_closed else qs.active()


def children(agency: Agency, *, include_closed: bool = False) -> QuerySet[Agency]:
    qs = Agency.objects.filter(parent=agency)
    return qs if include_closed else qs.active()


def subtree(
    agency: Agency, *, include_closed: bool = False, max_depth: int | None = None
) -> QuerySet[Agency]:
    """The agency and everything below it (path prefix), ordered by path."""
    qs = Agency.objects.subtree_of(agency)
    if not include_closed:
        qs = qs.active()
    if max_depth is not None:
        qs = qs.filter(depth__lte=agency.depth + max_depth)
    return qs.order_by("path")


def ancestors(agency: Agency) -> list[Agency]:
    """The chain of parents, the root first (the agency itself excluded)."""
    ids = [int(part) for part in agency.path.strip("/").split("/")[:-1] if part]
    if not ids:
        return []
    by_id = {a.pk: a for a in Agency.objects.filter(pk__in=ids)}
    return [by_id[i] for i in ids if i in by_id]


def predecessors(agency: Agency) -> QuerySet[Agency]:
    return Agency.objects.filter(successor=agency).order_by("closed_on", "code")


def history(agency: Agency) -> QuerySet[AgencyEvent]:
    return agency.events.select_related("successor").order_by("effective_on", "id")


def visible_agencies(user: Any) -> QuerySet[Agency]:
    """What this official can see (their agencies; subtrees for leaders and admins)."""
    return Agency.objects.visible_to(user)


_STATUS_LABELS = dict(Agency.Status.choices)


class AgencyRow(NamedTuple):
    """A lean, read-only agency for trees and lists (a tuple, not a model instance: several
    times faster to load)."""

    id: int
    uid: Any
    code: str
    legacy_code: str | None
    name: str
    short_name: str
    kind: str
    status: str
    parent_id: int | None
    depth: int
    closed_on: Any

    @property
    def pk(self) -> int:
        return self.id

    @property
    def is_active(self) -> bool:
        return self.status == Agency.Status.ACTIVE

    def get_status_display(self) -> str:
        return str(_STATUS_LABELS.get(self.status, self.status))


def subtree_rows(
    agency: Agency, *, include_closed: bool = False, max_depth: int | None = None
) -> list[AgencyRow]:
    """`subtree()` as lean rows, ordered by path."""
    qs = subtree(agency, include_closed=include_closed, max_depth=max_depth)
    return [AgencyRow._make(v) for v in qs.values_list(*AgencyRow._fields)]


@dataclass
class TreeNode:
    agency: AgencyRow
    children: list[TreeNode] = field(default_factory=list)
    has_more: bool = False  # children exist below the loaded depth


def tree(
    root: Agency | None = None, *, depth: int = 2, include_closed: bool = False
) -> list[TreeNode]:
    """The tree under `root` (or of all top-level agencies) down to `depth` levels below,
    in one query. Nodes at the last level say whether they have children (`has_more`)."""
    depth = max(0, min(depth, MAX_TREE_DEPTH))
    if root is not None:
        qs = subtree(root, include_closed=include_closed, max_depth=depth + 1)
        base_depth = root.depth
    else:
        qs = Agency.objects.filter(depth__lte=depth + 1)
        if not include_closed:
            qs = qs.active()
        qs = qs.order_by("path")
        base_depth = 0
    nodes: dict[int, TreeNode] = {}
    top: list[TreeNode] = []
    beyond: set[int] = set()
    for values in qs.values_list(*AgencyRow._fields):
        agency = AgencyRow._make(values)
        if agency.depth > base_depth + depth:
            beyond.add(agency.parent_id or 0)
            continue
        node = TreeNode(agency)
        nodes[agency.id] = node
        parent = nodes.get(agency.parent_id) if agency.parent_id else None
        if (root is not None and agency.id == root.pk) or parent is None:
            top.append(node)
        else:
            parent.children.append(node)
    for pk in beyond:
        if pk in nodes:
            nodes[pk].has_more = True
    for node in nodes.values():
        node.children.sort(key=lambda n: n.agency.code)
    if root is not None:
        top = [n for n in top if n.agency.id == root.pk]
    else:
        top = [n for n in top if n.agency.parent_id is None]
    return sorted(top, key=lambda n: n.agency.code)


def search_agencies(
    q: str, *, include_closed: bool = True, limit: int | None = 50
) -> QuerySet[Agency]:
    """Diacritics-insensitive search over names ("so tai chinh" finds "Sở Tài chính") and
    codes of either form. Every word must match; active agencies and whole-phrase matches
    come first."""
    text = (q or "").strip()
    folded = fold(text)
    if not folded:
        return Agency.objects.none()
    words = folded.split()
    by_words = Q()
    for word in words:
        by_words &= Q(name_folded__contains=word)
    upper = text.upper()
    qs = Agency.objects.filter(
        by_words | Q(code__startswith=upper) | Q(legacy_code=upper)
    ).select_related("parent")
    if not include_closed:
        qs = qs.active()
    qs = qs.annotate(
        _active=Case(
            When(status=Agency.Status.ACTIVE, then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        ),
        _phrase=Case(
            When(Q(code=upper) | Q(legacy_code=upper), then=Value(0)),
            When(name_folded__startswith=folded, then=Value(1)),
            When(name_folded__contains=folded, then=Value(2)),
            default=Value(3),
            output_field=IntegerField(),
        ),
    ).order_by("_active", "_phrase", "depth", vi("name"))
    return qs if limit is None else qs[:limit]  # None: every match, for a paginated list


def current_memberships() -> QuerySet[Membership]:
    return Membership.objects.filter(ended_on__isnull=True, agency__status=Agency.Status.ACTIVE)


def search_people(q: str, *, limit: int = 50) -> list[Membership]:
    """Officials by folded full name (every word must match), one row per current post."""
    return list(people_matching(q)[:limit])


def people_matching(q: str) -> QuerySet[Membership]:
    """`search_people` as a query (for a paginated list)."""
    words = fold(q).split()
    if not words:
        return Membership.objects.none()
    cond = Q()
    for word in words:
        cond &= Q(person_name_folded__contains=word)
    return (
        current_memberships()
        .filter(cond)
        .select_related("user", "agency", "position", "org_unit")
        .order_by(vi("user__full_name"), "user_id", "position__rank")
    )


def agency_people(agency: Agency) -> list[Membership]:
    return list(
        agency.memberships.filter(ended_on__isnull=True)
        .select_related("user", "position", "org_unit")
        .order_by("position__rank", vi("user__full_name"))
    )


def agency_org_units(agency: Agency):
    return agency.org_units.filter(is_active=True).prefetch_related(
        Prefetch(
            "memberships",
            queryset=Membership.objects.filter(ended_on__isnull=True).select_related(
                "user", "position"
            ),
        )
    )


def person_posts(user: Any) -> list[Membership]:
    return list(
        Membership.objects.filter(user=user)
        .select_related("agency", "position", "org_unit")
        .order_by("ended_on", "-is_primary", "position__rank")
    )


def admin_units(*, level: str | None = None, active: bool | None = None):
    qs = AdministrativeUnit.objects.select_related("parent", "successor").order_by("code")
    if level:
        qs = qs.filter(level=level)
    if active is not None:
        qs = qs.filter(is_active=active)
    return qs


def _char_fold(ch: str) -> str:
    if ch in "đĐ":
        return "d"
    decomposed = unicodedata.normalize("NFD", ch)
    return "".join(c for c in decomposed if unicodedata.category(c) != "Mn").lower()


def highlight(text: str, q: str) -> SafeString:
    """`text` HTML-escaped with every (diacritics-insensitive) match of a word of `q`
    wrapped in <mark>."""
    text = text or ""
    words = sorted({w for w in fold(q).split() if w}, key=len, reverse=True)
    if not words:
        return mark_safe(escape(text))  # noqa: S308 (escaped above)
    folded_chars: list[str] = []
    owner: list[int] = []  # folded index -> original index
    for i, ch in enumerate(text):
        for c in _char_fold(ch):
            folded_chars.append(c)
            owner.append(i)
    folded = "".join(folded_chars)
    marked = [False] * len(text)
    for word in words:
        start = folded.find(word)
        while start != -1:
            for k in range(start, start + len(word)):
                marked[owner[k]] = True
            start = folded.find(word, start + len(word))
    out: list[str] = []
    in_mark = False
    for i, ch in enumerate(text):
        if marked[i] and not in_mark:
            out.append("<mark>")
            in_mark = True
        elif not marked[i] and in_mark:
            out.append("</mark>")
            in_mark = False
        out.append(escape(ch))
    if in_mark:
        out.append("</mark>")
    return mark_safe("".join(out))  # noqa: S308 (every character escaped)


def agencies_by_ids(ids) -> QuerySet[Agency]:
    """The agencies with these primary keys (for apps that hold agency ids: reporting)."""
    return Agency.objects.filter(pk__in=list(ids))


# Every active agency is an option of the documents' forms (a sender, the recipients):
# hundreds in a province, read and made into objects on each form page while they change
# a few times a year. Each process keeps them; a change to an agency is seen at once here
# and at the next request in the machine's other processes (`core.stamps`); what a form
# accepts is still looked up in the database.
AGENCIES = Stamp("directory-agencies")
AGENCY_OPTIONS_SECONDS = 300


class AgencyOption(NamedTuple):
    pk: int
    name: str
    kind: str


def _load_agency_options() -> list[AgencyOption]:
    rows = Agency.objects.active().order_by(vi("name")).values_list("pk", "name", "kind")
    return [AgencyOption(*row) for row in rows]


_kept_agency_options = Kept(AGENCIES, _load_agency_options, seconds=AGENCY_OPTIONS_SECONDS)


def agency_options() -> list[AgencyOption]:
    """(pk, name, kind) of each active agency, in Vietnamese name order."""
    return _kept_agency_options.get()
