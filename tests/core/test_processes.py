"""`tinhso serve` (so `make demo`) starts every process the apps declare: the gateway's data
plane and the security syslog listener, on ports derived from the web port."""

from __future__ import annotations

from tinhso.core.processes import declared_processes


def test_serve_starts_the_gateway_and_the_syslog_listener_beside_the_web_server():
    processes = {p.name: p for p in declared_processes(host="127.0.0.1", port=8000)}
    assert "gateway" in " ".join(processes) and any("syslog" in p.argv for p in processes.values())
    assert all(p.argv for p in processes.values())
