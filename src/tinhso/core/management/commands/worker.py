"""`tinhso worker`: run the background task worker (django-tasks database backend).

It wraps django_tasks_db's `db_worker` and also runs the outbox sweep (`tinhso notify
retry`): once at start, then every --sweep-interval seconds in a side thread, so that
messages whose worker died or whose task was lost are delivered without a cron job.

It also seals the audit trail (`tinhso.audit.services.seal_pending`: links the entries
recorded since into the hash chain) every --seal-interval seconds (default 1) in another
side thread, so an entry stays unsealed for about a second. Several workers may run:
sealers take turns on the chain head's lock and never fork the chain.
"""

from __future__ import annotations

import logging
import signal
import threading

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connection

logger = logging.getLogger(__name__)


def _sweep_once() -> None:
    from tinhso.exchange.tasks import sweep as exchange_sweep
    from tinhso.notify.tasks import sweep

    try:
        result = sweep()
        if any(result.values()):
            logger.info("outbox sweep: %s", result)
        result = exchange_sweep()
        if any(result.values()):
            logger.info("exchange outbox sweep: %s", result)
        from tinhso.meetings.services import send_opinion_reminders

        if reminded := send_opinion_reminders():
            logger.info("opinion requests: %d reminders", reminded)
    except Exception:  # never let housekeeping stop the worker
        logger.exception("outbox sweep failed")
    try:
        from tinhso.feedback.services import escalate_overdue

        escalate_overdue()  # field reports past their deadline go to the centre
    except Exception:
        logger.exception("feedback escalation failed")
    finally:
        if not connection.in_atomic_block:
            connection.close()


def _sweeper(stop: threading.Event, interval: float) -> None:
    while not stop.wait(interval):
        _sweep_once()


def _seal_once() -> int:
    from tinhso.audit.services import seal_pending

    try:
        connection.close_if_unusable_or_obsolete()  # e.g. after a database restart
        return seal_pending()
    except Exception:  # never let housekeeping stop the worker
        logger.exception("audit sealing failed")
        return 0


def _sealer(stop: threading.Event, interval: float) -> None:
    try:
        while not stop.wait(interval):
            _seal_once()
    finally:
        connection.close()  # this thread's own connection


class Command(BaseCommand):
    help = "Chạy tiến trình xử lý công việc nền."

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
            default=60.0,
            help="chu kỳ (giây) rà soát hộp thư đi; 0 = không rà soát",
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
        sweep_interval=60.0,
        seal_interval=1.0,
        verbosity=1,
        **options,
    ):
        if seal_interval:
            _seal_once()
        if sweep_interval:
            _sweep_once()
        stop = threading.Event()
        if seal_interval and not batch:
            threading.Thread(
                target=_sealer, args=(stop, seal_interval), name="audit-seal", daemon=True
            ).start()
        if sweep_interval and not batch:
            threading.Thread(
                target=_sweeper, args=(stop, sweep_interval), name="outbox-sweep", daemon=True
            ).start()
        extra = ["--interval", str(interval), "--queue-name", queue_name, "--no-reload"]
        if batch:
            extra += ["--batch", "--no-startup-delay"]
        if max_tasks:
            extra += ["--max-tasks", str(max_tasks)]
        saved = {
            sig: signal.getsignal(sig)
            for sig in (signal.SIGINT, signal.SIGTERM)
            if threading.current_thread() is threading.main_thread()
        }
        try:
            call_command("db_worker", *extra, verbosity=verbosity)
        finally:
            stop.set()
            if seal_interval and batch:  # what the batch's tasks recorded
                _seal_once()
                if not connection.in_atomic_block:
                    connection.close()
            for sig, handler in saved.items():  # db_worker installs its own handlers
                signal.signal(sig, handler)
