"""`tinhso security syslog|housekeeping|source`.

- `syslog`: the syslog listener (UDP and TCP on one port; RFC 5424/3164, JSON or CEF).
  Port: --port, else SECURITY_SYSLOG_PORT, else the web port (PORT, 8000) + 14.
- `housekeeping`: certificate expiry scan, review reminders, pruning of rule windows
  (the listener also runs it every five minutes).
- `source NAME --kind wazuh`: create a sensor and print its intake token (once).
"""

from __future__ import annotations

import logging
import os
import signal

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


def default_port() -> int:
    configured = getattr(settings, "SECURITY_SYSLOG_PORT", None) or os.environ.get(
        "SECURITY_SYSLOG_PORT"
    )
    if configured:
        return int(configured)
    return int(os.environ.get("PORT") or 8000) + 14


class Command(BaseCommand):
    help = "Giám sát an toàn thông tin: `syslog` (bộ thu syslog), `housekeeping`, `source`."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["syslog", "housekeeping", "source"])
        parser.add_argument("name", nargs="?", default="")
        parser.add_argument("--host", default=os.environ.get("SECURITY_SYSLOG_HOST", "0.0.0.0"))  # noqa: S104
        parser.add_argument("--port", type=int, default=None)
        parser.add_argument("--no-udp", action="store_true")
        parser.add_argument("--no-tcp", action="store_true")
        parser.add_argument("--rate", type=float, default=5000.0, help="sự kiện/giây mỗi máy gửi")
        parser.add_argument("--batch", type=int, default=500, help="ghi mỗi N sự kiện")
        parser.add_argument("--linger", type=float, default=0.2, help="hoặc sau T giây")
        parser.add_argument("--queue", type=int, default=1500, help="hàng đợi tối đa")
        parser.add_argument(
            "--writers",
            type=int,
            default=min(2, os.cpu_count() or 1),
            help="số tiến trình phân tích và ghi sự kiện (mặc định: 2, hoặc 1 trên máy một lõi)",
        )
        parser.add_argument("--kind", default="wazuh")
        parser.add_argument("--addresses", default="")

    def handle(
        self,
        *args,
        action,
        name,
        host,
        port,
        no_udp,
        no_tcp,
        rate,
        batch,
        linger,
        queue,
        writers,
        kind,
        addresses,
        **options,
    ):
        if action == "housekeeping":
            from tinhso.security.services import housekeeping

            self.stdout.write(str(housekeeping()))
            return
        if action == "source":
            from tinhso.accounts.models import User
            from tinhso.security.services import create_source

            if not name:
                raise CommandError("Cần tên nguồn.")
            admin = User.objects.filter(is_superuser=True).order_by("pk").first()
            if admin is None:
                raise CommandError("Cần một tài khoản quản trị (superuser).")
            source, token = create_source(actor=admin, name=name, kind=kind, addresses=addresses)
            self.stdout.write(f"{source.name}: {token}")
            return
        from tinhso.security.syslog import SyslogListener

        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
        port = port if port is not None else default_port()
        listener = SyslogListener(
            host=host,
            udp_port=None if no_udp else port,
            tcp_port=None if no_tcp else port,
            rate_per_sender=rate,
            batch=max(1, batch),
            linger=max(0.0, linger),
            queue_size=max(1, queue),
        )

        def stop(*_):
            listener.stopping.set()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        listener.start_writers(writers)
        listener.start_network()
        self.stdout.write(
            f"syslog listening on {host} udp={listener.udp_port} tcp={listener.tcp_port}",
        )
        self.stdout.flush()
        listener.run_writer()
        self.stdout.write(f"syslog stopped {listener.stats.as_dict()}")
