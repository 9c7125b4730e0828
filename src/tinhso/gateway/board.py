"""Where each process of the data plane leaves its metrics for the others, so that
`/metrics`, answered by whichever process the kernel hands the scrape to, counts them all.

A private directory made by the supervisor; one JSON file per process, replaced whole
(write, then rename) once a second. A process that died leaves its last counts until its
successor in the same place publishes its own (Prometheus reads the drop as a reset)."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

log = logging.getLogger("tinhso.gateway")


class MetricsBoard:
    def __init__(self, directory: Path, process: int, processes: int) -> None:
        self.directory = Path(directory)
        self.process = process
        self.processes = processes
        self._path = self.directory / f"{process}.json"

    def publish(self, state: dict[str, Any]) -> None:
        temporary = self._path.with_suffix(".tmp")
        try:
            temporary.write_text(json.dumps(state))
            os.replace(temporary, self._path)
        except OSError:
            log.exception("the data plane's metrics could not be published")

    def others(self) -> list[dict[str, Any]]:
        states = []
        for process in range(self.processes):
            if process == self.process:
                continue
            try:
                states.append(json.loads((self.directory / f"{process}.json").read_text()))
            except FileNotFoundError:  # not started yet, or nothing published yet
                continue
            except (OSError, ValueError):
                log.exception("the metrics of data-plane process %s are unreadable", process)
        return states
