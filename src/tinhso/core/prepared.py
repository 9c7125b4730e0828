"""Hot statements whose SQL Django writes once, then run with new values.

Two kinds: `Prepared`, one row of aggregates kept per shape and run with the moment of
now (the officers' queue counts, which lists of a documents desk have rows), and `one`,
one row by a unique field with the rows it joins (the signed-in account, a dossier or a
document for its page).

Django writes a statement's SQL anew at every call. For most pages that is a small part;
for the officers' queue counts (six `COUNT … FILTER` over the officer's agencies, asked on
every queue page) writing the SQL took 5 ms of a web process's CPU where PostgreSQL
answered in under one. What changes between two calls of one officer is only the moment
("overdue" is due before now), so `Prepared` keeps each shape's SQL and puts the moments
in:

- the caller names the shape with a key that determines the statement but for its
  moments (for the counts: the person, and the agencies each of their roles sees);
- the first call of a key runs the ORM's aggregate, captures the one statement it sends
  (Django's `execute_wrapper`) and finds the moments among its parameters, as the
  database driver receives them (a parameter equal to a moment is taken for it; two
  moments must differ);
- later calls send the kept SQL with the new moments in their places.

Moments are aware datetimes or dates; the answer is the row as a dict, values as the
database returns them (counts and sums need no conversion; an `EXISTS` is 0/1 on SQLite).
A statement that does not carry every moment is never kept: it is run by the ORM every
time.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connections, router
from django.db.models import Field, Model, QuerySet

MAX_SHAPES = 2000  # per process: one per officer and role set, a few hundred bytes each


@dataclass(frozen=True)
class _Statement:
    sql: str
    params: tuple[Any, ...]
    slots: dict[int, str]  # parameter index -> moment name
    names: tuple[str, ...]


def _adapt(connection, moment: date) -> Any:
    """A moment as the driver receives it from the ORM (SQLite: text; PostgreSQL: itself)."""
    if isinstance(moment, datetime):
        return connection.ops.adapt_datetimefield_value(moment)
    return connection.ops.adapt_datefield_value(moment)


class Prepared:
    """One row of aggregates or of `EXISTS` over `model`, its SQL kept per shape."""

    def __init__(self, model: type[Model]) -> None:
        self.model = model
        self._kept: OrderedDict[Hashable, _Statement | None] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(
        self, key: Hashable, build: Callable[..., dict[str, Any] | None], **moments: date
    ) -> dict[str, Any] | None:
        """`build(**moments)` evaluates the row: `Model.objects.aggregate(...)`, or
        `.values(...).first()` (None: no row)."""
        alias = router.db_for_read(self.model)
        with self._lock:
            known = (alias, key) in self._kept
            statement = self._kept.get((alias, key))
            if known:
                self._kept.move_to_end((alias, key))
        if not known:
            statement, answer = self._capture(alias, build, moments)
            with self._lock:
                self._kept[(alias, key)] = statement
                while len(self._kept) > MAX_SHAPES:
                    self._kept.popitem(last=False)
            return answer
        if statement is None:
            return build(**moments)
        connection = connections[alias]
        params = list(statement.params)
        for index, name in statement.slots.items():
            params[index] = _adapt(connection, moments[name])
        with connection.cursor() as cursor:
            cursor.execute(statement.sql, params)
            row = cursor.fetchone()
        return None if row is None else dict(zip(statement.names, row, strict=True))

    def _capture(
        self, alias: str, build: Callable[..., dict[str, Any] | None], moments: dict[str, date]
    ) -> tuple[_Statement | None, dict[str, Any] | None]:
        """The ORM's answer, and its statement with the moments' places, if it can be kept."""
        connection = connections[alias]
        sent: list[tuple[str, str, Any]] = []

        def capture(execute, sql, params, many, context):
            sent.append((context["connection"].alias, sql, params))
            return execute(sql, params, many, context)

        with ExitStack() as stack:
            for each in connections.all(initialized_only=True):
                stack.enter_context(each.execute_wrapper(capture))
            answer = build(**moments)
        adapted = {name: _adapt(connection, moment) for name, moment in moments.items()}
        if (
            answer is None  # no row: no names for the columns
            or len(sent) != 1
            or sent[0][0] != alias
            or len(set(adapted.values())) != len(adapted)
        ):
            return None, answer
        _alias, sql, params = sent[0]
        params = tuple(params or ())
        slots: dict[int, str] = {}
        for name, value in adapted.items():
            found = [i for i, param in enumerate(params) if param == value]
            if not found:
                return None, answer
            slots.update(dict.fromkeys(found, name))
        return _Statement(sql=sql, params=params, slots=slots, names=tuple(answer)), answer


# ---------------------------------------------------------------------------------------
# One row by a unique field, with the rows it joins


@dataclass(frozen=True)
class _RowPlan:
    """A statement as Django's `ModelIterable` would run and read it, for one thread (its
    converters are bound to the thread's connection)."""

    sql: str
    params: tuple[Any, ...]
    slot: int  # where the looked-up value goes
    model: type[Model]
    converters: dict[int, tuple[list[Callable], Any]]
    fields: slice  # the model's own columns
    attnames: tuple[str, ...]
    populators: tuple[Any, ...]  # Django's RelatedPopulator per joined model


