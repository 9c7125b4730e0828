"""Reads of the one-stop app: catalog search, queues, the citizen's dossiers, lookup.

Queues are scoped by the official's roles and agencies (tinhso.accounts.rules):
- to_receive: online dossiers waiting for reception (status 1) in agencies where the user
  is a one-stop officer;
- to_process (mine): dossiers assigned to the user, plus unassigned ones whose current
  step needs a role the user holds in the handling agency;
- due_soon / overdue: open dossiers (accepted, processing, paused) of the agencies the
  user works in, due within `days` working days / past their appointment;
- waiting_for_citizen: supplement requested or financial obligation pending;
- to_return: approved dossiers whose result the user's one-stop desk hands back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import Case, Count, Q, QuerySet, Value, When
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext_lazy

from tinhso.accounts.models import Role
from tinhso.accounts.rules import (
    _grants,
    agency_in,
    is_platform_admin,
    visible_agency_filter,
    visible_agency_ids,
)
from tinhso.core import pagecache, prepared
from tinhso.core.collation import vi
from tinhso.core.errors import NotFound
from tinhso.core.replica import replica_reads
from tinhso.core.stamps import Kept, KeptEach, Stamp
from tinhso.directory.models import Agency
from tinhso.onestop import search
from tinhso.onestop.errors import OnestopError as E
from tinhso.onestop.models import (
    PORTAL_STATUS_LABELS,
    Dossier,
    DossierEvent,
    DossierFile,
    DossierState,
    Field,
    Procedure,
    ProcessStep,
    ProcessTemplate,
    SearchSynonym,
    WalletItem,
)
from tinhso.onestop.services.clock import now as clock_now

S = DossierState
OPEN = (S.ACCEPTED, S.PROCESSING, S.PAUSED)
OFFICIAL_ROLES = (Role.ONESTOP_OFFICER, Role.SPECIALIST, Role.LEADER, Role.AGENCY_ADMIN)


def _base() -> QuerySet[Dossier]:
    return Dossier.objects.select_related(
        "procedure", "receiving_agency", "agency", "handling_agency", "current_step", "assignee"
    )


# ---------------------------------------------------------------------------------------
# Catalog


@dataclass(frozen=True)
class _Where:
    """What the catalogue's filters read of an active procedure, as its SQL filters do."""

    field_id: int
    field_code: str
    agency_id: int | None
    receiving_agency_id: int | None
    levels: str
    online_type: str

    def keeps(self, *, field, agency, level: str, online_type: str) -> bool:
        if field and (
            self.field_code != field if isinstance(field, str) else self.field_id != field.pk
        ):
            return False
        if agency is not None and agency.pk not in (self.agency_id, self.receiving_agency_id):
            return False
        if level and level not in self.levels:  # levels__contains: a substring, as in SQL
            return False
        return not online_type or self.online_type == online_type


@dataclass(frozen=True)
class _SearchIndex:
    entries: list[tuple[search.Entry, _Where]]
    synonyms: list[search.Synonym]


def _synonyms() -> list[search.Synonym]:
    return [search.Synonym.of(s.term_list, s.meaning) for s in SearchSynonym.objects.all()]


def _load_search_index() -> _SearchIndex:
    rows = Procedure.objects.filter(is_active=True).values_list(
        "pk",
        "code",
        "name",
        "result_description",
        "field__name",
        "field_id",
        "field__code",
        "agency_id",
        "receiving_agency_id",
        "levels",
        "online_type",
    )
    entries = [
        (
            search.Entry(key=pk, code=code, name=name, description=f"{result} {field_name}"),
            _Where(field_id, field_code, agency_id, receiving_id, levels or "", online or ""),
        )
        for (
            pk,
            code,
            name,
            result,
            field_name,
            field_id,
            field_code,
            agency_id,
            receiving_id,
            levels,
            online,
        ) in rows
    ]
    return _SearchIndex(entries, _synonyms())


# Every search with words ranks the whole active catalogue: read once per process, and
# again when the catalogue changes (the public pages' stamp: a change in this process at
# once, in the others on this machine at its commit, on other machines within a minute).
_kept_search_index = Kept(pagecache.STAMP, _load_search_index, seconds=60)


