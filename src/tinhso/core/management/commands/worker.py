"""`tinhso worker`: run the background task worker (django-tasks database backend).

It wraps django_tasks_db's `db_worker` and also runs the outbox sweep (`tinhso notify
retry`): once at start, then every --sweep-interval seconds (NOTIFY_SWEEP_SECONDS) in a
side thread, so that messages whose worker died or whose task was lost are delivered
without a cron job.

It also seals the audit trail (`tinhso.audit.services.seal_pending`: links the entries
recorded since into the hash chain) every --seal-interval seconds (default 1) in another
side thread, so an entry stays unsealed for about a second. Several workers may run:
sealers take turns on the chain head's lock and never fork the chain.

The database restarting does not stop it (README: Faults and recovery): the task loop
and both side threads say once, in one line, that the database is unavailable, retry
with a short back-off (0.5 s doubling to 5 s), and go on when it is back. A task that was
running when the connection broke (its result could not be recorded) is put back in the
queue once the worker reconnects: handlers are idempotent, it runs again.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
import time

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connection
from django.utils.crypto import get_random_string

from tinhso.core.faults import is_database_unavailable

logger = logging.getLogger(__name__)

RETRY_FIRST_SECONDS = 0.5
RETRY_MAX_SECONDS = 5.0
_outages: set[str] = set()  # what is waiting for the database (said once, not each pass)
_outages_lock = threading.Lock()


def _failed(what: str, exc: BaseException) -> None:
    """Log a housekeeping failure: a database outage in one line, once until it is over;
    anything else with its traceback (a bug)."""
    if not is_database_unavailable(exc):
        logger.exception("%s failed", what)
        return
    with _outages_lock:
        first = what not in _outages
        _outages.add(what)
    if first:
        detail = " ".join(str(exc).split())[:200]
        logger.warning("%s: database unavailable, retrying (%s)", what, detail)


def _succeeded(what: str) -> None:
    with _outages_lock:
        if what not in _outages:
            return
        _outages.discard(what)
    logger.warning("%s: database available again", what)


def _drop_connection() -> None:
    """Forget this thread's broken connection; the next query opens a new one."""
    with contextlib.suppress(Exception):
        connection.close()


def _sweep_once() -> None:
    from tinhso.exchange.tasks import sweep as exchange_sweep
    from tinhso.notify.tasks import sweep

    try:
        connection.close_if_unusable_or_obsolete()  # e.g. after a database restart
        result = sweep()
        if any(result.values()):
            logger.info("outbox sweep: %s", result)
        result = exchange_sweep()
        if any(result.values()):
            logger.info("exchange outbox sweep: %s", result)
        from tinhso.meetings.services import send_opinion_reminders

        if reminded := send_opinion_reminders():
            logger.info("opinion requests: %d reminders", reminded)
        _succeeded("outbox sweep")
    except Exception as exc:  # never let housekeeping stop the worker
        _failed("outbox sweep", exc)
        _drop_connection()
    try:
        from tinhso.feedback.services import escalate_overdue

        escalate_overdue()  # field reports past their deadline go to the centre
        _succeeded("feedback escalation")
    except Exception as exc:
        _failed("feedback escalation", exc)
        _drop_connection()
    finally:
        # Kept for the next sweep as long as CONN_MAX_AGE allows (a new connection every
        # second cost the worker and PostgreSQL more than the sweep's queries).
        if not connection.in_atomic_block:
            connection.close_if_unusable_or_obsolete()


def _sweeper(stop: threading.Event, interval: float) -> None:
    try:
        while not stop.wait(interval):
            _sweep_once()
    finally:
        connection.close()  # this thread's own connection


def _seal_once() -> int:
    from tinhso.audit.services import seal_pending

    try:
        connection.close_if_unusable_or_obsolete()  # e.g. after a database restart
        sealed = seal_pending()
        _succeeded("audit sealing")
        return sealed
    except Exception as exc:  # never let housekeeping stop the worker
        _failed("audit sealing", exc)
        if not connection.in_atomic_block:
            _drop_connection()
        return 0


def _requeue_interrupted(worker_id: str) -> int:
    """Put back in the queue the tasks this worker had claimed and could not finish
    because the database went away (still RUNNING under its id: it runs one at a time,
    so none of them is running now)."""
    from django_tasks_db.compat import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    stuck = [
        task.pk
        for task in DBTaskResult.objects.running().only("id", "worker_ids")
        if task.worker_ids and task.worker_ids[-1] == worker_id
    ]
    if stuck:
        DBTaskResult.objects.filter(pk__in=stuck, status=TaskResultStatus.RUNNING).update(
            status=TaskResultStatus.READY, started_at=None
        )
        logger.warning("requeued %d task(s) cut off by the database outage", len(stuck))
    return len(stuck)


