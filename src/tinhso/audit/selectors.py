"""Reading and verifying the audit trail."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import Q, QuerySet

from tinhso.audit.models import AuditEntry, ChainHead
from tinhso.audit.services import GENESIS_HASH
from tinhso.core.text import fold

# ---------------------------------------------------------------------------------------
# Verification
# ---------------------------------------------------------------------------------------


@dataclass
class ChainReport:
    ok: bool
    checked: int
    broken_seq: int | None = None
    reason: str = ""
    unsealed: int = 0  # entries recorded but not yet sealed (not checked)


_COLUMNS = (
    "seq, created_at, actor_id, actor_name, action, object_type, object_id, agency_id, "
    "summary, ip, prev_hash, hash"
)


def _sqlite_iso(value: str) -> str:
    """SQLite keeps naive UTC text 'YYYY-MM-DD HH:MM:SS[.ffffff]'; give the hashed form."""
    if len(value) == 19:
        value += ".000000"
    return f"{value[:10]}T{value[11:26]}+00:00"


@dataclass
class _RangeResult:
    first_prev: str | None  # prev_hash stored in the range's first row
    last_hash: str | None  # hash of the range's last row
    checked: int
    error: ChainReport | None = None


def _verify_range(lo: int, hi: int, prev_hash: str | None, batch_size: int) -> _RangeResult:
    """Check rows lo..hi: gapless seqs, links inside the range, each row's hash.

    `prev_hash` is the hash the first row must link to, or None to accept (and return)
    whatever it links to (the caller checks range boundaries).
    """
    sha256 = hashlib.sha256
    loads = json.loads
    encode = json.JSONEncoder(
        ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str
    ).encode
    table = AuditEntry._meta.db_table
    columns = _COLUMNS
    if connection.vendor == "sqlite":  # read the timestamp as text: no per-row converter
        columns = columns.replace("created_at,", "CAST(created_at AS TEXT),", 1)
    first_prev: str | None = None
    expected_seq = lo
    # Links archived with a detached partition (tinhso.core.partitions): stepped over.
    archived = _ArchivedLinks()
    skipped = 0

    def step_over() -> ChainReport | None:
        """At a gap starting at `expected_seq`: step over the archived interval there."""
        nonlocal expected_seq, prev_hash, first_prev, skipped
        found = archived.covering(expected_seq)
        if found is None:
            return None
        ilo, ihi, iprev, ilast = found
        if ilo == expected_seq and prev_hash is not None and iprev != prev_hash:
            return ChainReport(
                False,
                expected_seq - lo - skipped - 1,
                expected_seq,
                "liên kết với đoạn chuỗi đã lưu trữ bị sai",
            )
        if ilo < expected_seq and prev_hash is not None:
            return None
        if first_prev is None:
            first_prev = iprev if ilo == expected_seq else ilast
        prev_hash = ilast
        upto = min(ihi, hi)
        skipped += upto + 1 - expected_seq
        expected_seq = upto + 1
        return None

    # Inside a transaction the PostgreSQL server-side cursor streams (no WITH HOLD copy).
    with transaction.atomic(), connection.chunked_cursor() as cursor:
        cursor.execute(
            f"SELECT {columns} FROM {table} WHERE seq >= %s AND seq <= %s ORDER BY seq",  # noqa: S608
            [lo, hi],
        )
        while True:
            rows = cursor.fetchmany(batch_size)
            if not rows:
                break
            for row in rows:
                (
                    seq,
                    created_at,
                    actor_id,
                    actor_name,
                    action,
                    object_type,
                    object_id,
                    agency_id,
                    summary,
                    ip,
                    stored_prev,
                    stored_hash,
                ) = row
                if seq != expected_seq and archived and (broken := step_over()):
                    return _RangeResult(first_prev, prev_hash, broken.checked, broken)
                checked = expected_seq - lo - skipped
                if seq != expected_seq:
                    return _RangeResult(
                        first_prev,
                        prev_hash,
                        checked,
                        ChainReport(
                            False,
                            expected_seq - 1,
                            expected_seq,
                            f"thiếu hoặc sai thứ tự bản ghi (gặp #{seq}, cần #{expected_seq})",
                        ),
                    )
                if prev_hash is None:
                    prev_hash = first_prev = stored_prev
                elif first_prev is None:
                    first_prev = stored_prev
                if stored_prev != prev_hash:
                    return _RangeResult(
                        first_prev,
                        prev_hash,
                        checked,
                        ChainReport(
                            False,
                            seq - 1,
                            seq,
                            "liên kết với bản ghi trước bị sai (bị sắp xếp lại)",
                        ),
                    )
                if isinstance(created_at, str):
                    iso = _sqlite_iso(created_at)
                elif created_at.tzinfo is None:  # SQLite: naive UTC
                    iso = created_at.isoformat(timespec="microseconds") + "+00:00"
                else:
                    iso = created_at.isoformat(timespec="microseconds")
                content = sha256(
                    encode(
                        [
                            iso,
                            actor_id,
                            actor_name,
                            action,
                            object_type,
                            object_id,
                            agency_id,
                            loads(summary) if isinstance(summary, str) else summary,
                            ip,
                        ]
                    ).encode()
                ).hexdigest()
                if sha256(f"{prev_hash}:{seq}:{content}".encode()).hexdigest() != stored_hash:
                    return _RangeResult(
                        first_prev,
                        prev_hash,
                        checked,
                        ChainReport(False, seq - 1, seq, "nội dung bản ghi đã bị thay đổi"),
                    )
                prev_hash = stored_hash
                expected_seq += 1
    if expected_seq <= hi and archived and (broken := step_over()):
        return _RangeResult(first_prev, prev_hash, broken.checked, broken)
    checked = expected_seq - lo - skipped
    if expected_seq <= hi:
        return _RangeResult(
            first_prev,
            prev_hash,
            checked,
            ChainReport(
                False,
                expected_seq - 1,
                expected_seq,
                f"thiếu bản ghi (đầu chuỗi ghi #{hi}, bản ghi cuối là #{expected_seq - 1})",
            ),
        )
    return _RangeResult(first_prev, prev_hash, checked)


class _ArchivedLinks:
    """The audit chain's intervals archived with detached partitions (PostgreSQL)."""

    def __init__(self) -> None:
        from tinhso.core.partitions import archived_chain

        self.intervals = sorted(
            (lo, hi, prev, last) for lo, (hi, prev, last) in archived_chain().items()
        )

    def __bool__(self) -> bool:
        return bool(self.intervals)

    def covering(self, seq: int) -> tuple[int, int, str, str] | None:
        from bisect import bisect_right

        index = bisect_right(self.intervals, (seq, float("inf"))) - 1
        if index >= 0 and self.intervals[index][0] <= seq <= self.intervals[index][1]:
            return self.intervals[index]
        return None