def search_procedures(
    *,
    q: str = "",
    field: Field | str | None = None,
    agency: Agency | None = None,
    level: str = "",
    online_type: str = "",
    active_only: bool = True,
) -> QuerySet[Procedure]:
    """Diacritics-insensitive search with synonyms, best match first (`onestop.search`):
    "ho tich" finds "Hộ tịch", "so do" the land-use right certificate. Without a query:
    every procedure the filters keep, by code."""
    qs = Procedure.objects.select_related("field", "agency")
    if active_only:
        qs = qs.filter(is_active=True)
    if field:
        qs = qs.filter(field__code=field) if isinstance(field, str) else qs.filter(field=field)
    if agency is not None:
        qs = qs.filter(Q(agency=agency) | Q(receiving_agency=agency))
    if level:
        qs = qs.filter(levels__contains=level)
    if online_type:
        qs = qs.filter(online_type=online_type)
    q = (q or "").strip()
    if not q:
        return qs.order_by("code")
    if search.CODE_QUERY.match(q):  # a procedure code, or its beginning
        return qs.filter(code__startswith=q).order_by("code")
    if active_only:
        index = _kept_search_index.get()
        entries = [
            entry
            for entry, where in index.entries
            if where.keeps(field=field, agency=agency, level=level, online_type=online_type)
        ]
        synonyms = index.synonyms
    else:
        entries = [
            search.Entry(key=pk, code=code, name=name, description=f"{result} {field_name}")
            for pk, code, name, result, field_name in qs.values_list(
                "pk", "code", "name", "result_description", "field__name"
            )
        ]
        synonyms = _synonyms()
    ranked = search.rank(q, entries, synonyms)
    if not ranked:
        return qs.none()
    ids = [int(str(pk)) for pk in ranked]
    if connection.vendor == "postgresql":
        # One array parameter: a CASE of one WHEN per match costs the ORM milliseconds to
        # build for a broad query ("y te": hundreds of matches), on every page of it.
        table = connection.ops.quote_name(Procedure._meta.db_table)
        order: Any = RawSQL(f'array_position(%s::bigint[], {table}."id")', (ids,))  # noqa: S611
    else:
        order = Case(*(When(pk=pk, then=Value(i)) for i, pk in enumerate(ids)))
    return qs.filter(pk__in=ids).order_by(order)


def competent_agencies(procedure: Procedure) -> QuerySet[Agency]:
    """The agencies a dossier of `procedure` may be sent to: its competent agency, or, for a
    procedure every People's Committee of a level performs (e.g. a commune procedure), the
    active People's Committees of those levels. The submit page lists these; the service
    refuses any other (the API can name an agency the page never offers)."""
    if procedure.agency_id:
        return Agency.objects.filter(pk=procedure.agency_id)
    return Agency.objects.filter(
        kind=Agency.Kind.PEOPLES_COMMITTEE,
        status=Agency.Status.ACTIVE,
        admin_unit__level__in=procedure.level_list,
    ).order_by("name")


def get_procedure(*, code: str | None = None, uid: Any = None) -> Procedure:
    """With its field, agencies and papers (the submit page shows the papers and
    submit_dossier checks them again: one read); its SQL written once (`core.prepared`).
    Only "no such procedure" is NotFound: the database being down is a 503."""
    from django.db.models import prefetch_related_objects

    joins = ("field", "agency", "receiving_agency")
    field, value = ("code", code) if code else ("uid", uid)
    procedure = prepared.one(Procedure, field, value, joins) if value else None
    if procedure is None:
        raise NotFound("Không tìm thấy thủ tục hành chính.", code=E.PROCEDURE_NOT_FOUND)
    prefetch_related_objects([procedure], "papers")
    return procedure


def active_steps(procedure: Procedure) -> list[ProcessStep]:
    """The steps of the procedure's active process (`Procedure.active_process`), in order,
    in one query instead of the process's then its steps'."""
    from django.db.models import Subquery

    active = (
        ProcessTemplate.objects.filter(procedure=procedure, is_active=True)
        .order_by("-pk")
        .values("pk")[:1]
    )
    return list(ProcessStep.objects.filter(template=Subquery(active)).order_by("order"))


def fields_with_counts(*, in_use: bool = False) -> QuerySet[Field]:
    """Fields with `procedure_count` (active procedures); `in_use`: only those with some."""
    from django.db.models import Count

    fields = Field.objects.annotate(
        procedure_count=Count("procedures", filter=Q(procedures__is_active=True))
    )
    if in_use:
        fields = fields.filter(procedure_count__gt=0)
    return fields.order_by(vi("name"))


# ---------------------------------------------------------------------------------------
# Queues


def _agencies(user, roles) -> QuerySet[Agency]:
    return Agency.objects.filter(visible_agency_filter(user, roles))


def _to_receive(user, moment: datetime, soon: datetime) -> Q:
    return Q(state=S.SUBMITTED) & agency_in("receiving_agency", user, [Role.ONESTOP_OFFICER])


def _to_process(user, moment: datetime, soon: datetime) -> Q:
    """Mine: assigned to me, or unassigned at a step whose role I hold there."""
    cond = Q(assignee=user)
    if is_platform_admin(user):
        cond |= Q(assignee__isnull=True)
    else:
        for role in _grants(user):
            if role not in OFFICIAL_ROLES:
                continue
            cond |= Q(
                Q(assignee__isnull=True, current_step__role=role),
                agency_in("handling_agency", user, [role]),
            )
    return cond & Q(state__in=OPEN)


