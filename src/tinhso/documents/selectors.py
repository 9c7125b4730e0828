"""Reads: lookups, the user's workspace, search, registers and statistics."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from functools import cached_property
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _

from tinhso.accounts.models import Role, User
from tinhso.accounts.rules import (
    agency_in,
    can,
    holds_role,
    is_platform_admin,
    visible_agency_filter,
    visible_agency_ids,
)
from tinhso.core import prepared
from tinhso.core.collation import vi
from tinhso.core.errors import NotFound, ValidationFailed
from tinhso.core.replica import replica_reads
from tinhso.core.text import fold
from tinhso.documents.errors import DocumentErrorCode as E
from tinhso.documents.models import (
    Assignment,
    DocumentFile,
    IncomingDocument,
    OutgoingDocument,
    ReadReceipt,
    Recipient,
    Register,
    ReviewStep,
    WorkRecord,
)
from tinhso.documents.rules import OFFICE_ROLES

# ---------------------------------------------------------------------------------------
# Lookups


def get_incoming(uid: Any) -> IncomingDocument:
    """With its agency, register and sender: read on every page of the document and every
    action on it, its SQL written once (`core.prepared.one`)."""
    document = prepared.one(IncomingDocument, "uid", uid, ("agency", "register", "sender_agency"))
    if document is None:
        raise NotFound("Không tìm thấy văn bản đến.")
    return document


def get_outgoing(uid: Any) -> OutgoingDocument:
    """With its agency, register, drafter, signer and drafting unit (as `get_incoming`)."""
    document = prepared.one(
        OutgoingDocument,
        "uid",
        uid,
        ("agency", "register", "drafter", "signer", "drafting_unit"),
    )
    if document is None:
        raise NotFound("Không tìm thấy văn bản đi.")
    return document


def get_assignment(pk: Any) -> Assignment:
    try:
        return Assignment.objects.select_related("document", "document__agency").get(pk=int(pk))
    except (Assignment.DoesNotExist, ValueError, TypeError):
        raise NotFound("Không tìm thấy phần việc được giao.") from None


def get_work_record(uid: Any) -> WorkRecord:
    try:
        return WorkRecord.objects.select_related("agency", "owner").get(uid=uid)
    except (WorkRecord.DoesNotExist, ValueError, TypeError, ValidationError):
        raise NotFound("Không tìm thấy hồ sơ công việc.") from None


def incoming_for(user, uid: Any) -> IncomingDocument:
    """The incoming document if `user` may read it; "not found" otherwise (whoever may not
    know it exists gets the same answer as for a wrong id)."""
    document = get_incoming(uid)
    if not can(user, "documents.view_incoming", document):
        raise NotFound("Không tìm thấy văn bản đến.")
    return document


def outgoing_for(user, uid: Any) -> OutgoingDocument:
    document = get_outgoing(uid)
    if not can(user, "documents.view_outgoing", document):
        raise NotFound("Không tìm thấy văn bản đi.")
    return document


def assignment_for(user, pk: Any) -> Assignment:
    assignment = get_assignment(pk)
    if not can(user, "documents.view_incoming", assignment.document):
        raise NotFound("Không tìm thấy phần việc được giao.")
    return assignment


def work_record_for(user, uid: Any) -> WorkRecord:
    record = get_work_record(uid)
    if not can(user, "documents.manage_work_record", record.agency):
        raise NotFound("Không tìm thấy hồ sơ công việc.")
    return record


def register_visible_to(user, pk: Any) -> Register:
    register = get_register(pk)
    if not can(user, "documents.view_agency", register.agency):
        raise NotFound("Không tìm thấy sổ văn bản.")
    return register


def file_for(user, pk: Any) -> DocumentFile:
    try:
        doc_file = DocumentFile.objects.select_related(
            "incoming", "incoming__agency", "outgoing", "outgoing__agency"
        ).get(pk=int(pk))
    except (DocumentFile.DoesNotExist, ValueError, TypeError):
        raise NotFound("Không tìm thấy tệp.") from None
    if doc_file.incoming_id:
        visible = can(user, "documents.view_incoming", doc_file.incoming)
    else:
        visible = can(user, "documents.view_outgoing", doc_file.outgoing)
    if not visible:
        raise NotFound("Không tìm thấy tệp.")
    return doc_file


def office_agencies(user, roles=None):
    """Agencies where the user works with documents (direct roles and subtree leaders)."""
    from tinhso.directory.models import Agency

    return Agency.objects.filter(visible_agency_filter(user, roles or OFFICE_ROLES))


def is_office_user(user) -> bool:
    """An official who works with documents: a document role somewhere, a current post, or
    work given to them. Citizens are none of these."""
    from tinhso.directory.models import Membership

    if not getattr(user, "is_authenticated", False):
        return False
    if holds_role(user, OFFICE_ROLES):
        return True
    if Membership.objects.filter(user_id=user.pk, ended_on__isnull=True).exists():
        return True
    return (
        Assignment.objects.filter(assignee_id=user.pk).exists()
        or ReviewStep.objects.filter(reviewer_id=user.pk).exists()
    )


def _user_units(user) -> list[int]:
    """The org units of the user's current posts, read once per user object (the desk
    asks twice)."""
    from tinhso.directory.models import Membership

    units = user.__dict__.get("_tinhso_units")
    if units is None:
        units = user.__dict__["_tinhso_units"] = list(
            Membership.objects.filter(
                user_id=user.pk, ended_on__isnull=True, org_unit__isnull=False
            ).values_list("org_unit_id", flat=True)
        )
    return units


OPEN_ASSIGNMENT = (Assignment.Status.PENDING, Assignment.Status.IN_PROGRESS)


def my_assignments(user, *, open_only: bool = True) -> QuerySet[Assignment]:
    qs = Assignment.objects.filter(Q(assignee_id=user.pk) | Q(unit_id__in=_user_units(user)))
    if open_only:
        qs = qs.filter(status__in=OPEN_ASSIGNMENT)
    return qs.select_related("document", "document__agency", "unit", "assignee").order_by(
        "deadline", "-id"
    )


def my_parts(
    user, document: IncomingDocument, *, among: list[Assignment] | None = None
) -> list[tuple[Assignment, list[Assignment]]]:
    """The user's open parts of one document as one box: the main part (lead before
    cooperate) with the other parts the same person also holds (e.g. lead in person and
    cooperating through their unit), instead of two identical boxes.

    `among`: every assignment of the document, already read (the page's follow-up): the
    user's open parts are picked from them as `my_assignments` picks them, not read again."""
    if among is None:
        candidates = list(my_assignments(user).filter(document=document))
    else:
        units = set(_user_units(user))
        candidates = [
            a
            for a in among
            if a.document_id == document.pk
            and (a.assignee_id == user.pk or (a.unit_id is not None and a.unit_id in units))
            and a.status in OPEN_ASSIGNMENT
        ]
        for a in candidates:
            a.document = document
    open_parts = [a for a in candidates if a.kind != Assignment.Kind.INFO]
    if not open_parts:
        return []
    weight: dict[str, int] = {Assignment.Kind.LEAD: 0, Assignment.Kind.COOPERATE: 1}
    open_parts.sort(key=lambda a: (weight.get(a.kind, 2), a.assignee_id is None, a.pk))
    main, *others = open_parts
    return [(main, others)]


def signing_method(user, document: OutgoingDocument) -> dict[str, Any]:
    """How the leader's "Duyệt và ký số" would sign, shown before they confirm: the
    certificate the signing service would pick (where its key is, serial, valid until)."""
    try:
        from tinhso.signing.models import Certificate
        from tinhso.signing.services.sign import select_certificate
    except ImportError:  # pragma: no cover - signing app missing
        return {"available": False, "reason": _("Chức năng ký số chưa sẵn sàng.")}
    from tinhso.core.errors import DomainError

    try:
        cert = select_certificate(owner_user=user, agency=document.agency)
    except DomainError as err:
        return {"available": False, "reason": err.message}
    methods: dict[str, str] = {
        Certificate.Storage.SERVER: _("chứng thư số lưu trên máy chủ (khóa bí mật được mã hóa)"),
        Certificate.Storage.PKCS11: _("thiết bị ký số PKCS#11 (token/HSM)"),
    }
    where = methods.get(str(cert.storage)) or str(cert.get_storage_display())
    return {
        "available": True,
        "method": where,
        "subject": cert.common_name,
        "serial": cert.serial_hex,
        "not_after": cert.not_after,
    }


# ---------------------------------------------------------------------------------------
# Workspace


DESK_ROWS = 10  # rows each list of the desk shows; the rest are counted
DESK_COUNT_CAP = 1000  # a list is counted up to this many rows ("more than 990 others")


@dataclass
class Workspace:
    to_register: list = field(default_factory=list)
    to_assign: list = field(default_factory=list)
    to_handle: list = field(default_factory=list)
    drafts: list = field(default_factory=list)
    to_review: list = field(default_factory=list)
    to_sign: list = field(default_factory=list)
    to_number: list = field(default_factory=list)
    overdue: list = field(default_factory=list)
    # rows in each list, counted up to DESK_COUNT_CAP (not only those read)
    counts: dict[str, int] = field(default_factory=dict)

    def as_counts(self) -> dict[str, int]:
        return dict(self.counts)

    @cached_property
    def badges(self) -> dict[str, str]:
        """Each list's count as its heading shows it ("1000+" at the cap)."""
        return {k: f"{n}+" if n >= DESK_COUNT_CAP else str(n) for k, n in self.counts.items()}

    @cached_property
    def more(self) -> dict[str, int]:
        """Rows counted beyond those read, per list."""
        return {k: max(0, n - len(getattr(self, k))) for k, n in self.counts.items()}

    @cached_property
    def capped(self) -> dict[str, bool]:
        return {k: n >= DESK_COUNT_CAP for k, n in self.counts.items()}


LIST_NAMES = tuple(name for name in Workspace.__dataclass_fields__ if name != "counts")


def workspace(user, *, limit: int | None = None) -> Workspace:
    """The desk's lists, the first `limit` rows of each, and how many rows each has.

    How many rows each list has is asked first, in one statement (a count per list, up
    to DESK_COUNT_CAP), and only the lists with rows are read: most desks are mostly
    empty, and each list's statement (a wide select over two or three tables) cost more
    CPU to build than PostgreSQL took to run it (a clerk's empty desk: seven statements,
    13.5 ms of CPU). The counting statement's SQL is written once per person and
    agencies (`core.prepared`), run with today's date."""
    today = timezone.localdate()
    counts = _counts(user, today)
    lists = _desk_lists(user, today)
    limit = DESK_ROWS if limit is None else limit
    return Workspace(
        **{name: list(build()[:limit]) if counts[name] else [] for name, build in lists.items()},
        counts=counts,
    )


def _desk_lists(user, today: date) -> dict[str, Callable[[], QuerySet]]:
    """Each list's query, built when asked for (building one cost more than reading an
    empty list; a desk shows the lists that have rows). Agencies are id lists
    (`agency_in`): a list for a role the user does not hold matches nothing without a
    query."""

    def clerk_agencies() -> Q:
        return agency_in("agency", user, {Role.CLERK})

    def leader_agencies() -> Q:
        return agency_in("agency", user, {Role.LEADER})

    return {
        "to_register": lambda: IncomingDocument.objects.filter(
            clerk_agencies(), status=IncomingDocument.Status.PENDING
        ).select_related("agency"),
        "to_assign": lambda: IncomingDocument.objects.filter(
            leader_agencies(), status=IncomingDocument.Status.REGISTERED
        ).select_related("agency"),
        "to_handle": lambda: my_assignments(user).exclude(kind=Assignment.Kind.INFO),
        "drafts": lambda: OutgoingDocument.objects.filter(
            drafter_id=user.pk,
            status__in=[OutgoingDocument.Status.DRAFT, OutgoingDocument.Status.IN_REVIEW],
        ).select_related("agency"),
        "to_review": lambda: (
            ReviewStep.objects.filter(reviewer_id=user.pk, status=ReviewStep.Status.PENDING)
            .select_related("document", "document__agency")
            .order_by("id")
        ),
        "to_sign": lambda: OutgoingDocument.objects.filter(
            signer_id=user.pk,
            status__in=[OutgoingDocument.Status.REVIEWED, OutgoingDocument.Status.APPROVED],
        ).select_related("agency"),
        "to_number": lambda: OutgoingDocument.objects.filter(
            clerk_agencies(),
            status__in=[
                OutgoingDocument.Status.SIGNED,
                OutgoingDocument.Status.NUMBERED,
                OutgoingDocument.Status.ISSUED,
            ],
        ).select_related("agency"),
        "overdue": lambda: (
            IncomingDocument.objects.filter(
                leader_agencies()
                | Q(assignments__assignee_id=user.pk)
                | Q(assignments__unit_id__in=_user_units(user)),
                status__in=[
                    IncomingDocument.Status.REGISTERED,
                    IncomingDocument.Status.IN_PROGRESS,
                ],
                deadline__lt=today,
            )
            .distinct()
            .select_related("agency")
            .order_by("deadline")
        ),
    }


_ROWS = prepared.Prepared(User)


def _counts(user, today: date) -> dict[str, int]:
    """How many rows each list has (up to DESK_COUNT_CAP), in one statement (a list
    matching no agency at all counts 0 without being sent). What its SQL depends on but
    for today: the person, the agencies of their clerk and leader roles, their units."""
    shape = (
        user.pk,
        visible_agency_ids(user, [Role.CLERK]),
        visible_agency_ids(user, [Role.LEADER]),
        tuple(_user_units(user)),
        DESK_COUNT_CAP,
    )

    def rows(today: date) -> dict[str, Any] | None:
        lists = _desk_lists(user, today)
        found = (
            User.objects.filter(pk=user.pk)
            .values(**{name: _capped_count(build()) for name, build in lists.items()})
            .first()
        )
        return dict(found) if found is not None else None

    row = _ROWS(shape, rows, today=today)
    return {name: int((row or {}).get(name) or 0) for name in LIST_NAMES}


def _capped_count(rows: QuerySet) -> Subquery:
    """`SELECT COUNT(id) FROM … WHERE id IN (the list's ids LIMIT cap)`: PostgreSQL stops
    at the cap, and a list's joins (a document seen through two assignments) count once.
    `COUNT` as a plain function: no GROUP BY is added around it."""
    ids = rows.order_by().values("pk")[:DESK_COUNT_CAP]
    counted = rows.model._default_manager.filter(pk__in=ids).order_by()
    return Subquery(counted.annotate(n=Func(F("pk"), function="COUNT")).values("n")[:1])


def follow_up(document: IncomingDocument) -> list[dict[str, Any]]:
    """For the leader: each assignment with its state, notes and whether it is overdue."""
    from django.db.models import prefetch_related_objects

    today = timezone.localdate()
    rows = []
    assignments = _of_incoming(Assignment, document, _assignments)
    prefetch_related_objects(assignments, "notes__author")
    for a in assignments:
        open_ = a.status in (Assignment.Status.PENDING, Assignment.Status.IN_PROGRESS)
        rows.append(
            {
                "assignment": a,
                "overdue": bool(open_ and a.deadline and a.deadline < today),
                "late": bool(
                    a.finished_at and a.deadline and timezone.localdate(a.finished_at) > a.deadline
                ),
                "notes": list(a.notes.all()),
            }
        )
    return rows


def _assignments(pk):
    return Assignment.objects.filter(document=pk).select_related("assignee", "unit", "assigned_by")


def _files(pk):
    return DocumentFile.objects.filter(incoming=pk)


def _reads(pk):
    return ReadReceipt.objects.filter(incoming=pk).select_related("user")


def _of_incoming(model, document: IncomingDocument, build, via: str = "document") -> list:
    """The rows of `model` that `build(document id)` selects (the document's page reads
    three such lists: SQL written once per thread, `core.prepared.many`), each row's
    document the page's own."""
    return prepared.many(
        (model, build.__name__),
        build,
        document.pk,
        field=model._meta.get_field(via),
        parent=document,
    )


def incoming_files(document: IncomingDocument) -> list:
    return _of_incoming(DocumentFile, document, _files, via="incoming")


def incoming_reads(document: IncomingDocument) -> list:
    return _of_incoming(ReadReceipt, document, _reads, via="incoming")


# ---------------------------------------------------------------------------------------
# Search

SEARCH_CANDIDATES = 200
# The newest rows (under the agency and date filters) tested one by one before the GIN
# index is asked: common words find their SEARCH_CANDIDATES matches among them.
RECENT_WALK_ROWS = 3000
# An agency's own rows, or rows up to a `date_to`, are walked further: the GIN windows of
# days reach to the newest day of every agency (btree_gin reads `day >= x` to the end, and
# the planner filters the agency afterwards), so they would read many rows left out.
NARROW_WALK_ROWS = 12_000
# A day window whose rows (every agency) would exceed this is not worth narrowing the
# GIN scan with: the rest is asked of the GIN index over all days.
WINDOW_MAX_ROWS = 150_000
# Beyond this many matches of a search without words the page says "more than".
COUNT_AHEAD = 1000


def _day_sql(date_field: str) -> str:
    """The UTC day of a document, as in the (search_tsv, agency, day) GIN index."""
    return f"((\"{date_field}\" AT TIME ZONE 'UTC')::date)"


def _pg_candidates(
    walk_qs,
    row_filter: Q,
    qs,
    folded: str,
    date_field: str,
    since: date | None,
    walk_rows: int,
) -> list[int]:
    """Ids of the most recent SEARCH_CANDIDATES matches (PostgreSQL), newest first.

    The planner cannot know how common a combination of words is ("xa an son giai phong
    mat bang" is seven common words that meet in 0.5 % of documents), and ordering every
    GIN match by date reads each matching row. So, exactly the same matches in two steps:
    1. walk the newest `walk_rows` rows of the agencies/dates asked (date index), testing
       the words and the other filters on each; it stops at the SEARCH_CANDIDATES-th
       match, so common words end here;
    2. from where the walk stopped, go back in windows of days sized from the walk's hit
       rate (`day >= x` in the GIN index on (search_tsv, agency, day)), so only the
       window's matches are read from the table; a window that would cover more than
       WINDOW_MAX_ROWS gives way to the GIN index over every older day (rare words).
    """
    from tinhso.core.replica import current_alias

    alias = current_alias()  # the replica inside search_documents when it serves reads
    match = "search_tsv @@ websearch_to_tsquery('simple', %s)"
    order = [f"-{date_field}", "-id"]
    hit = ExpressionWrapper(
        row_filter & Q(RawSQL(match, [folded], output_field=BooleanField())),  # noqa: S611
        output_field=BooleanField(),
    )
    recent = walk_qs.using(alias).order_by(*order)
    walk = recent.annotate(hit=hit).values_list("pk", "hit")[:walk_rows]
    sql, params = walk.query.sql_with_params()
    with connections[alias].cursor() as cursor:
        # The walk stops at the SEARCH_CANDIDATES-th match (rows come out in date order).
        cursor.execute(
            f"SELECT w.* FROM ({sql}) w WHERE w.hit LIMIT {int(SEARCH_CANDIDATES)}",  # noqa: S608
            params,
        )
        ids = [row[0] for row in cursor.fetchall()]
    if len(ids) >= SEARCH_CANDIDATES:
        return ids
    edges = recent.values_list("pk", date_field)
    last = list(edges[walk_rows - 1 : walk_rows])
    if not last:
        return ids  # fewer rows than the walk: every one was tested
    last_pk, last_at = last[0]
    first_at = edges[0][1]
    older = qs.using(alias).extra(  # noqa: S610
        where=[match, f'("{date_field}", "id") < (%s, %s)'], params=[folded, last_at, last_pk]
    )
    older = older.order_by(*order).values_list("pk", flat=True)
    rows_per_day, oldest = _table_span(qs.model, date_field, alias)
    floor = max(oldest, since) if since else oldest
    walked_days = max((first_at - last_at).total_seconds() / 86400, 1 / 24)
    hits_per_day = max(len(ids), 0.5) / walked_days
    newest_day = first_at.astimezone(UTC).date()
    lower = last_at.astimezone(UTC).date()
    days = 2.5 * (SEARCH_CANDIDATES - len(ids)) / hits_per_day  # a walk of few hits misjudges
    rest = older
    while len(ids) < SEARCH_CANDIDATES:
        need = SEARCH_CANDIDATES - len(ids)
        lower -= timedelta(days=max(1, int(days)))
        # btree_gin reads a `day >= x` range from x to the newest day (`day <= y` would
        # read every day up to y): each window reaches back further from the newest.
        if lower <= floor or (newest_day - lower).days * rows_per_day > WINDOW_MAX_ROWS:
            ids += list(rest[:need])  # the GIN index over every older day
            break
        window = rest.extra(where=[f"{_day_sql(date_field)} >= %s"], params=[lower])  # noqa: S610
        ids += list(window[:need])
        rest = older.filter(**{f"{date_field}__lt": datetime.combine(lower, dtime.min, tzinfo=UTC)})
        days *= 4
    return ids


def _table_span(model, date_field: str, alias: str) -> tuple[float, date]:
    """Documents per day over the whole table (the planner's row count over the date
    span) and the oldest day: the size of a day window, and where windows stop."""
    table = model._meta.db_table
    with connections[alias].cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT reltuples FROM pg_class WHERE oid = %s::regclass), "  # noqa: S608
            f'(SELECT max("{date_field}") FROM {table}), (SELECT min("{date_field}") FROM {table})',
            [table],
        )
        rows, newest, oldest = cursor.fetchone()
    if oldest is None:
        return 1.0, date.min
    days = max((newest - oldest).total_seconds() / 86400, 1.0)
    return max(rows or 0, 1) / days, oldest.astimezone(UTC).date()