def _range_job(args: tuple[int, int, int]) -> _RangeResult:
    """Runs in a worker process (forked): its own database connection."""
    from django.db import connections

    lo, hi, batch_size = args
    try:
        return _verify_range(lo, hi, GENESIS_HASH if lo == 1 else None, batch_size)
    finally:
        connections.close_all()


def verify_chain(
    batch_size: int = 20_000, workers: int = 1, min_range: int = 50_000
) -> ChainReport:
    """Walk the sealed chain in sequence order; report the first broken link.

    Only sealed rows are walked (`seq` order, which is the sealing order, not the id
    order); entries not yet sealed are counted in `unsealed` and not checked: a change
    to an unsealed row cannot be detected until it is sealed (then its recomputed
    content digest no longer matches the link, unless the stored digest was rewritten
    too). Call `services.seal_pending()` first for a complete check; the worker seals
    every second, so the unsealed window is short. Detects a changed row (its hash no longer matches its content), a deleted row (a gap
    in the sequence, or the chain head pointing past the last row), and reordered rows
    (prev_hash links broken). Rows are streamed with a server-side cursor (PostgreSQL)
    and hashed in a tight loop without model instances (~100,000 rows/s per core).
    With `workers` > 1 the sequence is cut into ranges checked by as many processes
    (fork), and the links between ranges are checked here; the report is the same.
    """
    report = _verify_sealed(batch_size, workers, min_range)
    report.unsealed = AuditEntry.objects.filter(hash__isnull=True).count()
    if not report.ok:
        from tinhso.core.signals import security_event

        security_event.send(
            sender=__name__,
            kind="audit_chain_broken",
            detail=f"#{report.broken_seq}: {report.reason}",
        )
    return report