def _due_soon(user, moment: datetime, soon: datetime) -> Q:
    """Due between now and `soon` (two working days from now: `_soon`)."""
    return Q(
        Q(state__in=OPEN, due_at__gte=moment, due_at__lte=soon),
        agency_in("handling_agency", user, OFFICIAL_ROLES),
    )


def _soon(moment: datetime, days: int = 2) -> datetime:
    from tinhso.workdays.services import Calendar

    return Calendar().add_working_days(moment, days)


def _overdue(user, moment: datetime, soon: datetime) -> Q:
    return Q(state__in=OPEN, due_at__lt=moment) & agency_in("handling_agency", user, OFFICIAL_ROLES)


def _waiting_for_citizen(user, moment: datetime, soon: datetime) -> Q:
    return Q(state__in=(S.RECEPTION_SUPPLEMENT, S.SUPPLEMENT, S.FINANCIAL)) & (
        agency_in("handling_agency", user, OFFICIAL_ROLES)
        | agency_in("receiving_agency", user, OFFICIAL_ROLES)
    )


def _to_return(user, moment: datetime, soon: datetime) -> Q:
    return Q(state=S.APPROVED) & agency_in("receiving_agency", user, [Role.ONESTOP_OFFICER])


# name -> (which dossiers, in which order)
QUEUES = {
    "to_receive": (_to_receive, "submitted_at"),
    "to_process": (_to_process, "due_at"),
    "due_soon": (_due_soon, "due_at"),
    "overdue": (_overdue, "due_at"),
    "waiting": (_waiting_for_citizen, "updated_at"),
    "to_return": (_to_return, "result_at"),
}


def _queue(user, name: str, now: datetime | None = None) -> QuerySet[Dossier]:
    condition, order = QUEUES[name]
    moment = now or clock_now()
    return _base().filter(condition(user, moment, _soon(moment))).order_by(order)


def to_receive(user) -> QuerySet[Dossier]:
    return _queue(user, "to_receive")


def to_process(user) -> QuerySet[Dossier]:
    return _queue(user, "to_process")


def _working_in(user) -> QuerySet[Agency]:
    return _agencies(user, OFFICIAL_ROLES)


def due_soon(user, *, days: int = 2, now: datetime | None = None) -> QuerySet[Dossier]:
    moment = now or clock_now()
    return _base().filter(_due_soon(user, moment, _soon(moment, days))).order_by("due_at")


def overdue(user, *, now: datetime | None = None) -> QuerySet[Dossier]:
    return _queue(user, "overdue", now)


def waiting_for_citizen(user) -> QuerySet[Dossier]:
    return _queue(user, "waiting")


def to_return(user) -> QuerySet[Dossier]:
    return _queue(user, "to_return")


def queue(user, name: str) -> QuerySet[Dossier]:
    if name not in QUEUES:
        raise NotFound("Không có hàng đợi này.", code=E.QUEUE_NOT_FOUND)
    return _queue(user, name)


_COUNTS = prepared.Prepared(Dossier)


def _counts_shape(user) -> tuple:
    """What the counts' SQL depends on but for the moments: the person (`assignee`), and
    the agencies each of their roles sees (a new agency below a leader's is a new shape)."""
    roles = sorted(_grants(user)) if not is_platform_admin(user) else []
    return (
        user.pk,
        is_platform_admin(user),
        tuple((role, visible_agency_ids(user, [role])) for role in roles),
    )


def queue_counts(user) -> dict[str, int]:
    """Every queue's size in one statement (a COUNT FILTER each), not one COUNT per tab; its
    SQL written once per person and roles (`tinhso.core.prepared`), the moments put in."""
    moment = clock_now()

    def count(moment: datetime, soon: datetime) -> dict[str, int]:
        return Dossier.objects.aggregate(
            **{
                name: Count("pk", filter=condition(user, moment, soon))
                for name, (condition, _order) in QUEUES.items()
            }
        )

    counts = _COUNTS(_counts_shape(user), count, moment=moment, soon=_soon(moment))
    assert counts is not None  # an aggregate is always one row
    return counts


def agency_dossiers(user) -> QuerySet[Dossier]:
    """Every dossier the official may see (receiving, competent or handling agency)."""
    if is_platform_admin(user):
        return _base()
    agencies = _working_in(user)
    return _base().filter(
        Q(receiving_agency__in=agencies) | Q(agency__in=agencies) | Q(handling_agency__in=agencies)
    )


# ---------------------------------------------------------------------------------------
# People: who can take a dossier, who has it now