_PHRASE = re.compile(r'"([^"]+)"')


@dataclass
class SearchPage:
    kind: str
    items: list
    has_more: bool
    offset: int
    limit: int
    took_ms: float
    total: int = 0  # every match (on PostgreSQL with words: the ranked candidates)
    total_exact: bool = True  # False: at least `total` match ("hơn ... kết quả")


def _day_bounds(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, dtime.min))


def notation_query(q: str) -> tuple[str, bool] | None:
    """When `q` is a number/notation ("07/STC", "01/QĐ-STC", "qd-stc"): its normalised key
    and whether it starts with the number (then matched as a prefix: "07/STC" finds
    "07/STC-QLNS" but not "107/STC"); None for words."""
    from tinhso.documents.services.numbering import notation_key

    compact = re.sub(r"\s*([/-])\s*", r"\1", (q or "").strip())
    if not compact or any(ch.isspace() for ch in compact) or '"' in compact:
        return None
    if "/" not in compact and not ("-" in compact and any(ch.isupper() for ch in compact)):
        return None
    key = notation_key(compact)
    head, sep, _tail = key.partition("/")
    return key, bool(sep and head.isdigit())


def _search_one(
    *,
    user,
    q: str,
    kind: str,
    doc_type: str | None,
    agency: Any,
    register: Any,
    date_from: date | None,
    date_to: date | None,
    status: str | None,
    window: int,
) -> tuple[list, int, bool]:
    """The first `window` matches of one kind, best first, how many match and whether
    that count is exact (a search without words stops counting COUNT_AHEAD rows past
    the page)."""
    model = IncomingDocument if kind == "incoming" else OutgoingDocument
    date_field = "arrived_at" if kind == "incoming" else "created_at"
    # `scope` narrows by index (agencies, register, dates); `row_filter` is tested per row.
    scope = model.objects.all()
    office_ids = visible_agency_ids(user, OFFICE_ROLES)  # None: every agency (an admin)
    if office_ids is not None:
        # An explicit list (a handful of agencies) plans better than a subquery; the ids
        # are the user object's, read once for both kinds.
        scope = scope.filter(agency_id__in=sorted(office_ids))
    if agency is not None:
        scope = scope.filter(agency=agency)
    if register is not None:
        scope = scope.filter(register=register)
    if date_from:
        scope = scope.filter(**{f"{date_field}__gte": _day_bounds(date_from)})
    if date_to:
        scope = scope.filter(**{f"{date_field}__lt": _day_bounds(date_to + timedelta(days=1))})
    row_filter = Q()
    if kind == "incoming":
        row_filter &= ~Q(status=IncomingDocument.Status.PENDING)
    if doc_type:
        row_filter &= Q(doc_type=doc_type)
    if status:
        if status not in model.Status.values:
            return [], 0, True  # a status of the other kind: exactly none
        row_filter &= Q(status=status)
    qs = scope.filter(row_filter)
    order = [f"-{date_field}", "-id"]
    folded = fold(q)
    notation = notation_query(q)
    counted = True
    candidates: int | None = None  # PostgreSQL with words: how many the walk found
    if notation is not None:
        key, prefix = notation
        lookup = "notation_key__startswith" if prefix else "notation_key__contains"
        qs = qs.filter(**{lookup: key}).order_by(*order)
    elif folded:
        if connection.vendor == "postgresql":
            # An incoming document's search_tsv holds its sender too (migration 0007).
            narrow = agency is not None or date_to is not None or not is_platform_admin(user)
            walk_rows = NARROW_WALK_ROWS if narrow else RECENT_WALK_ROWS
            ids = _pg_candidates(scope, row_filter, qs, folded, date_field, date_from, walk_rows)
            candidates = len(ids)
            rank = "ts_rank(search_tsv, websearch_to_tsquery('simple', %s))"
            qs = (
                model.objects.filter(pk__in=ids)
                .extra(select={"rank": rank}, select_params=[folded])  # noqa: S610
                .order_by("-rank", *order)
            )
        else:
            phrases = _PHRASE.findall(folded)
            words = _PHRASE.sub(" ", folded).replace('"', " ").split()
            for term in [*phrases, *words]:
                match = Q(subject_folded__contains=term) | Q(text_folded__contains=term)
                if kind == "incoming":
                    match |= Q(sender_folded__contains=term)
                qs = qs.filter(match)
            qs = qs.order_by(*order)
    else:
        qs = qs.order_by(*order)
        counted = False
    qs = qs.select_related("agency").defer("text_folded")
    found = list(qs[:window])
    if len(found) < window:
        return found, len(found), True
    if candidates is not None:
        return found, candidates, True  # the ranked statement selects exactly those ids
    if counted:
        return found, qs.count(), True
    # Every document of a desk: counted only so far ahead (the page says "more than").
    ahead = window - 1 + COUNT_AHEAD
    total = qs.order_by()[: ahead + 1].count()
    return found, min(total, ahead), total <= ahead


