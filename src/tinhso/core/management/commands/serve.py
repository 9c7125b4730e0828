"""`tinhso serve`: the web server (gunicorn) and the background worker together.

Used by `make demo`; in production run gunicorn and `tinhso worker` as separate services.
"""

import os
import signal
import subprocess
import sys
import time

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Chạy máy chủ web và tiến trình xử lý nền cùng lúc."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument(
            "--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "2"))
        )

    def handle(self, *args, port, host, workers, **options):
        bin_dir = os.path.dirname(sys.executable)
        # Links in notifications point at this server unless an address is configured.
        public_host = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host  # noqa: S104
        os.environ.setdefault("TINHSO_SITE_URL", f"http://{public_host}:{port}")
        web = subprocess.Popen(  # noqa: S603 (our own executables, no shell)
            [
                os.path.join(bin_dir, "gunicorn"),
                "tinhso.wsgi:application",
                "--bind",
                f"{host}:{port}",
                "--workers",
                str(workers),
                "--threads",
                "4",
                "--access-logfile",
                "-",
            ]
        )
        worker = subprocess.Popen([sys.executable, "-m", "tinhso", "worker"])
        self.stdout.write(
            self.style.SUCCESS(f"tinhso đang chạy tại http://{host}:{port}  (Ctrl+C để dừng)")
        )
        children = [web, worker]

        def stop(*_):
            for child in children:
                if child.poll() is None:
                    child.terminate()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        try:
            while all(child.poll() is None for child in children):
                time.sleep(0.5)
        finally:
            stop()
            for child in children:
                child.wait(timeout=20)
