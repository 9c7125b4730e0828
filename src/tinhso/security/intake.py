"""Storing events and running the triage rules on them, in one transaction per batch.

`ingest(source=..., items=[Parsed, ...])` is the one path every intake takes (HTTP,
syslog, tinhso's own events): it drops replays (idempotent by source + alert id), maps
the severity (SeverityBand rows), attributes each event to an agency and information
system (AssetRange rows), stores the events with their raw text, evaluates the rules
and raises or folds alerts — all committed together, so an event is "accepted" exactly
when its alerts exist too, and nothing accepted is lost if the process dies afterwards.

Everything per batch is set-based: one pre-check of replayed ids, multi-row INSERTs with
ON CONFLICT DO NOTHING (the unique source + alert id drops replays that raced past the
pre-check), the rules evaluated in memory over the whole batch, one bulk insert of the
threshold hits, one query for the window counts of every (rule, key) the batch touched,
one for the open alerts they fold into, one UPDATE for the folds and one bulk INSERT for
the new alerts: a constant number of statements per batch, not per event or per rule.

The lookup tables (severity bands, asset ranges, active rules) are read once per process
and kept (`tables()`); a change (`forget_tables()`, called by the services that change
them and by the model signals) bumps a version in the shared cache, which every process
checks at most once a second, so an edited rule applies everywhere within about a second.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import json
import logging
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Count, Q
from django.utils import timezone

from tinhso.security.models import (
    SEVERITY_RANK,
    Alert,
    AssetRange,
    Event,
    Rule,
    RuleHit,
    SeverityBand,
    Source,
)
from tinhso.security.parsing import Parsed

log = logging.getLogger(__name__)

TABLE_TTL_SECONDS = 300.0  # reloaded at least this often even without a change
VERSION_CHECK_SECONDS = 1.0  # how often a process asks the shared cache for the version
TABLES_VERSION_KEY = "security:intake:tables-version"
FUTURE_SKEW = dt.timedelta(minutes=5)
OPEN_ALERT = (Alert.Status.NEW, Alert.Status.ACKNOWLEDGED, Alert.Status.IN_INCIDENT)

# ---------------------------------------------------------------------------------------
# Rule conditions

OPERATORS = {
    "eq",
    "ne",
    "in",
    "contains",
    "contains_any",
    "startswith",
    "gte",
    "lte",
    "regex",
    "exists",
    "in_cidr",
}
RULE_FIELDS = {
    "format",
    "level",
    "severity",
    "rule_id",
    "description",
    "category",
    "groups",
    "agent_id",
    "agent_name",
    "host",
    "src_ip",
    "user_name",
    "agent_ip",
    "decoder",
    "location",
    "mitre",
    "url",
    "outcome",
    "vendor",
    "product",
    "dst_user",
    "agency",
    "system",
}


def _as_list(value: Any) -> list:
    if isinstance(value, list):
        return value
    return [value]


def check_condition(condition: dict[str, Any], value: Any) -> bool:
    op = condition.get("op", "eq")
    expected = condition.get("value")
    if op == "exists":
        return value not in (None, "", [])
    if value is None:
        return False
    if op == "eq":
        return str(value).lower() == str(expected).lower()
    if op == "ne":
        return str(value).lower() != str(expected).lower()
    if op == "in":
        return str(value).lower() in {str(v).lower() for v in _as_list(expected)}
    if op == "contains":
        if isinstance(value, list):
            return str(expected).lower() in {str(v).lower() for v in value}
        return str(expected).lower() in str(value).lower()
    if op == "contains_any":
        have = {str(v).lower() for v in _as_list(value)}
        return bool(have & {str(v).lower() for v in _as_list(expected)})
    if op == "startswith":
        return str(value).lower().startswith(str(expected).lower())
    if op in ("gte", "lte"):
        try:
            number, limit = float(value), float(expected)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return False
        return number >= limit if op == "gte" else number <= limit
    if op == "regex":
        return bool(_regex(str(expected)).search(str(value)))
    if op == "in_cidr":
        try:
            return ipaddress.ip_address(str(value)) in ipaddress.ip_network(
                str(expected), strict=False
            )
        except ValueError:
            return False
    return False


_REGEX_CACHE: dict[str, re.Pattern] = {}


def _regex(pattern: str) -> re.Pattern:
    compiled = _REGEX_CACHE.get(pattern)
    if compiled is None:
        compiled = _REGEX_CACHE[pattern] = re.compile(pattern, re.I)
    return compiled


# ---------------------------------------------------------------------------------------
# Lookup tables, cached per process


@dataclass
class Tables:
    loaded: float
    bands: dict[str, list[tuple[int, int, str]]]
    agent_ids: dict[str, tuple[int, int | None]]
    prefixes: list[tuple[str, str, int, int | None]]  # (kind, prefix, agency, system)
    networks: list[tuple[Any, int, int | None]]
    rules: list[Rule]
    system_owner: dict[int, int] = field(default_factory=dict)
    version: Any = None
    checked: float = 0.0


_tables: Tables | None = None
_lock = threading.Lock()


def _shared_version() -> Any:
    try:
        return cache.get(TABLES_VERSION_KEY)
    except Exception:  # the cache table missing (early migrations): local TTL only
        return None


def forget_tables() -> None:
    """Drop this process's tables now, and once the change is committed tell the other
    processes (a new version in the shared cache; bumped after the commit, or another
    process could reload the old rows under the new version)."""
    global _tables
    _tables = None
    transaction.on_commit(_bump_version)


def _bump_version() -> None:
    global _tables
    _tables = None
    try:
        cache.set(TABLES_VERSION_KEY, time.time_ns(), timeout=None)
    except Exception:  # no cache table yet (migrations): the TTL still applies
        log.warning("security: could not publish the intake tables' version", exc_info=True)


def tables() -> Tables:
    global _tables
    current = _tables
    now = time.monotonic()
    if current is not None and now - current.loaded < TABLE_TTL_SECONDS:
        if now - current.checked < VERSION_CHECK_SECONDS:
            return current
        current.checked = now
        if _shared_version() == current.version:
            return current
    with _lock:
        version = _shared_version()
        bands: dict[str, list[tuple[int, int, str]]] = {}
        for band in SeverityBand.objects.all():
            bands.setdefault(band.scale, []).append((band.min_level, band.max_level, band.severity))
        agent_ids: dict[str, tuple[int, int | None]] = {}
        prefixes: list[tuple[str, str, int, int | None]] = []
        networks: list[tuple[Any, int, int | None]] = []
        for r in AssetRange.objects.all():
            if r.kind == AssetRange.Kind.AGENT_ID:
                agent_ids[r.value.strip()] = (r.agency_id, r.system_id)
            elif r.kind == AssetRange.Kind.IP_RANGE:
                try:
                    networks.append(
                        (
                            ipaddress.ip_network(r.value.strip(), strict=False),
                            r.agency_id,
                            r.system_id,
                        )
                    )
                except ValueError:
                    continue
            else:
                prefixes.append((r.kind, r.value.strip().lower(), r.agency_id, r.system_id))
        prefixes.sort(key=lambda p: -len(p[1]))  # longest prefix first
        networks.sort(key=lambda n: -n[0].prefixlen)  # narrowest range first
        rules = list(Rule.objects.filter(is_active=True).order_by("code"))
        loaded = time.monotonic()
        _tables = Tables(
            loaded, bands, agent_ids, prefixes, networks, rules, version=version, checked=loaded
        )
        return _tables


def map_severity(t: Tables, scale: str, level: int) -> str:
    for low, high, severity in t.bands.get(scale, ()):
        if low <= level <= high:
            return severity
    return "low"


def attribute(t: Tables, p: Parsed) -> tuple[int | None, int | None]:
    if p.agent_id and p.agent_id in t.agent_ids:
        return t.agent_ids[p.agent_id]
    agent_name, host = p.agent_name.lower(), p.host.lower()
    for kind, prefix, agency, system in t.prefixes:
        value = agent_name if kind == AssetRange.Kind.AGENT_NAME else host
        if value and value.startswith(prefix):
            return agency, system
    ip_text = p.extra.get("agent_ip")
    if ip_text and t.networks:
        try:
            address = ipaddress.ip_address(ip_text)
        except ValueError:
            address = None
        if address is not None:
            for network, agency, system in t.networks:
                if address.version == network.version and address in network:
                    return agency, system
    return None, None


# ---------------------------------------------------------------------------------------
# Ingest


@dataclass
class IngestResult:
    accepted: int = 0
    duplicates: int = 0
    alerts_raised: int = 0
    alerts_folded: int = 0
    events: list[Event] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)


def _clamp_time(moment: dt.datetime | None, received: dt.datetime) -> dt.datetime:
    if moment is None or moment > received + FUTURE_SKEW:
        return received
    return moment


def _fields(p: Parsed, event: Event) -> dict[str, Any]:
    values = dict(p.extra)
    values.update(
        format=p.format,
        level=p.level,
        severity=event.severity,
        rule_id=p.rule_id,
        description=p.description,
        category=p.category,
        groups=p.groups,
        agent_id=p.agent_id,
        agent_name=p.agent_name,
        host=p.host,
        src_ip=p.src_ip,
        user_name=p.user_name,
        agency=event.agency_id,
        system=event.system_id,
    )
    return values


def _matches(rule: Rule, values: dict[str, Any]) -> bool:
    for condition in rule.conditions or []:
        if not check_condition(condition, values.get(condition.get("field", ""))):
            return False
    return True


def _key(rule: Rule, values: dict[str, Any]) -> tuple[str, str]:
    parts = [f"{name}={values.get(name) or ''}" for name in (rule.group_by or [])]
    label = ", ".join(parts)
    digest = hashlib.sha256(f"{rule.code}\0{label}".encode()).hexdigest()[:40]
    return digest, label


_EVENT_COLUMNS = [
    "source_id",
    "source_event_id",
    "format",
    "received_at",
    "occurred_at",
    "level",
    "severity",
    "category",
    "rule_id",
    "description",
    "agent_id",
    "agent_name",
    "host",
    "src_ip",
    "user_name",
    "groups",
    "agency_id",
    "system_id",
    "raw",
]
_ROWS_PER_STATEMENT = 500


def _row(event: Event) -> list[Any]:
    """Column values of `event`, bounded like the fields (the parser already cut them)."""
    ops = connection.ops
    return [
        event.source_id,  # type: ignore[attr-defined]
        event.source_event_id[:120],
        event.format[:8],
        ops.adapt_datetimefield_value(event.received_at),
        ops.adapt_datetimefield_value(event.occurred_at),
        max(-32768, min(32767, int(event.level))),
        event.severity[:10],
        event.category[:60],
        event.rule_id[:40],
        event.description[:500],
        event.agent_id[:40],
        event.agent_name[:120],
        event.host[:120],
        event.src_ip,
        event.user_name[:150],
        json.dumps(event.groups, ensure_ascii=False),
        event.agency_id,  # type: ignore[attr-defined]
        event.system_id,  # type: ignore[attr-defined]
        event.raw.replace("\x00", "")[:131_072],
    ]


_STAGE_TYPES = {
    "source_id": "bigint",
    "received_at": "timestamptz",
    "occurred_at": "timestamptz",
    "level": "integer",
    "src_ip": "inet",
    "groups": "jsonb",
    "agency_id": "bigint",
    "system_id": "bigint",
}
_STAGE = "security_event_stage"


def _mark_stored(event: Event, pk: int) -> None:
    event.pk = pk
    event._state.adding = False
    event._state.db = connection.alias


def _store_events_copy(events: list[Event]) -> tuple[list[Event], int]:
    """PostgreSQL: COPY the batch into a session temporary table, then one INSERT ...
    SELECT ... ON CONFLICT DO NOTHING (COPY itself cannot skip replays). COPY spares the
    driver from splitting a statement with thousands of placeholders."""
    table = Event._meta.db_table
    quoted = [connection.ops.quote_name(c) for c in _EVENT_COLUMNS]
    columns = ", ".join(quoted)
    typed = ", ".join(
        f"{q} {_STAGE_TYPES.get(c, 'text')}" for q, c in zip(quoted, _EVENT_COLUMNS, strict=True)
    )
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMPORARY TABLE IF NOT EXISTS {_STAGE} (seq integer, {typed})")
        with cursor.cursor.copy(f"COPY {_STAGE} (seq, {columns}) FROM STDIN") as copy:
            for seq, event in enumerate(events):
                copy.write_row([seq, *_row(event)])
        cursor.execute(
            f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {_STAGE} "  # noqa: S608
            "ORDER BY seq ON CONFLICT DO NOTHING RETURNING id, source_event_id"
        )
        returned = cursor.fetchall()
        cursor.execute(f"DELETE FROM {_STAGE}")  # noqa: S608 (our own name)
    by_id = {sid: pk for pk, sid in returned if sid}
    unnamed = iter([pk for pk, sid in returned if not sid])  # never conflict, in order
    stored: list[Event] = []
    for event in events:
        pk = by_id.get(event.source_event_id) if event.source_event_id else next(unnamed, None)
        if pk is None:
            continue
        _mark_stored(event, pk)
        stored.append(event)
    return stored, len(events) - len(stored)


def _store_events(events: list[Event]) -> tuple[list[Event], int]:
    """One multi-row INSERT per 500 events (the ORM's per-field work is the intake's
    main cost otherwise); replays that raced past the pre-check are skipped by the
    unique constraint (ON CONFLICT DO NOTHING). Rows come back in insertion order, so
    the ids returned are matched to the events in order, skipping the conflicts."""
    if connection.vendor == "postgresql":
        return _store_events_copy(events)
    table = Event._meta.db_table
    columns = ", ".join(connection.ops.quote_name(c) for c in _EVENT_COLUMNS)
    casts = {"groups": "::jsonb", "src_ip": "::inet"} if connection.vendor == "postgresql" else {}
    placeholder = "(" + ", ".join("%s" + casts.get(c, "") for c in _EVENT_COLUMNS) + ")"
    stored: list[Event] = []
    dropped = 0
    with connection.cursor() as cursor:
        for start in range(0, len(events), _ROWS_PER_STATEMENT):
            chunk = events[start : start + _ROWS_PER_STATEMENT]
            params: list[Any] = []
            for event in chunk:
                params.extend(_row(event))
            sql = (
                f"INSERT INTO {table} ({columns}) VALUES "  # noqa: S608 (our own names)
                + ", ".join([placeholder] * len(chunk))
                + " ON CONFLICT DO NOTHING RETURNING id, source_event_id"
            )
            cursor.execute(sql, params)
            returned = cursor.fetchall()
            j = 0
            for event in chunk:
                if j < len(returned) and returned[j][1] == event.source_event_id:
                    event.pk = returned[j][0]
                    event._state.adding = False
                    event._state.db = connection.alias
                    stored.append(event)
                    j += 1
                else:
                    dropped += 1
    return stored, dropped


def ingest(
    *, source: Source, items: list[Parsed], received_at: dt.datetime | None = None
) -> IngestResult:
    """Store `items` from `source` and run the rules; one transaction."""
    result = IngestResult()
    if not items:
        return result
    received_at = received_at or timezone.now()
    t = tables()
    with transaction.atomic():
        ids = {p.source_event_id for p in items if p.source_event_id}
        seen = (
            set(
                Event.objects.filter(source=source, source_event_id__in=ids).values_list(
                    "source_event_id", flat=True
                )
            )
            if ids
            else set()
        )
        events: list[Event] = []
        parsed_for: list[Parsed] = []
        for p in items:
            if p.source_event_id:
                if p.source_event_id in seen:
                    result.duplicates += 1
                    continue
                seen.add(p.source_event_id)
            agency_id, system_id = attribute(t, p)
            severity = p.severity or map_severity(t, p.scale, p.level)
            events.append(
                Event(
                    source=source,
                    source_event_id=p.source_event_id,
                    format=p.format,
                    received_at=received_at,
                    occurred_at=_clamp_time(p.occurred_at, received_at),
                    level=p.level,
                    severity=severity,
                    category=p.category,
                    rule_id=p.rule_id,
                    description=p.description,
                    agent_id=p.agent_id,
                    agent_name=p.agent_name,
                    host=p.host,
                    src_ip=p.src_ip,
                    user_name=p.user_name,
                    groups=p.groups,
                    agency_id=agency_id,
                    system_id=system_id,
                    raw=p.raw,
                )
            )
            parsed_for.append(p)
        stored, dropped = _store_events(events)
        result.duplicates += dropped
        result.accepted = len(stored)
        result.events = stored
        if stored:
            by_event = {id(e): p for e, p in zip(events, parsed_for, strict=True)}
            _run_rules(t, [(e, by_event[id(e)]) for e in stored], result, received_at)
            # At most every few seconds: the source row is shared by every writer.
            Source.objects.filter(pk=source.pk).filter(
                Q(last_event_at__isnull=True)
                | Q(last_event_at__lt=received_at - dt.timedelta(seconds=5))
            ).update(last_event_at=received_at)
    return result


_PAIRS_PER_QUERY = 200  # (rule, key) pairs per OR-ed lookup (bounded parameters)


def _chunks(items: list, size: int = _PAIRS_PER_QUERY):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _run_rules(
    t: Tables, pairs: list[tuple[Event, Parsed]], result: IngestResult, now: dt.datetime
) -> None:
    """Evaluate every active rule on every event in memory, then settle each (rule, key)
    group of the batch with a constant number of statements."""
    groups: dict[tuple[int, str], list[Event]] = {}
    labels: dict[tuple[int, str], str] = {}
    rules_by_id = {rule.pk: rule for rule in t.rules}
    hits: list[RuleHit] = []
    for event, parsed in pairs:
        values = _fields(parsed, event)
        for rule in t.rules:
            if not _matches(rule, values):
                continue
            key, label = _key(rule, values)
            groups.setdefault((rule.pk, key), []).append(event)
            labels[(rule.pk, key)] = label
            if rule.threshold > 1:
                hits.append(RuleHit(rule_id=rule.pk, key=key, at=event.occurred_at, event=event))
    if not groups:
        return
    if hits:
        RuleHit.objects.bulk_create(hits, batch_size=1000)
    counts = _window_counts(rules_by_id, groups)
    due: dict[tuple[int, str], int] = {}
    for (rule_id, key), matched in groups.items():
        rule = rules_by_id[rule_id]
        if rule.threshold > 1:
            count = counts.get((rule_id, key), 0)
            if count < rule.threshold:
                continue
        else:
            count = len(matched)
        due[(rule_id, key)] = count
    if due:
        _raise_or_fold(rules_by_id, due, groups, labels, result, now)


def _values_cte(name: str, columns: list[tuple[str, str]], rows: list[tuple]) -> tuple[str, list]:
    """`WITH name(columns) AS (VALUES ...)` for `rows` (typed on PostgreSQL), portable to
    SQLite; our own identifiers only, values as parameters."""
    pg = connection.vendor == "postgresql"
    cell = "(" + ", ".join(f"%s::{kind}" if pg else "%s" for _col, kind in columns) + ")"
    params: list[Any] = []
    adapt = connection.ops.adapt_datetimefield_value
    for row in rows:
        params.extend(adapt(v) if isinstance(v, dt.datetime) else v for v in row)
    names = ", ".join(col for col, _kind in columns)
    return f"WITH {name}({names}) AS (VALUES {', '.join([cell] * len(rows))})", params


def _window_counts(
    rules_by_id: dict[int, Rule], groups: dict[tuple[int, str], list[Event]]
) -> dict[tuple[int, str], int]:
    """Hits of each threshold group within its window, ending at its latest event (the
    batch's own hits included): one grouped query per 200 groups."""
    wanted = [
        (
            rule_id,
            key,
            max(e.occurred_at for e in matched)
            - dt.timedelta(seconds=rules_by_id[rule_id].window_seconds),
        )
        for (rule_id, key), matched in groups.items()
        if rules_by_id[rule_id].threshold > 1
    ]
    counts: dict[tuple[int, str], int] = {}
    table = RuleHit._meta.db_table
    with connection.cursor() as cursor:
        for chunk in _chunks(wanted):
            cte, params = _values_cte(
                "w", [("rule_id", "bigint"), ("rkey", "text"), ("since", "timestamptz")], chunk
            )
            cursor.execute(
                " ".join(
                    (
                        cte,
                        f"SELECT w.rule_id, w.rkey, COUNT(*) FROM w JOIN {table} h",  # noqa: S608
                        "ON h.rule_id = w.rule_id AND h.key = w.rkey AND h.at >= w.since",
                        "GROUP BY w.rule_id, w.rkey",
                    )
                ),
                params,
            )
            for rule_id, key, n in cursor.fetchall():
                counts[(int(rule_id), key)] = int(n)
    return counts


def _raise_or_fold(
    rules_by_id: dict[int, Rule],
    due: dict[tuple[int, str], int],
    groups: dict[tuple[int, str], list[Event]],
    labels: dict[tuple[int, str], str],
    result: IngestResult,
    now: dt.datetime,
) -> None:
    """Fold each due group into its open alert (touched within the rule's dedup window)
    or raise a new one: one query for the open alerts, one UPDATE for all the folds, one
    bulk INSERT for the new alerts."""
    table = Alert._meta.db_table
    open_alerts: dict[tuple[int, str], int] = {}
    with connection.cursor() as cursor:
        for chunk in _chunks(list(due)):
            rows = [
                (rule_id, key, now - dt.timedelta(seconds=rules_by_id[rule_id].dedup_seconds))
                for rule_id, key in chunk
            ]
            cte, params = _values_cte(
                "w", [("rule_id", "bigint"), ("rkey", "text"), ("since", "timestamptz")], rows
            )
            cursor.execute(
                " ".join(
                    (
                        cte,
                        f"SELECT a.id, a.rule_id, a.key FROM w JOIN {table} a",  # noqa: S608
                        "ON a.rule_id = w.rule_id AND a.key = w.rkey AND a.touched_at >= w.since",
                        "WHERE a.status IN (" + ", ".join(["%s"] * len(OPEN_ALERT)) + ")",
                        "ORDER BY a.touched_at, a.id",
                    )
                ),
                params + [str(status) for status in OPEN_ALERT],
            )
            for pk, rule_id, key in cursor.fetchall():  # the latest touched one wins
                open_alerts[(int(rule_id), key)] = int(pk)
    folds: list[tuple[int, int, dt.datetime]] = []  # (alert pk, events, last seen)
    raised: list[Alert] = []
    for (rule_id, key), count in due.items():
        matched = groups[(rule_id, key)]
        last_seen = max(e.occurred_at for e in matched)
        held = open_alerts.get((rule_id, key))
        if held is not None:
            folds.append((held, len(matched), last_seen))
            continue
        rule = rules_by_id[rule_id]
        label = labels[(rule_id, key)]
        worst = max(matched, key=lambda e: SEVERITY_RANK.get(e.severity, 0))
        first = matched[0]
        title = rule.name if not label else f"{rule.name} ({label})"
        if rule.threshold <= 1 and first.description and first.description not in title:
            title = f"{rule.name}: {first.description}"
        raised.append(
            Alert(
                rule=rule,
                key=key,
                title=title[:300],
                severity=rule.severity or worst.severity,
                category=rule.category or first.category,
                first_seen=min(e.occurred_at for e in matched),
                last_seen=last_seen,
                arrived_at=first.received_at,
                touched_at=now,
                count=count,
                first_event=first,
                agency_id=first.agency_id,  # type: ignore[attr-defined]
                system_id=first.system_id,  # type: ignore[attr-defined]
            )
        )
    if folds:
        # Lock the alerts in id order first: two writers folding into the same alerts
        # would otherwise lock them in whatever order each UPDATE meets them (deadlock).
        folds.sort()
        pg = connection.vendor == "postgresql"
        greatest = "GREATEST" if pg else "MAX"
        with connection.cursor() as cursor:
            for chunk in _chunks(folds):
                if pg:
                    cursor.execute(
                        " ".join(
                            (
                                f"SELECT id FROM {table}",  # noqa: S608 (our own identifiers)
                                "WHERE id IN (" + ", ".join(["%s"] * len(chunk)) + ")",
                                "ORDER BY id FOR UPDATE",
                            )
                        ),
                        [pk for pk, _n, _at in chunk],
                    )
                cte, params = _values_cte(
                    "f", [("id", "bigint"), ("n", "integer"), ("seen", "timestamptz")], chunk
                )
                cursor.execute(
                    " ".join(
                        (
                            cte,
                            f"UPDATE {table} SET",  # noqa: S608 (our own identifiers)
                            f"count = count + (SELECT f.n FROM f WHERE f.id = {table}.id),",  # noqa: S608
                            f"last_seen = {greatest}(last_seen,",
                            f"(SELECT f.seen FROM f WHERE f.id = {table}.id)),",  # noqa: S608
                            "touched_at = %s WHERE id IN (SELECT f.id FROM f)",
                        )
                    ),
                    [*params, connection.ops.adapt_datetimefield_value(now)],
                )
    result.alerts_folded += len(folds)
    if not raised:
        return
    raised_at = timezone.now()  # the last step before the commit
    for alert in raised:
        alert.raised_at = raised_at
    Alert.objects.bulk_create(raised, batch_size=500)
    result.alerts_raised += len(raised)
    result.alerts.extend(raised)
    from tinhso.security.services import alert_raised

    pks = [
        alert.pk
        for alert in raised
        if SEVERITY_RANK.get(alert.severity, 0) >= SEVERITY_RANK["high"]
    ]

    def notify() -> None:
        for pk in pks:
            alert_raised(alert_pk=pk)

    if pks:
        transaction.on_commit(notify)


def prune_rule_hits(*, older_than: dt.timedelta = dt.timedelta(days=1)) -> int:
    """RuleHits older than the longest window are not needed any more."""
    longest = max([r.window_seconds for r in Rule.objects.all()] or [0])
    limit = timezone.now() - max(older_than, dt.timedelta(seconds=longest))
    deleted, _ = RuleHit.objects.filter(at__lt=limit).delete()
    return deleted


def counts_by_severity(qs) -> dict[str, int]:
    return {row["severity"]: row["n"] for row in qs.values("severity").annotate(n=Count("id"))}