SEARCH_KINDS = ("all", "incoming", "outgoing")


@replica_reads
def search_documents(
    *,
    user,
    q: str = "",
    kind: str = "incoming",
    doc_type: str | None = None,
    agency: Any = None,
    register: Any = None,
    date_from: date | None = None,
    date_to: date | None = None,
    status: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> SearchPage:
    """Diacritics-insensitive search over subject, the PDF text and (incoming) the sender;
    a query that is a number/notation ("07/STC", "01/QĐ-STC") finds the document by it.

    Words are ANDed; "quoted words" must appear together. `kind` "all" searches incoming
    and outgoing documents together (newest first). Results are the documents of the
    agencies the user works in. On PostgreSQL the generated `search_tsv` (GIN) is used and
    the most recent SEARCH_CANDIDATES matches are ranked with ts_rank; on SQLite the folded
    columns are matched with LIKE and ordered by date. The API is the same on both.
    """
    started = time.perf_counter()
    if kind not in SEARCH_KINDS:
        raise ValidationFailed(
            "Loại tìm kiếm phải là tất cả, văn bản đến hoặc văn bản đi.", code=E.INVALID_KIND
        )
    limit = max(1, min(int(limit), 200))
    offset = max(0, min(int(offset), 10_000))
    if date_from and date_to and date_from > date_to:
        raise ValidationFailed(
            "Khoảng ngày không hợp lệ (từ ngày sau đến ngày).", code=E.INVALID_RANGE
        )
    window = offset + limit + 1
    kinds = ["incoming", "outgoing"] if kind == "all" else [kind]
    rows: list = []
    total = 0
    exact = True
    for one in kinds:
        found, count, exact_one = _search_one(
            user=user,
            q=q,
            kind=one,
            doc_type=doc_type,
            agency=agency,
            register=register,
            date_from=date_from,
            date_to=date_to,
            status=status,
            window=window,
        )
        rows += found
        total += count
        exact = exact and exact_one
    if len(kinds) > 1:
        rows.sort(key=lambda d: getattr(d, "arrived_at", None) or d.created_at, reverse=True)
    rows = rows[offset:window]
    return SearchPage(
        kind=kind,
        items=rows[:limit],
        has_more=len(rows) > limit,
        offset=offset,
        limit=limit,
        took_ms=round((time.perf_counter() - started) * 1000, 1),
        total=total,
        total_exact=exact,
    )


# ---------------------------------------------------------------------------------------
# Registers


def registers_for(user, year: int | None = None) -> QuerySet[Register]:
    qs = Register.objects.filter(
        agency__in=office_agencies(user),
        direction__in=[Register.Direction.INCOMING, Register.Direction.OUTGOING],
    ).select_related("agency")
    if year:
        qs = qs.filter(year=year)
    return qs.order_by(vi("agency__name"), "-year", "direction", "series")


def get_register(pk: Any) -> Register:
    try:
        return Register.objects.select_related("agency").get(pk=int(pk))
    except (Register.DoesNotExist, ValueError, TypeError):
        raise NotFound("Không tìm thấy sổ văn bản.") from None


def register_rows(register: Register) -> list[dict[str, Any]]:
    """Rows in the columns of the decree's annex IV templates."""
    rows: list[dict[str, Any]] = []
    if register.direction == Register.Direction.INCOMING:
        in_docs = (
            IncomingDocument.objects.filter(register=register)
            .order_by("arrival_number")
            .prefetch_related("assignments__assignee", "assignments__unit")
        )
        for d in in_docs:
            leads = [a.assignee_label for a in d.assignments.all() if a.kind == "lead"]
            rows.append(
                {
                    "arrived_on": timezone.localdate(d.arrived_at),
                    "arrival_number": d.arrival_number,
                    "sender": d.sender_name,
                    "number_notation": d.number_notation,
                    "issued_on": d.issued_on,
                    "type_and_subject": f"{d.get_doc_type_display()}: {d.subject}",
                    "handler": ", ".join(leads),
                    "receipt": "",
                    "note": d.get_status_display(),
                }
            )
    else:
        out_docs = (
            OutgoingDocument.objects.filter(register=register)
            .order_by("number")
            .select_related("signer", "drafting_unit")
            .prefetch_related("recipients")
        )
        for o in out_docs:
            rows.append(
                {
                    "number_notation": o.number_notation,
                    "issued_on": o.issued_on,
                    "type_and_subject": f"{o.get_doc_type_display()}: {o.subject}",
                    "signer": str(o.signer or ""),
                    "recipients": "; ".join(r.name for r in o.recipients.all()),
                    "archive_unit": str(o.drafting_unit or ""),
                    "copies": o.recipients.count() or "",
                    "sent_on": timezone.localdate(o.dispatched_at) if o.dispatched_at else "",
                    "receipt": "",
                    "note": ("Ký số" if o.digitally_signed else ""),
                }
            )
    return rows


INCOMING_COLUMNS = [
    ("arrived_on", "Ngày đến"),
    ("arrival_number", "Số đến"),
    ("sender", "Tác giả"),
    ("number_notation", "Số, ký hiệu"),
    ("issued_on", "Ngày tháng"),
    ("type_and_subject", "Tên loại và trích yếu nội dung"),
    ("handler", "Đơn vị hoặc người nhận"),
    ("receipt", "Ký nhận"),
    ("note", "Ghi chú"),
]
OUTGOING_COLUMNS = [
    ("number_notation", "Số, ký hiệu văn bản"),
    ("issued_on", "Ngày tháng văn bản"),
    ("type_and_subject", "Tên loại và trích yếu nội dung văn bản"),
    ("signer", "Người ký"),
    ("recipients", "Nơi nhận văn bản"),
    ("archive_unit", "Đơn vị, người nhận bản lưu"),
    ("copies", "Số lượng bản"),
    ("sent_on", "Ngày chuyển"),
    ("receipt", "Ký nhận"),
    ("note", "Ghi chú"),
]


def register_columns(register: Register) -> list[tuple[str, str]]:
    return (
        INCOMING_COLUMNS if register.direction == Register.Direction.INCOMING else OUTGOING_COLUMNS
    )


# ---------------------------------------------------------------------------------------
# Statistics


def _pct(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


@replica_reads
def statistics(*, agencies, date_from: date, date_to: date) -> list[dict[str, Any]]:
    """Per agency: counts, share digitally signed, share exchanged electronically, on time."""
    if date_from > date_to:
        raise ValidationFailed("Khoảng ngày không hợp lệ.", code=E.INVALID_RANGE)
    start, end = _day_bounds(date_from), _day_bounds(date_to + timedelta(days=1))
    today = timezone.localdate()
    agency_list = list(agencies)
    ids = [a.pk for a in agency_list]
    incoming = (
        IncomingDocument.objects.filter(
            agency_id__in=ids,
            arrival_number__isnull=False,
            arrived_at__gte=start,
            arrived_at__lt=end,
        )
        .values("agency_id")
        .annotate(
            total=Count("id"),
            electronic=Count("id", filter=Q(source__in=["internal", "exchange"])),
            done=Count("id", filter=Q(status="done")),
            with_deadline_done=Count("id", filter=Q(status="done", deadline__isnull=False)),
            overdue=Count(
                "id", filter=Q(deadline__lt=today, status__in=["registered", "in_progress"])
            ),
        )
    )
    by_agency: dict[int, dict[str, Any]] = {}
    for in_row in incoming:
        by_agency.setdefault(in_row["agency_id"], {})["incoming"] = in_row
    # On time: finished on or before the deadline (compared as local dates; Python side).
    on_time: dict[int, int] = {}
    for agency_id, finished_at, deadline in IncomingDocument.objects.filter(
        agency_id__in=ids,
        arrival_number__isnull=False,
        arrived_at__gte=start,
        arrived_at__lt=end,
        status="done",
        deadline__isnull=False,
    ).values_list("agency_id", "finished_at", "deadline"):
        if finished_at and deadline and timezone.localdate(finished_at) <= deadline:
            on_time[agency_id] = on_time.get(agency_id, 0) + 1
    electronic_recipients = Recipient.objects.filter(
        document=OuterRef("pk"),
        status__in=[
            Recipient.Status.DELIVERED,
            Recipient.Status.EXCHANGE_PENDING,
            Recipient.Status.EXCHANGE_SENT,
        ],
    )
    outgoing = (
        OutgoingDocument.objects.filter(
            agency_id__in=ids,
            number__isnull=False,
            issued_on__gte=date_from,
            issued_on__lte=date_to,
        )
        .annotate(electronic=Exists(electronic_recipients))
        .values("agency_id")
        .annotate(
            total=Count("id"),
            signed=Count("id", filter=Q(digitally_signed=True)),
            exchanged=Count("id", filter=Q(electronic=True)),
        )
    )
    for out_row in outgoing:
        by_agency.setdefault(out_row["agency_id"], {})["outgoing"] = out_row
    result = []
    for agency in agency_list:
        data = by_agency.get(agency.pk, {})
        inc = data.get("incoming", {})
        out = data.get("outgoing", {})
        inc_total = inc.get("total", 0)
        out_total = out.get("total", 0)
        done_deadline = inc.get("with_deadline_done", 0)
        result.append(
            {
                "agency": agency,
                "incoming": inc_total,
                "incoming_electronic": inc.get("electronic", 0),
                "incoming_electronic_pct": _pct(inc.get("electronic", 0), inc_total),
                "incoming_done": inc.get("done", 0),
                "incoming_overdue": inc.get("overdue", 0),
                "on_time": on_time.get(agency.pk, 0),
                "on_time_pct": _pct(on_time.get(agency.pk, 0), done_deadline),
                "outgoing": out_total,
                "outgoing_signed": out.get("signed", 0),
                "outgoing_signed_pct": _pct(out.get("signed", 0), out_total),
                "outgoing_exchanged": out.get("exchanged", 0),
                "outgoing_exchanged_pct": _pct(out.get("exchanged", 0), out_total),
            }
        )
    return result


def recipients_with_reads(document: OutgoingDocument) -> list[dict[str, Any]]:
    """Recipients of an outgoing document with when they registered and first opened it
    (read receipts back to the sender)."""
    from tinhso.documents.models import ReadReceipt

    rows = []
    recipients = list(document.recipients.select_related("delivered", "agency"))
    delivered_ids = [r.delivered_id for r in recipients if r.delivered_id]
    first_reads: dict[int, Any] = {}
    for incoming_id, read_at in (
        ReadReceipt.objects.filter(incoming_id__in=delivered_ids)
        .order_by("first_read_at")
        .values_list("incoming_id", "first_read_at")
    ):
        first_reads.setdefault(incoming_id, read_at)
    for r in recipients:
        rows.append(
            {
                "recipient": r,
                "registered": bool(r.delivered and r.delivered.arrival_number),
                "arrival_number": r.delivered.arrival_number if r.delivered else None,
                "first_read_at": first_reads.get(r.delivered_id) if r.delivered_id else None,
            }
        )
    return rows


def work_records_for(user) -> QuerySet[WorkRecord]:
    return (
        WorkRecord.objects.filter(agency__in=office_agencies(user))
        .select_related("agency", "owner")
        .annotate(item_count=Count("items"))
        .order_by("-year", "-created_at")
    )


def exchange_outbox(limit: int = 500):
    """Outside recipients of issued documents still to be sent over the exchange."""
    return (
        Recipient.objects.filter(status=Recipient.Status.EXCHANGE_PENDING)
        .select_related("document", "document__agency")
        .order_by("id")[:limit]
    )


# ---------------------------------------------------------------------------------------
# For the reporting app (digital-transformation KPIs and their drill-down)


def work_record_counts(*, agency_ids, date_from: date, date_to: date) -> dict[int, dict[str, int]]:
    """Per agency: work records opened in the days [date_from, date_to] and how many of
    them are handled online (hồ sơ công việc xử lý trên môi trường mạng)."""
    start, end = _day_bounds(date_from), _day_bounds(date_to + timedelta(days=1))
    rows = (
        WorkRecord.objects.filter(
            agency_id__in=list(agency_ids), created_at__gte=start, created_at__lt=end
        )
        .values("agency_id")
        .annotate(total=Count("id"), online=Count("id", filter=Q(handled_online=True)))
        .order_by()
    )
    return {r["agency_id"]: {"total": r["total"], "online": r["online"]} for r in rows}


def kpi_documents(*, kind: str, agency_ids, date_from: date, date_to: date) -> QuerySet:
    """The documents behind a KPI that did not count: outgoing documents issued without a
    digital signature (`unsigned`), work records not handled online (`offline_records`)."""
    if kind == "unsigned":
        return (
            OutgoingDocument.objects.filter(
                agency_id__in=list(agency_ids),
                number__isnull=False,
                issued_on__gte=date_from,
                issued_on__lte=date_to,
                digitally_signed=False,
            )
            .select_related("agency")
            .order_by("issued_on", "pk")
        )
    start, end = _day_bounds(date_from), _day_bounds(date_to + timedelta(days=1))
    return (
        WorkRecord.objects.filter(
            agency_id__in=list(agency_ids),
            created_at__gte=start,
            created_at__lt=end,
            handled_online=False,
        )
        .select_related("agency")
        .order_by("created_at", "pk")
    )


@replica_reads
def overdue_incoming_by_agency(*, agency_ids) -> dict[int, int]:
    """Per agency: registered incoming documents still open past their deadline."""
    today = timezone.localdate()
    rows = (
        IncomingDocument.objects.filter(
            agency_id__in=list(agency_ids),
            arrival_number__isnull=False,
            deadline__lt=today,
            status__in=["registered", "in_progress"],
        )
        .values("agency_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {r["agency_id"]: r["n"] for r in rows}