def officials(agency, roles) -> QuerySet:
    """Active officials holding one of `roles` in `agency`, with their post there
    (`position_name`), sorted by name: only what a choice of people shows and submits
    (a dossier page offers two such lists; their password hashes stay in the database)."""
    from django.contrib.auth import get_user_model
    from django.db.models import OuterRef, Subquery

    from tinhso.directory.models import Membership

    user_model = get_user_model()
    if agency is None:
        return user_model.objects.none()
    post = (
        Membership.objects.filter(user=OuterRef("pk"), agency=agency, ended_on__isnull=True)
        .order_by("-is_primary", "position__rank")
        .values("position__name")[:1]
    )
    unit = (
        Membership.objects.filter(user=OuterRef("pk"), agency=agency, ended_on__isnull=True)
        .order_by("-is_primary", "position__rank")
        .values("org_unit__name")[:1]
    )
    return (
        user_model.objects.filter(
            role_grants__agency=agency, role_grants__role__in=list(roles), is_active=True
        )
        .only("id", "uid", "username", "full_name")
        .distinct()
        .annotate(position_name=Subquery(post), unit_name=Subquery(unit))
        .order_by(vi("full_name"), "username")
    )


# Who may be chosen changes when a role is granted or taken back, a post or a unit
# changes, or an account is renamed or switched off: rarely, against the two lists on
# every official's dossier page (building, running and reading the query was a quarter
# of that page's CPU). Each process keeps the lists (`official_choices`); what a form
# accepts is still checked against the database (`officials`).
PEOPLE = Stamp("onestop-people")
PEOPLE_SECONDS = 60


def _load_official_choices(key: tuple[int, tuple[str, ...]]) -> list[tuple[str, str]]:
    agency_id, roles = key
    agency = Agency(pk=agency_id)
    return [(str(user.uid), person_label(user)) for user in officials(agency, roles)]


_kept_official_choices = KeptEach(PEOPLE, _load_official_choices, seconds=PEOPLE_SECONDS)


def official_choices(agency, roles) -> list[tuple[str, str]]:
    """(uid, label) of each of `officials(agency, roles)`, in their order."""
    if agency is None:
        return []
    return _kept_official_choices.get((agency.pk, tuple(sorted(roles))))


def person_label(user) -> str:
    """ "Nguyễn Văn B — Chuyên viên" (the post when known)."""
    name = getattr(user, "full_name", "") or getattr(user, "username", "")
    post = getattr(user, "position_name", "") or ""
    return f"{name} — {post}" if post else name


def next_step_team(dossier: Dossier) -> tuple[Agency | None, tuple[str, ...]]:
    """Who may receive the dossier at its next step, as `officials`' arguments: the
    step's role (and the leaders) in the step's agency; no one after the last step."""
    from tinhso.onestop.services.common import _next_step, _step_agency

    nxt = _next_step(dossier)
    if nxt is None:
        return None, ()
    return _step_agency(dossier, nxt), tuple(sorted({nxt.role, Role.LEADER}))


def _post_of(user, agency) -> tuple[str, str]:
    """(position, org unit) of `user` in `agency` ("" when unknown)."""
    from tinhso.directory.models import Membership

    row = (
        Membership.objects.filter(user=user, agency=agency, ended_on__isnull=True)
        .order_by("-is_primary", "position__rank")
        .values_list("position__name", "org_unit__name")
        .first()
    )
    return (row[0] or "", row[1] or "") if row else ("", "")


def whereabouts(dossier: Dossier) -> str:
    """Who has the dossier now, in words: "Nguyễn Văn B (Chuyên viên), Phòng Hộ tịch,
    Sở Tư pháp"; "" once it is finished."""
    from django.utils.translation import gettext as _

    state = dossier.state
    if state == S.SUBMITTED:
        return _("Bộ phận một cửa, %(agency)s (chờ tiếp nhận)") % {
            "agency": dossier.receiving_agency.name
        }
    if state in (S.RECEPTION_SUPPLEMENT, S.SUPPLEMENT):
        return _("Người nộp hồ sơ %(name)s (đang bổ sung giấy tờ)") % {
            "name": dossier.applicant_name
        }
    if state == S.FINANCIAL:
        return _("Người nộp hồ sơ %(name)s (đang thực hiện nghĩa vụ tài chính)") % {
            "name": dossier.applicant_name
        }
    if state == S.APPROVED:
        return _("Bộ phận một cửa, %(agency)s (chờ trả kết quả)") % {
            "agency": dossier.receiving_agency.name
        }
    if state not in OPEN:
        return ""
    agency = dossier.handling_agency or dossier.agency
    if dossier.assignee_id is not None:
        from django.contrib.auth import get_user_model

        # the name only: not their whole account (nor its password hash) for a line of text
        person = get_user_model().objects.only("full_name", "username").get(pk=dossier.assignee_id)
        position, unit = _post_of(person, agency)
        name = person.full_name or person.username
        parts = [f"{name} ({position})" if position else name, unit, agency.name]
        return ", ".join(p for p in parts if p)
    step = dossier.current_step
    role = Role(step.role).label if step is not None else _("Cán bộ xử lý")
    return _("%(role)s, %(agency)s (chưa giao cho người cụ thể)") % {
        "role": role,
        "agency": agency.name,
    }