def _verify_sealed(batch_size: int, workers: int, min_range: int) -> ChainReport:
    from django.db import connections

    head = ChainHead.objects.filter(pk=1).values_list("last_seq", "last_hash").first()
    last_seq, head_hash = head if head else (0, GENESIS_HASH)
    if last_seq == 0:
        if AuditEntry.objects.filter(seq__isnull=False).exists():
            return ChainReport(False, 0, 1, "đầu chuỗi bị xóa nhưng còn bản ghi")
        return ChainReport(True, 0)
    workers = max(1, min(workers, last_seq // min_range or 1))
    if workers > 1 and (
        connection.in_atomic_block
        or (
            connection.vendor == "sqlite"
            and getattr(connection, "is_in_memory_db", lambda: False)()
        )
    ):
        workers = 1  # other processes would not see the same data
    if workers == 1:
        results = [_verify_range(1, last_seq, GENESIS_HASH, batch_size)]
    else:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        step = -(-last_seq // workers)
        ranges = [
            (lo, min(lo + step - 1, last_seq), batch_size) for lo in range(1, last_seq + 1, step)
        ]
        connections.close_all()  # children must not share the parent's connection
        with ProcessPoolExecutor(
            max_workers=len(ranges), mp_context=multiprocessing.get_context("fork")
        ) as pool:
            results = list(pool.map(_range_job, ranges))
    checked = 0
    previous_last: str | None = None
    for result in results:
        if previous_last is not None and result.checked and result.first_prev != previous_last:
            return ChainReport(
                False, checked, checked + 1, "liên kết với bản ghi trước bị sai (bị sắp xếp lại)"
            )
        if result.error:  # every range before was intact, so this is the first break
            return result.error
        checked += result.checked
        previous_last = result.last_hash
    if previous_last != head_hash:
        return ChainReport(
            False, checked - 1, checked, "bản ghi cuối không khớp với đầu chuỗi (đã bị thay)"
        )
    return ChainReport(True, checked)


# ---------------------------------------------------------------------------------------
# Browsing the trail
# ---------------------------------------------------------------------------------------


@dataclass
class TrailFilter:
    actor: str = ""
    action: str = ""
    object: str = ""
    agency: str = ""
    date_from: date | None = None
    date_to: date | None = None


def visible_entries(user) -> QuerySet[AuditEntry]:
    """Entries the user may read: platform admins all; agency admins their agencies'."""
    from tinhso.accounts.models import Role
    from tinhso.accounts.rules import can, is_platform_admin, visible_agency_filter
    from tinhso.directory.models import Agency

    if not can(user, "audit.view_trail"):
        return AuditEntry.objects.none()
    if is_platform_admin(user):
        return AuditEntry.objects.all()
    agencies = Agency.objects.filter(visible_agency_filter(user, {Role.AGENCY_ADMIN}))
    return AuditEntry.objects.filter(agency_id__in=agencies.values("pk"))


def _day_start(day: date) -> datetime:
    from django.utils import timezone

    return timezone.make_aware(datetime.combine(day, time.min))


def filter_trail(qs: QuerySet[AuditEntry], f: TrailFilter) -> QuerySet[AuditEntry]:
    if f.actor:
        term = f.actor.strip()
        qs = qs.filter(Q(actor_name__icontains=term) | Q(actor_id__in=_users_matching(term)))
    if f.action:
        from tinhso.audit.labels import actions_matching

        # A code or a module prefix ("accounts.", "accounts.login_2fa"), or words of the
        # label ("đăng nhập", "dang nhap", "sign-in").
        term = f.action.strip()
        qs = qs.filter(Q(action__startswith=term) | Q(action__in=actions_matching(term)))
    if f.object:
        term = f.object.strip()
        if ":" in term:
            object_type, object_id = term.split(":", 1)
            qs = qs.filter(object_type=object_type.strip(), object_id=object_id.strip())
        else:
            qs = qs.filter(Q(object_id=term) | Q(object_type=term) | Q(object_repr__icontains=term))
    if f.agency:
        from tinhso.directory.models import Agency

        term = f.agency.strip()
        agencies = Agency.objects.filter(Q(code=term) | Q(name_folded__contains=fold(term)))
        qs = qs.filter(agency_id__in=agencies.values("pk"))
    if f.date_from:
        qs = qs.filter(created_at__gte=_day_start(f.date_from))
    if f.date_to:
        qs = qs.filter(created_at__lt=_day_start(f.date_to + timedelta(days=1)))
    return qs.order_by("-id")


def _users_matching(term: str) -> Any:
    from django.contrib.auth import get_user_model

    User = get_user_model()
    return User.objects.filter(Q(username__icontains=term) | Q(full_name__icontains=term)).values(
        "pk"
    )


def trail_for(user, f: TrailFilter | None = None) -> QuerySet[AuditEntry]:
    return filter_trail(visible_entries(user), f or TrailFilter())
