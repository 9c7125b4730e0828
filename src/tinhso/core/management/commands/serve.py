"""`tinhso serve`: the web server (gunicorn) and the background worker together.

Used by `make demo`; in production run gunicorn and `tinhso worker` as separate services.
`--web-only` starts the web server alone (one of several web processes behind nginx: the
workers, the gateway and the syslog listener then run as services of their own).

The console stays for people: the web server's access and error log go to
`var/log/web.log` and the worker's chatter (tasks, SMS and e-mail of the development
backends) to `var/log/worker.log` (`--console-logs` keeps everything on the console).
Once the web server answers, it prints the address it answers on and, with `--logins`,
the demo logins. The children get that address as TINHSO_SITE_URL unless it is set, so
links in notifications point where the site runs.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from tinhso.core.processes import declared_processes

WAIT_FOR_WEB = 60.0  # seconds


def site_url(host: str, port: int) -> str:
    """The address a browser on this machine uses (a wildcard bind answers on 127.0.0.1)."""
    shown = "127.0.0.1" if host in ("", "0.0.0.0", "::") else host  # noqa: S104 (display only)
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}"


def _answers(host: str, port: int) -> bool:
    target = "127.0.0.1" if host in ("", "0.0.0.0") else ("::1" if host == "::" else host)  # noqa: S104
    try:
        with socket.create_connection((target, port), timeout=0.5):
            return True
    except OSError:
        return False


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


class Command(BaseCommand):
    help = "Chạy máy chủ web và tiến trình xử lý nền cùng lúc."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument(
            "--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "2"))
        )
        # One web process per core with 8 threads each: on 2 cores, 2 x 8 served the peak
        # mix at 10.8-11.6 ms of web CPU a request where 4 x 4 took 12.6-13.8 (4 runs
        # interleaved, benchmarks/load.py); more processes only share the same cores.
        parser.add_argument(
            "--threads",
            type=int,
            default=int(os.environ.get("WEB_THREADS", "8")),
            help="luồng xử lý yêu cầu của mỗi tiến trình web",
        )
        parser.add_argument(
            "--logins", action="store_true", help="in bảng tài khoản mẫu khi máy chủ đã chạy"
        )
        parser.add_argument(
            "--console-logs",
            action="store_true",
            help="ghi nhật ký máy chủ web và tiến trình nền ra màn hình thay vì var/log/",
        )
        parser.add_argument(
            "--web-only",
            action="store_true",
            help="chỉ chạy máy chủ web (không chạy tiến trình xử lý nền và các tiến trình khác)",
        )

    def handle(
        self,
        *args,
        port,
        host,
        workers,
        threads=8,
        logins=False,
        console_logs=False,
        web_only=False,
        **options,
    ):
        url = site_url(host, port)
        env = dict(os.environ)
        env.setdefault("TINHSO_SITE_URL", url)
        log_dir = Path(settings.VAR_DIR) / "log"
        web_log, worker_log = log_dir / "web.log", log_dir / "worker.log"
        web_args = ["--access-logfile", "-"]
        worker_out = None
        if not console_logs:
            log_dir.mkdir(parents=True, exist_ok=True)
            web_args = ["--access-logfile", str(web_log), "--error-logfile", str(web_log)]
            if not web_only:
                worker_out = open(worker_log, "ab")  # noqa: SIM115 (closed when the worker ends)
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
                str(threads),
                # Longer than a client's pause between requests (nginx keeps its upstream
                # connections 60 s): at gunicorn's 2 s, a client reusing a connection the
                # server had just closed got a reset (the soak's API users, who pause 1-5 s).
                "--keep-alive",
                "75",
                *web_args,
            ],
            env=env,
        )
        children = [web]
        if not web_only:
            children.append(
                subprocess.Popen(  # noqa: S603
                    [sys.executable, "-m", "tinhso", "worker"],
                    env=env,
                    stdout=worker_out,
                    stderr=subprocess.STDOUT if worker_out else None,
                )
            )
        for process in [] if web_only else declared_processes(host=host, port=port):
            out = None
            if not console_logs:
                out = open(log_dir / f"{process.name}.log", "ab")  # noqa: SIM115 (closed below)
            children.append(
                subprocess.Popen(  # noqa: S603 (our own executable, no shell)
                    [sys.executable, "-m", "tinhso", *process.argv],
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT if out else None,
                )
            )
            if out:
                out.close()  # the child holds its own descriptor
            if process.description:
                self.stdout.write(process.description)

        def stop(*_):
            for child in children:
                if child.poll() is None:
                    child.terminate()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        try:
            if self._wait_for_web(web, host, port):
                logs = None if console_logs or web_only else (web_log, worker_log)
                self._announce(url, logins, logs)
            elif web.poll() is not None:
                where = "" if console_logs else f"\n{_tail(web_log)}\n(xem {web_log})"
                self.stderr.write(f"Máy chủ web không khởi động được tại {url}.{where}")
            while all(child.poll() is None for child in children):
                time.sleep(0.5)
        finally:
            stop()
            for child in children:
                child.wait(timeout=20)
            if worker_out:
                worker_out.close()

    def _wait_for_web(self, web: subprocess.Popen, host: str, port: int) -> bool:
        deadline = time.monotonic() + WAIT_FOR_WEB
        while time.monotonic() < deadline and web.poll() is None:
            if _answers(host, port):
                return True
            time.sleep(0.2)
        return False

    def _announce(self, url: str, logins: bool, logs: tuple[Path, Path] | None) -> None:
        if logins:
            from django.db import DatabaseError

            from tinhso.accounts.demo import print_logins

            try:
                print_logins(self.stdout, site_url=url)
            except DatabaseError:  # the server runs on; the table needs the database
                self.stderr.write(
                    "Chưa đọc được tài khoản mẫu: chạy `tinhso migrate` rồi `tinhso demo`."
                )
            self.stdout.write("")
        if logs:
            self.stdout.write(f"Nhật ký: máy chủ web {logs[0]}, xử lý nền {logs[1]}")
        self.stdout.write(self.style.SUCCESS(f"tinhso đang chạy tại {url}  (Ctrl+C để dừng)"))