# ---------------------------------------------------------------------------------------
# Citizens


# What a list of dossiers shows (`onestop_rows`): a row's link, code, procedure, applicant,
# dates, status, step and assignee. Reading only these columns matters twice: decoding the
# form's data and the procedure's texts for 25 rows was most of a list's cost, and the
# SQL of ~100 columns over four tables took Django longer to write than the query took to
# run (a queue's list: 4.8 -> 3.4 ms).
LIST_FIELDS = (
    "uid",
    "code",
    "tracking_code",
    "state",
    "applicant_name",
    "submitted_at",
    "due_at",
    "procedure__name",
    "current_step__name",
    "assignee__username",
    "assignee__full_name",
)


def listed(dossiers: QuerySet[Dossier]) -> QuerySet[Dossier]:
    """`dossiers` as an HTML list shows them (queues, "my dossiers"): the procedure's name,
    the step and the assignee joined, nothing else read."""
    return (
        dossiers.select_related(None)
        .select_related("procedure", "current_step", "assignee")
        .only(*LIST_FIELDS)
    )


def my_dossiers(user) -> QuerySet[Dossier]:
    return _base().filter(applicant=user).order_by("-submitted_at", "-pk")


def wallet(user) -> QuerySet[WalletItem]:
    return WalletItem.objects.filter(owner=user).order_by("-created_at")


def visible_files(dossier: Dossier, user) -> QuerySet[DossierFile]:
    """The dossier's files this person may open. The applicant sees the result only once
    it is returned (the officials work on it until then)."""
    return dossier.files.exclude(kind__in=_hidden_file_kinds(dossier, user))


def _hidden_file_kinds(dossier: Dossier, user) -> tuple[str, ...]:
    officials_see_all = is_platform_admin(user) or (
        getattr(user, "is_official", False) and dossier.applicant_id != getattr(user, "pk", None)
    )
    if officials_see_all:
        return ()
    if dossier.state != S.RETURNED:  # the officials' working copy, and the result till then
        return (DossierFile.Kind.RESULT_DRAFT, DossierFile.Kind.RESULT)
    return (DossierFile.Kind.RESULT_DRAFT,)


# ---------------------------------------------------------------------------------------
# What a dossier's page lists: each a statement by the dossier's id, written once per
# thread (`core.prepared.many`): its page reads seven of them


def _of(model, dossier: Dossier, build, *variant: Any) -> list:
    """The rows of `model` that `build(dossier id)` selects, each row's dossier set."""
    return prepared.many(
        (model, build.__name__, *variant),
        build,
        dossier.pk,
        field=model._meta.get_field("dossier"),
        parent=dossier,
    )


def visible_file_list(dossier: Dossier, user) -> list[DossierFile]:
    """`visible_files` as a list: the kinds this person may not open left out."""
    hidden = _hidden_file_kinds(dossier, user)

    def files(pk):
        return DossierFile.objects.filter(dossier=pk).exclude(kind__in=hidden)

    return _of(DossierFile, dossier, files, *hidden)


def supplement_list(dossier: Dossier) -> list:
    from tinhso.onestop.models import SupplementRequest

    def supplements(pk):
        return SupplementRequest.objects.filter(dossier=pk).order_by("requested_at")

    return _of(SupplementRequest, dossier, supplements)


def payment_list(dossier: Dossier) -> list:
    from tinhso.onestop.models import Payment

    def payments(pk):
        return Payment.objects.filter(dossier=pk).order_by("created_at")

    return _of(Payment, dossier, payments)


def issued_form_list(dossier: Dossier) -> list:
    from tinhso.onestop.models import IssuedForm

    def issued_forms(pk):
        return IssuedForm.objects.filter(dossier=pk).order_by("issued_at", "pk")

    return _of(IssuedForm, dossier, issued_forms)


def received_paper_list(dossier: Dossier) -> list:
    from tinhso.onestop.models import ReceivedPaper

    def received_papers(pk):
        return ReceivedPaper.objects.filter(dossier=pk)

    return _of(ReceivedPaper, dossier, received_papers)


def process_slip_lines(dossier: Dossier) -> list[DossierEvent]:
    """`process_slip` as a list."""

    def slip(pk):
        return process_slip(Dossier(pk=pk))

    return _of(DossierEvent, dossier, slip)


@dataclass(frozen=True)
class SignatureStatement:
    """What the page may say about a result file's signatures, read from the file itself."""

    status: str  # "valid" | "warning" | "invalid" | "unsigned"
    text: str
    signers: tuple[str, ...]


