"""Hot statements whose SQL Django writes once, then run with new values.

Two kinds: `Prepared`, an aggregate kept per shape and run with the moment of now (the
officers' queue counts), and `by_pk`, one row by primary key (the signed-in account).

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

Only aware datetimes are moments; the answer is the aggregate's dict, values as the
database returns them (counts and sums need no conversion). A statement that does not
carry every moment is never kept: it is run by the ORM every time.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connections, router
from django.db.models import Model

MAX_SHAPES = 2000  # per process: one per officer and role set, a few hundred bytes each


@dataclass(frozen=True)
class _Statement:
    sql: str
    params: tuple[Any, ...]
    slots: dict[int, str]  # parameter index -> moment name
    names: tuple[str, ...]


class Prepared:
    """One aggregate over `model`, its SQL kept per shape."""

    def __init__(self, model: type[Model]) -> None:
        self.model = model
        self._kept: OrderedDict[Hashable, _Statement | None] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(
        self, key: Hashable, build: Callable[..., dict[str, Any]], **moments: datetime
    ) -> dict[str, Any]:
        """`build(**moments)` evaluates the aggregate (`Model.objects.aggregate(...)`)."""
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
            params[index] = connection.ops.adapt_datetimefield_value(moments[name])
        with connection.cursor() as cursor:
            cursor.execute(statement.sql, params)
            row = cursor.fetchone()
        return dict(zip(statement.names, row, strict=True))

    def _capture(
        self, alias: str, build: Callable[..., dict[str, Any]], moments: dict[str, datetime]
    ) -> tuple[_Statement | None, dict[str, Any]]:
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
        adapted = {name: connection.ops.adapt_datetimefield_value(m) for name, m in moments.items()}
        if len(sent) != 1 or sent[0][0] != alias or len(set(adapted.values())) != len(adapted):
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
# One row by primary key


@dataclass(frozen=True)
class _RowPlan:
    sql: str
    attnames: tuple[str, ...]
    converters: tuple[tuple[int, tuple[Callable, ...], Any], ...]


_local = threading.local()


def by_pk(model: type[Model], pk: Any) -> Model | None:
    """`model._default_manager.filter(pk=pk).first()`, its SQL written once per thread.

    The signed-in person's account is read by primary key on every request (Django's
    authentication middleware): writing that SELECT of 23 columns cost Django more CPU
    than the database took to answer it. The row is read and converted as the ORM does
    (the fields' database converters), and the model built by `Model.from_db`."""
    try:
        pk = model._meta.pk.to_python(pk)
    except ValidationError:
        return None
    alias = router.db_for_read(model)
    connection = connections[alias]
    plans: dict[tuple[type[Model], str], _RowPlan] = _local.__dict__.setdefault("plans", {})
    plan = plans.get((model, alias))
    if plan is None:
        plan = plans[(model, alias)] = _row_plan(model, alias)
    with connection.cursor() as cursor:
        cursor.execute(plan.sql, [model._meta.pk.get_db_prep_value(pk, connection)])
        row = cursor.fetchone()
    if row is None:
        return None
    values = list(row)
    for position, converters, column in plan.converters:
        for convert in converters:
            values[position] = convert(values[position], column, connection)
    return model.from_db(alias, plan.attnames, values)


def _row_plan(model: type[Model], alias: str) -> _RowPlan:
    connection = connections[alias]
    query = model._default_manager.filter(pk=0).query
    sql, params = query.get_compiler(alias).as_sql()
    if list(params) != [0]:  # a manager that filters: its statement is not ours to keep
        raise ValueError(f"{model.__name__}'s default manager filters its rows")
    fields = model._meta.concrete_fields
    converters = []
    for position, field in enumerate(fields):
        column = field.get_col(model._meta.db_table)
        found = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
        if found:
            converters.append((position, tuple(found), column))
    return _RowPlan(
        sql=sql, attnames=tuple(f.attname for f in fields), converters=tuple(converters)
    )
