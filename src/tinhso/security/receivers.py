"""tinhso's own security events: failed logins and lockouts (Django's `user_login_failed`),
and whatever apps send on `tinhso.core.signals.security_event` (permission denials,
broken audit chain, invalid signatures, certificate expiries).

An event sent inside a transaction that then rolls back (a permission denial raised in a
service) must not vanish with it: it waits in a per-thread list, written when the
transaction commits or, failing that, when the request finishes. Recording never breaks
the caller: errors are logged.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from django.db import connection, transaction

log = logging.getLogger(__name__)
_local = threading.local()


def _in_real_transaction() -> bool:
    if not connection.in_atomic_block:
        return False
    # The test runner's own wrapping transaction does not count.
    return not all(getattr(block, "_from_testcase", False) for block in connection.atomic_blocks)


def _write(kwargs: dict[str, Any]) -> None:
    from tinhso.security.services import record_internal

    try:
        record_internal(**kwargs)
    except Exception:
        log.exception("security: could not record internal event %s", kwargs.get("kind"))


def flush(**_ignored: Any) -> None:
    pending = getattr(_local, "pending", None)
    if not pending or _in_real_transaction():
        return
    _local.pending = []
    for kwargs in pending:
        _write(kwargs)


def deliver(**kwargs: Any) -> None:
    from tinhso.security.services import INTERNAL_KINDS

    if kwargs.get("kind") not in INTERNAL_KINDS:
        log.warning("security: unknown internal event kind %r", kwargs.get("kind"))
        return
    if not _in_real_transaction():
        _write(kwargs)
        return
    pending = getattr(_local, "pending", None)
    if pending is None:
        pending = _local.pending = []
    pending.append(kwargs)
    transaction.on_commit(flush)


def on_security_event(sender: Any, **kwargs: Any) -> None:
    fields = {
        key: kwargs[key]
        for key in ("kind", "user_name", "ip", "detail", "event_id", "host", "extra")
        if key in kwargs
    }
    if "ip" not in fields:
        from tinhso.core.middleware import client_ip, current_request

        fields["ip"] = client_ip(current_request.get())
    deliver(**fields)


def on_login_failed(
    sender: Any, credentials: dict[str, Any], request: Any = None, **_: Any
) -> None:
    from tinhso.core.middleware import client_ip

    username = str(credentials.get("username") or "")[:150]
    locked = getattr(request, "tinhso_locked_until", None) if request is not None else None
    deliver(
        kind="login_locked" if locked else "login_failed",
        user_name=username,
        ip=client_ip(request),
        detail=username,
    )


def connect() -> None:
    from django.contrib.auth.signals import user_login_failed
    from django.core.signals import request_finished

    from tinhso.core.signals import security_event

    user_login_failed.connect(on_login_failed, dispatch_uid="tinhso.security.login_failed")
    security_event.connect(on_security_event, dispatch_uid="tinhso.security.event")
    request_finished.connect(flush, dispatch_uid="tinhso.security.flush")

    # Whatever changes the intake's lookup tables (services, the admin, a shell) makes
    # every process reload them (intake.tables()).
    from django.db.models.signals import post_delete, post_save

    from tinhso.security.models import AssetRange, Rule, SeverityBand

    for model in (Rule, AssetRange, SeverityBand):
        for signal in (post_save, post_delete):
            signal.connect(
                _tables_changed,
                sender=model,
                dispatch_uid=f"tinhso.security.tables.{model.__name__}.{signal is post_save}",
            )


def _tables_changed(**_ignored: Any) -> None:
    from tinhso.security.intake import forget_tables

    forget_tables()