def signature_statement(item: DossierFile) -> SignatureStatement:
    """Verify the stored file (tinhso.signing's verification) and say what it carries:
    never a signature the file does not have. Cached by content for ten minutes."""
    from django.core.cache import cache
    from django.core.files.storage import default_storage

    from tinhso.core.errors import DomainError
    from tinhso.signing.selectors import verify_pdf

    key = f"onestop:signatures:{item.sha256}"
    cached = cache.get(key)
    if cached is not None:
        return cached
    try:
        with default_storage.open(item.file.name or "", "rb") as handle:
            reports = verify_pdf(handle.read())
    except (DomainError, OSError):
        reports = []
    if not reports:
        statement = SignatureStatement(
            "unsigned", "Tệp này không có chữ ký số (kiểm tra tự động khi mở trang).", ()
        )
    else:
        signers = tuple(_signer_text(r) for r in reports)
        if all(r.status == "valid" for r in reports):
            statement = SignatureStatement(
                "valid",
                "Kết quả được ký số bởi " + "; ".join(signers) + ". Các chữ ký hợp lệ, tệp "
                "nguyên vẹn từ khi ký (kiểm tra tự động khi mở trang).",
                signers,
            )
        elif any(r.status == "invalid" for r in reports):
            problems = " ".join(r.summary for r in reports if r.status == "invalid")
            statement = SignatureStatement(
                "invalid", "Tệp có chữ ký số nhưng kiểm tra KHÔNG đạt: " + problems, signers
            )
        else:
            notes = " ".join(r.summary for r in reports if r.status == "warning")
            statement = SignatureStatement(
                "warning",
                "Kết quả được ký số bởi " + "; ".join(signers) + ". " + notes,
                signers,
            )
    cache.set(key, statement, 600)
    return statement


def _signer_text(report) -> str:
    from django.utils import timezone

    name = report.signer_name or "(không rõ người ký)"
    if report.field_name.startswith("Sig-seal"):  # the agency's digital seal
        name = f"chữ ký số cơ quan của {name}"
    elif report.signer_agency and report.signer_agency not in name:
        name = f"{name} ({report.signer_agency})"
    if report.signed_at is not None:
        name += f", lúc {timezone.localtime(report.signed_at):%H:%M %d/%m/%Y}"
    return name


def process_slip(dossier: Dossier) -> QuerySet[DossierEvent]:
    """The form-05 lines: every action and hand-over in order. A line names its people and
    step in its own columns (as they were then); only the agencies' names are joined."""
    return (
        dossier.events.select_related("from_agency", "to_agency")
        .only(
            *("dossier", "action", "at", "step_name", "from_name", "to_name", "state_after"),
            *("step_due_at", "on_time", "note", "from_agency__name", "to_agency__name"),
        )
        .order_by("at", "pk")
    )


# ---------------------------------------------------------------------------------------
# A dossier's status, in words: one source for every page, the lookup and the API


@dataclass(frozen=True)
class StatusText:
    status: int  # the national portal's status code (1–10)
    label: str  # the national portal's words for it
    detail: str  # what tinhso's own state adds ("" when the label says it all)
    step: str  # the step being worked on; "" when nobody at the agency is working on it

    @property
    def full(self) -> str:
        return f"{self.label} ({self.detail})" if self.detail else self.label

    def __str__(self) -> str:
        return self.full


# Only what the national label does not already say (never the same words twice).
STATE_DETAIL: dict[str, Any] = {  # translated on display, like the portal's labels
    S.RECEPTION_SUPPLEMENT: gettext_lazy("trước khi tiếp nhận"),
    S.SUPPLEMENT: gettext_lazy("trong khi giải quyết"),
    S.PAUSED: gettext_lazy("tạm dừng"),
    S.APPROVED: gettext_lazy("chờ trả kết quả"),
}
# The states in which the agency is working on a step (else no step is named).
STEP_STATES = frozenset({S.ACCEPTED, S.PROCESSING, S.PAUSED})


def status_text(state: str, step_name: str = "") -> StatusText:
    from tinhso.onestop.models import PORTAL_STATUS

    code = PORTAL_STATUS[state]
    return StatusText(
        status=code,
        label=str(PORTAL_STATUS_LABELS[code]),
        detail=str(STATE_DETAIL.get(state, "")),
        step=(step_name or "") if state in STEP_STATES else "",
    )


def dossier_status(dossier: Dossier) -> StatusText:
    step = dossier.current_step.name if dossier.current_step_id and dossier.current_step else ""
    return status_text(dossier.state, step)


# ---------------------------------------------------------------------------------------
# Public lookup


_LOOKUP_SQL = (
    "SELECT d.code, d.tracking_code, p.name, d.state, s.name, d.due_at, d.received_at, "
    "d.applicant_phone, d.applicant_id_number FROM onestop_dossier d "
    "JOIN onestop_procedure p ON p.id = d.procedure_id "
    "LEFT JOIN onestop_processstep s ON s.id = d.current_step_id WHERE d.{column} = %s"
)


