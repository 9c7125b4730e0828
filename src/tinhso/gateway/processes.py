"""The gateway's data plane runs beside the web server: `tinhso gateway serve` on the web
port + 1 (so two demos on different ports do not clash)."""

from __future__ import annotations

from tinhso.core.processes import Process


def processes(*, host: str, port: int) -> list[Process]:
    return [
        Process(
            name="gateway",
            argv=["gateway", "serve", "--host", host, "--port", str(port + 1)],
            description=f"LGSP data plane on port {port + 1}",
        )
    ]
