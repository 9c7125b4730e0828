"""The syslog listener, started by `tinhso serve` (so `make demo`) beside the web server."""

from __future__ import annotations

import os

from django.conf import settings

from tinhso.core.processes import Process


def processes(*, host: str, port: int) -> list[Process]:
    syslog_port = getattr(settings, "SECURITY_SYSLOG_PORT", None) or os.environ.get(
        "SECURITY_SYSLOG_PORT"
    )
    listen = str(syslog_port or port + 14)
    return [
        Process(
            "security-syslog",
            ["security", "syslog", "--host", host, "--port", listen],
            f"bộ thu syslog an toàn thông tin (UDP/TCP {host}:{listen})",
        )
    ]
