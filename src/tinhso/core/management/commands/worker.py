"""`tinhso worker`: run the background task worker (django-tasks database backend).

It wraps django_tasks_db's `db_worker` and also runs the outbox sweep (`tinhso notify
retry`): once at start, then every --sweep-interval seconds in a side thread, so that
messages whose worker died or whose task was lost are delivered without a cron job.
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
    from tinhso.notify.tasks import sweep

    try:
        result = sweep()
        if any(result.values()):
            logger.info("outbox sweep: %s", result)
    except Exception:  # never let housekeeping stop the worker
        logger.exception("outbox sweep failed")
    finally:
        if not connection.in_atomic_block:
            connection.close()


def _sweeper(stop: threading.Event, interval: float) -> None:
    while not stop.wait(interval):
        _sweep_once()


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

    def handle(
        self,
        *args,
        batch=False,
        interval=1.0,
        max_tasks=None,
        queue_name="*",
        sweep_interval=60.0,
        verbosity=1,
        **options,
    ):
        if sweep_interval:
            _sweep_once()
        stop = threading.Event()
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
            for sig, handler in saved.items():  # db_worker installs its own handlers
                signal.signal(sig, handler)