def _run_tasks(extra: list[str], *, verbosity: int) -> None:
    """django_tasks_db's worker loop, restarted after a database outage instead of dying
    with it (the loop itself raises on any database error but a locked SQLite file)."""
    worker_id = get_random_string(32)  # one id for the process: its tasks can be found
    delay = RETRY_FIRST_SECONDS
    interrupted = False
    while True:
        started = time.monotonic()
        try:
            if interrupted:
                _requeue_interrupted(worker_id)
            call_command("db_worker", *extra, "--worker-id", worker_id, verbosity=verbosity)
            return
        except Exception as exc:
            if not is_database_unavailable(exc):
                raise
            _failed("task worker", exc)
            interrupted = True
        _drop_connection()
        if time.monotonic() - started > 30:  # it had been running: a fresh outage
            delay = RETRY_FIRST_SECONDS
        time.sleep(delay)  # SIGTERM here: db_worker's handler exits at once
        delay = min(delay * 2, RETRY_MAX_SECONDS)
        with contextlib.suppress(Exception):
            connection.ensure_connection()
            _succeeded("task worker")


def _sealer(stop: threading.Event, interval: float) -> None:
    try:
        while not stop.wait(interval):
            _seal_once()
    finally:
        connection.close()  # this thread's own connection


def _ensure_partitions_once() -> None:
    """Create the coming periods' partitions of the history tables (PostgreSQL)."""
    from tinhso.core.partitions import ensure_partitions

    try:
        connection.close_if_unusable_or_obsolete()
        if created := ensure_partitions():
            logger.info("partitions created: %s", ", ".join(created))
    except Exception:  # never let housekeeping stop the worker
        logger.exception("creating partitions failed")


def _partitioner(stop: threading.Event, interval: float) -> None:
    try:
        while not stop.wait(interval):
            _ensure_partitions_once()
    finally:
        connection.close()


class Command(BaseCommand):
    help = "Chạy tiến trình xử lý công việc nền."
    # The system checks import every URLconf and view (seconds of CPU) for nothing a
    # task needs; `migrate` and the web server run them. A (re)started worker takes the
    # queue at once.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser):
        parser.add_argument("--batch", action="store_true", help="xử lý hết hàng đợi rồi dừng")
        parser.add_argument(
            "--interval", type=float, default=1.0, help="giây chờ khi hàng đợi trống"
        )
        parser.add_argument("--max-tasks", type=int, default=None)
        parser.add_argument("--queue-name", default="*", help="hàng đợi cần xử lý (* = tất cả)")
        parser.add_argument(
            "--sweep-interval",
            type=float,
            default=None,
            help="chu kỳ (giây) rà soát hộp thư đi (mặc định NOTIFY_SWEEP_SECONDS, 60); "
            "0 = không rà soát",
        )
        parser.add_argument(
            "--seal-interval",
            type=float,
            default=1.0,
            help="chu kỳ (giây) niêm phong nhật ký hệ thống vào chuỗi băm; 0 = không niêm phong",
        )

    def handle(
        self,
        *args,
        batch=False,
        interval=1.0,
        max_tasks=None,
        queue_name="*",
        sweep_interval=None,
        seal_interval=1.0,
        verbosity=1,
        **options,
    ):
        if sweep_interval is None:
            from tinhso.notify.conf import sweep_seconds

            sweep_interval = sweep_seconds()
        from tinhso.core.warmup import WORKER, settle_heap, warm_up

        warm_up(WORKER)  # before any task: the first batch is not slower than the next
        settle_heap()
        _ensure_partitions_once()  # then daily: partitions exist before their period
        if seal_interval:
            _seal_once()
        if sweep_interval:
            _sweep_once()
        stop = threading.Event()
        if not batch:
            threading.Thread(
                target=_partitioner, args=(stop, 86400.0), name="partitions", daemon=True
            ).start()
        if seal_interval and not batch:
            threading.Thread(
                target=_sealer, args=(stop, seal_interval), name="audit-seal", daemon=True
            ).start()
        if sweep_interval and not batch:
            threading.Thread(
                target=_sweeper, args=(stop, sweep_interval), name="outbox-sweep", daemon=True
            ).start()
        # No random startup delay: concurrent workers claim tasks with row locks (they
        # never take the same one), and a restarted worker should drain the queue now.
        extra = ["--interval", str(interval), "--queue-name", queue_name, "--no-reload"]
        extra += ["--no-startup-delay"]
        if batch:
            extra += ["--batch"]
        if max_tasks:
            extra += ["--max-tasks", str(max_tasks)]
        saved = {
            sig: signal.getsignal(sig)
            for sig in (signal.SIGINT, signal.SIGTERM)
            if threading.current_thread() is threading.main_thread()
        }
        try:
            _run_tasks(extra, verbosity=verbosity)
        finally:
            stop.set()
            if seal_interval and batch:  # what the batch's tasks recorded
                _seal_once()
                if not connection.in_atomic_block:
                    connection.close()
            for sig, handler in saved.items():  # db_worker installs its own handlers
                signal.signal(sig, handler)
