"""Figures per time window of a Locust run, for `benchmarks/soak.py` (off unless asked).

Locust's own figures are for the whole run (and its history CSV gives percentiles of the
last 10 seconds only), but a soak asks whether p95 drifts: each window's requests/s,
p50/p95/p99 and errors. With LOAD_WINDOWS_FILE set, every request's time is kept for the
window it ended in, and each window is appended to that file as one JSON line when the
next begins (the last when the run stops). Windows start once the ramp is over
(LOAD_RAMP_SECONDS after the test starts) and last LOAD_WINDOW_SECONDS.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections import Counter

from locust import events


def percentile(ordered: list[float], p: float) -> float | None:
    """Nearest rank, as Locust reports them."""
    if not ordered:
        return None
    return round(ordered[min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))], 1)


class Windows:
    def __init__(self, path: str, ramp: float, seconds: float) -> None:
        self.path, self.ramp, self.seconds = path, ramp, seconds
        self.start: float | None = None
        self.index: int | None = None
        self.closed = False
        self._reset()

    def _reset(self) -> None:
        self.times: list[float] = []
        self.errors: Counter[str] = Counter()

    def begin(self) -> None:
        self.start = time.time() + self.ramp

    def record(self, name: str, response_time: float, failed: bool) -> None:
        now = time.time()
        if self.closed or self.start is None or now < self.start:
            return
        index = int((now - self.start) // self.seconds)
        if self.index is not None and index != self.index:
            self.flush(self.seconds)
        self.index = index
        self.times.append(response_time)
        if failed:
            self.errors[name] += 1

    def flush(self, seconds: float) -> None:
        if self.index is None or self.start is None:
            return
        ordered = sorted(self.times)
        line = {
            "window": self.index,
            "from_s": round(self.index * self.seconds),
            "seconds": round(seconds, 1),
            "requests": len(ordered),
            "requests_per_s": round(len(ordered) / seconds, 1) if seconds > 0 else None,
            "errors": sum(self.errors.values()),
            "p50_ms": percentile(ordered, 50),
            "p95_ms": percentile(ordered, 95),
            "p99_ms": percentile(ordered, 99),
            "error_kinds": dict(self.errors.most_common(5)),
        }
        with open(self.path, "a") as out:
            out.write(json.dumps(line, ensure_ascii=False) + "\n")
        self.index = None
        self._reset()

    def stop(self) -> None:
        if self.index is not None and self.start is not None:
            window_start = self.start + self.index * self.seconds
            self.flush(min(self.seconds, time.time() - window_start))
        self.closed = True


if os.environ.get("LOAD_WINDOWS_FILE"):
    _windows = Windows(
        os.environ["LOAD_WINDOWS_FILE"],
        float(os.environ.get("LOAD_RAMP_SECONDS", "0")),
        float(os.environ.get("LOAD_WINDOW_SECONDS", "300")),
    )

    @events.test_start.add_listener
    def _begin(**_kwargs) -> None:
        _windows.begin()

    @events.request.add_listener
    def _record(name, response_time, exception=None, **_kwargs) -> None:
        _windows.record(name, response_time, exception is not None)

    @events.test_stop.add_listener
    def _stop(**_kwargs) -> None:
        _windows.stop()