_local = threading.local()


def one(model: type[Model], field: str, value: Any, related: tuple[str, ...] = ()) -> Any:
    """`model._default_manager.select_related(*related).filter(**{field: value}).first()`
    for a unique `field`, its SQL written once per thread.

    Some rows are read on every request or every page of a kind: the signed-in account
    (Django's authentication middleware, by primary key), a dossier with its procedure,
    agencies and step (its page, by uid). Writing those SELECTs (23 columns; 150 over six
    tables) cost Django more CPU than the database took to answer them. The row is read,
    converted and built as the ORM's own iterator does (the fields' converters,
    `Model.from_db`, the joined rows' populators); None when there is no such row or the
    value is not one the field can hold."""

    def build(value: Any) -> QuerySet:
        queryset = model._default_manager.filter(**{field: value})
        return queryset.select_related(*related) if related else queryset

    found = many((model, field, related), build, value, field=_field(model, field), limit=1)
    return found[0] if found else None


def many(
    key: Hashable,
    build: Callable[[Any], QuerySet],
    value: Any,
    *,
    field: Field,
    parent: Model | None = None,
    limit: int | None = None,
) -> list[Any]:
    """`list(build(value))`, its SQL written once per thread and `key`: the rows one value
    selects (a dossier's files, payments, events), `value` compared with `field`.

    `key` names everything the statement depends on but `value`; `parent`: the row
    `value` is the key of, set as each row's `field` (a foreign key), as a related
    manager does, so reading it back is no query."""
    try:
        value = field.to_python(value)
    except ValidationError:
        return []
    if value is None:  # `field IS NULL`: not a lookup by a value
        return []
    model = field.model
    alias = router.db_for_read(model)
    connection = connections[alias]
    plans: dict[tuple, _RowPlan] = _local.__dict__.setdefault("plans", {})
    plan = plans.get((key, alias))
    if plan is None:
        plan = plans[(key, alias)] = _row_plan(build(value), field, value, alias)
    params = list(plan.params)
    params[plan.slot] = field.get_db_prep_value(value, connection)
    with connection.cursor() as cursor:
        cursor.execute(plan.sql, params)
        fetched = cursor.fetchall() if limit is None else cursor.fetchmany(limit)
    found = []
    for row in fetched:
        values = list(row)
        for position, (converters, expression) in plan.converters.items():
            for convert in converters:
                values[position] = convert(values[position], expression, connection)
        item = plan.model.from_db(alias, plan.attnames, values[plan.fields])
        for populator in plan.populators:
            populator.populate(values, item)
        if parent is not None:
            setattr(item, field.name, parent)  # as a related manager's rows have it
        found.append(item)
    return found


def by_pk(model: type[Model], pk: Any) -> Any:
    """`one()` by primary key, nothing joined."""
    return one(model, "pk", pk)


def _field(model: type[Model], name: str) -> Field:
    found = model._meta.pk if name == "pk" else model._meta.get_field(name)
    if not isinstance(found, Field):
        raise TypeError(f"{model.__name__}.{name} is a relation's other side, not a field")
    return found


def _row_plan(queryset: QuerySet, field: Field, value: Any, alias: str) -> _RowPlan:
    from django.db.models.query import get_related_populators

    connection = connections[alias]
    compiler = queryset.query.get_compiler(alias)
    sql, params = compiler.as_sql()
    prepared = field.get_db_prep_value(value, connection)
    slots = [i for i, param in enumerate(params) if param == prepared]
    if len(slots) != 1 or compiler.annotation_col_map:
        # the value twice, or annotations: not a statement to keep this way
        raise ValueError(f"{queryset.model.__name__}: not a plain lookup by {field.name}")
    klass_info = compiler.klass_info
    select = compiler.select
    own = klass_info["select_fields"]
    columns = [column for column, _sql, _alias in select[: compiler.col_count]]
    return _RowPlan(
        sql=sql,
        params=tuple(params),
        slot=slots[0],
        model=klass_info["model"],
        converters=compiler.get_converters(columns),
        fields=slice(own[0], own[-1] + 1),
        attnames=tuple(c[0].target.attname for c in select[own[0] : own[-1] + 1]),
        # Django 5.2's signature (the stubs already have 6.0's `fetch_mode`)
        populators=tuple(get_related_populators(klass_info, select, alias)),  # type: ignore[call-arg]
    )