def _as_datetime(value: Any) -> datetime | None:
    """Raw SQL gives SQLite datetimes as text (UTC); PostgreSQL gives aware datetimes."""
    from datetime import UTC

    from django.utils.dateparse import parse_datetime

    if value is None:
        return None
    parsed = value if isinstance(value, datetime) else parse_datetime(str(value))
    if parsed is not None and parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


@dataclass(frozen=True)
class LookupResult:
    code: str  # the dossier code once accepted, else the tracking code
    tracking_code: str
    procedure: str
    status: int
    status_label: str
    status_detail: str
    step: str
    due_at: datetime | None
    received_at: datetime | None


def lookup(*, code: str, secret: str) -> LookupResult:
    """Anyone: the dossier code or the tracking code, plus the last 4 digits of the
    applicant's phone or ID number → status, step and due date only. Wrong code or digits
    look the same (not found)."""
    from tinhso.onestop.codes import looks_like_tracking_code

    code = (code or "").strip().upper()
    secret = (secret or "").strip()
    not_found = NotFound(
        "Không tìm thấy hồ sơ với mã và 4 số cuối đã nhập.", code=E.LOOKUP_NOT_FOUND
    )
    if not code or len(secret) != 4 or not secret.isdigit():
        raise not_found
    # The hot public path: one indexed query, no ORM query building.
    from django.db import connection

    column = "tracking_code" if looks_like_tracking_code(code) else "code"
    with connection.cursor() as cursor:
        cursor.execute(_LOOKUP_SQL.format(column=column), [code])
        found = cursor.fetchone()
    row = None
    if found is not None:
        keys = (
            "code",
            "tracking_code",
            "procedure__name",
            "state",
            "current_step__name",
            "due_at",
            "received_at",
            "applicant_phone",
            "applicant_id_number",
        )
        row = dict(zip(keys, found, strict=True))
        for key in ("due_at", "received_at"):
            row[key] = _as_datetime(row[key])
    if row is None:
        raise not_found
    phone = "".join(ch for ch in row["applicant_phone"] or "" if ch.isdigit())
    id_number = "".join(ch for ch in row["applicant_id_number"] or "" if ch.isdigit())
    if not (
        (len(phone) >= 4 and phone[-4:] == secret)
        or (len(id_number) >= 4 and id_number[-4:] == secret)
    ):
        raise not_found
    status = status_text(row["state"], row["current_step__name"] or "")
    return LookupResult(
        code=row["code"] or row["tracking_code"] or "",
        tracking_code=row["tracking_code"] or "",
        procedure=row["procedure__name"],
        status=status.status,
        status_label=status.label,
        status_detail=status.detail,
        step=status.step,
        due_at=row["due_at"],
        received_at=row["received_at"],
    )


# ---------------------------------------------------------------------------------------
# Facts for the reporting app (the Decision 766 index and the digital-transformation KPIs)

DOSSIER_FACT_FIELDS = (
    "pk",
    "code",
    "agency_id",
    "procedure_id",
    "channel",
    "state",
    "received_at",
    "result_at",
    "finished_at",
    "original_due_at",
    "clock_restarted",
    "procedure__processing_days",
    "extension__new_due_at",
    "fee_vnd",
    "paid_online",
    "rating__score",
    "has_paper",
    "has_result",
    "reused",
    "to_wallet",
    "timeliness",
    "due_at",
    "online_type",
)


def _handled_between(start: datetime, end: datetime, prefix: str = "") -> Q:
    """Accepted before `end` and handled in [start, end): ended in it (result, stop,
    withdrawal) or still open at its end."""
    p = prefix

    def q(**kw: Any) -> Q:
        return Q(**{p + k: v for k, v in kw.items()})

    return q(received_at__lt=end) & (
        q(result_at__gte=start)
        | q(result_at__isnull=True, finished_at__gte=start)
        | q(result_at__isnull=True, finished_at__isnull=True)
    )


def handled_dossiers(
    *, start: datetime, end: datetime, agency_ids: list[int] | None = None
) -> QuerySet[Dossier]:
    """The dossiers handled in [start, end), annotated with what the 766 indicators read:
    paper files, an electronic result, papers reused from the wallet, a result pushed to
    the wallet, a supplement requested during processing."""
    from django.db.models import Exists, OuterRef

    from tinhso.onestop.models import SupplementRequest

    files = DossierFile.objects.filter(dossier=OuterRef("pk"))
    qs = Dossier.objects.filter(_handled_between(start, end))
    if agency_ids is not None:
        qs = qs.filter(agency_id__in=agency_ids)
    return qs.annotate(
        has_paper=Exists(files.filter(kind=DossierFile.Kind.PAPER)),
        has_result=Exists(files.filter(kind=DossierFile.Kind.RESULT)),
        reused=Exists(files.filter(kind=DossierFile.Kind.PAPER, origin="wallet")),
        to_wallet=Exists(
            WalletItem.objects.filter(
                source_dossier=OuterRef("pk"), source=WalletItem.Source.RESULT
            )
        ),
        has_processing_supplement=Exists(
            SupplementRequest.objects.filter(
                dossier=OuterRef("pk"),
                stage=SupplementRequest.Stage.PROCESSING,
                requested_at__lt=end,
            )
        ),
    )


