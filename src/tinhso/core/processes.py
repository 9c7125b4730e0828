"""Extra long-running processes that `tinhso serve` starts beside the web server and worker.

An app that runs a process of its own (the gateway's data plane, the syslog listener)
declares it in `<app>/processes.py` as `def processes(*, host: str, port: int) ->
list[Process]`; `serve` starts each one with `python -m tinhso <argv>`, logs it to
`var/log/<name>.log` and stops it with the rest. A province runs each as its own service.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from importlib.util import find_spec

from django.conf import settings


@dataclass(frozen=True)
class Process:
    name: str  # short, used for the log file: var/log/<name>.log
    argv: list[str]  # arguments after `python -m tinhso`
    description: str = ""  # shown when serve announces what runs


def declared_processes(*, host: str, port: int) -> list[Process]:
    found: list[Process] = []
    for app in settings.INSTALLED_APPS:
        if not app.startswith("tinhso.") or find_spec(f"{app}.processes") is None:
            continue
        declare = getattr(import_module(f"{app}.processes"), "processes", None)
        if declare is not None:  # (this module itself is `tinhso.core.processes`)
            found.extend(declare(host=host, port=port))
    return found