def dossier_facts(
    *,
    start: datetime,
    end: datetime,
    agency_ids: list[int] | None = None,
    complex_only: bool = False,
) -> tuple[list[tuple], dict[int, list[tuple[datetime, datetime | None]]]]:
    """Plain rows (DOSSIER_FACT_FIELDS) of the dossiers handled in [start, end) (only those
    whose clock restarted or with a processing supplement when `complex_only`), and the
    supplement requests made during processing per dossier: [(requested, answered)]."""
    from tinhso.onestop.models import SupplementRequest

    qs = handled_dossiers(start=start, end=end, agency_ids=agency_ids)
    if complex_only:
        qs = qs.filter(Q(clock_restarted=True) | Q(has_processing_supplement=True))
    rows = list(qs.order_by().values_list(*DOSSIER_FACT_FIELDS))
    supplements: dict[int, list[tuple[datetime, datetime | None]]] = {}
    sq = SupplementRequest.objects.filter(
        _handled_between(start, end, "dossier__"),
        stage=SupplementRequest.Stage.PROCESSING,
        requested_at__lt=end,
    )
    if agency_ids is not None:
        sq = sq.filter(dossier__agency_id__in=agency_ids)
    for dossier_id, requested, answered in sq.order_by("dossier_id", "requested_at").values_list(
        "dossier_id", "requested_at", "answered_at"
    ):
        supplements.setdefault(dossier_id, []).append((requested, answered))
    return rows, supplements


def procedure_facts() -> list[dict[str, Any]]:
    """Active procedures with what the 766 transparency and online-service indicators
    read: the published parts, online type, fee, competent agency and levels."""
    from django.db.models import Count

    rows: Any = (
        Procedure.objects.filter(is_active=True)
        .annotate(paper_count=Count("papers"))
        .values(
            "pk",
            "code",
            "name",
            "agency_id",
            "levels",
            "online_type",
            "fee_vnd",
            "processing_days",
            "sequence_description",
            "applicant_description",
            "paper_count",
        )
        .order_by("code")
    )
    return list(rows)


def procedures_with_online_dossiers(*, start: datetime, end: datetime) -> set[int]:
    """Procedures that received at least one online dossier in [start, end)."""
    from tinhso.onestop.models import Channel

    return set(
        Dossier.objects.filter(received_at__gte=start, received_at__lt=end, channel=Channel.ONLINE)
        .order_by()
        .values_list("procedure_id", flat=True)
        .distinct()
    )


def dossiers_by_ids(ids: list[int]) -> QuerySet[Dossier]:
    """Dossiers for a drill-down list (codes, procedure, agency)."""
    return Dossier.objects.filter(pk__in=ids).select_related("procedure", "agency")


@replica_reads
def overdue_by_agency(*, agency_ids: list[int], now: datetime | None = None) -> dict[int, int]:
    """Per competent agency: dossiers being handled whose appointment has passed."""
    from django.db.models import Count

    moment = now or clock_now()
    rows = (
        Dossier.objects.filter(
            agency_id__in=agency_ids,
            state__in=(DossierState.ACCEPTED, DossierState.PROCESSING, DossierState.PAUSED),
            due_at__lt=moment,
        )
        .values("agency_id")
        .annotate(n=Count("agency_id"))  # not the pk: the index holds the agency, not the id
        .order_by()
    )
    return {r["agency_id"]: r["n"] for r in rows}


def kpi_dossiers(
    *, kind: str, start: datetime, end: datetime, agency_ids: list[int]
) -> QuerySet[Dossier]:
    """The dossiers behind a KPI that did not count, in [start, end): received but not
    fully online (`not_full_online`), resolved late (`late`), rated 1–2 (`not_satisfied`),
    with a fee not paid online (`not_paid_online`)."""
    from tinhso.onestop.models import Channel, OnlineType, Timeliness

    qs = Dossier.objects.filter(agency_id__in=agency_ids)
    received = Q(received_at__gte=start, received_at__lt=end)
    resolved = Q(
        state__in=(DossierState.APPROVED, DossierState.RETURNED),
        result_at__gte=start,
        result_at__lt=end,
    )
    if kind == "not_full_online":
        qs = qs.filter(received).exclude(channel=Channel.ONLINE, online_type=OnlineType.FULL)
    elif kind == "late":
        qs = qs.filter(resolved, timeliness=Timeliness.LATE)
    elif kind == "not_satisfied":
        qs = qs.filter(resolved, rating__score__lte=2)
    else:
        qs = qs.filter(received, fee_vnd__gt=0, paid_online=False)
    return qs.select_related("procedure", "agency").order_by("received_at", "pk")
