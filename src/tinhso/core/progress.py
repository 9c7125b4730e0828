"""Progress of a long console job (`tinhso demo`): one line per step, redrawn in place.

A step's loader receives an output object with `write(text)` (a line under the step) and,
when it can tell how far it is, `progress(done, total)`; `report_progress(out, ...)` calls
the latter only if the output has it, so loaders also run with any plain writer.

On a terminal the step's line shows a bar (or a spinner while the total is unknown) and
the seconds spent, redrawn about five times a second; elsewhere (a log, a pipe) only the
finished lines are written, so the output stays readable.
"""

from __future__ import annotations

import threading
import time
from typing import Any

BAR_WIDTH = 24
SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"


def report_progress(out: Any, done: int, total: int) -> None:
    """Tell `out` how far a loader is, if it listens (see the module docstring)."""
    progress = getattr(out, "progress", None)
    if progress is not None:
        progress(done, total)


def seconds(value: float) -> str:
    """Elapsed time the Vietnamese way: "3,4 giây"."""
    return f"{value:.1f}".replace(".", ",") + " giây"


class StepLine:
    """The output handed to one step's loader; draws the step's line on a terminal."""

    def __init__(self, stream: Any, label: str, *, tty: bool) -> None:
        # `stream`: anything with write(text) and flush(), writing `text` as given
        self.stream = stream
        self.label = label
        self.tty = tty
        self.started = time.monotonic()
        self.done = 0
        self.total = 0
        self.lines: list[str] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- what loaders call ------------------------------------------------------------
    def write(self, text: str = "", *args: Any, **kwargs: Any) -> None:
        """A line under the step (a summary such as "67 cơ quan"), shown when it ends."""
        with self._lock:
            self.lines.append(text.rstrip("\n"))

    def progress(self, done: int, total: int) -> None:
        with self._lock:
            self.done, self.total = max(done, 0), max(total, 0)

    def flush(self) -> None:
        self.stream.flush()

    # -- drawing ----------------------------------------------------------------------
    def _bar(self) -> str:
        if not self.total:
            tick = int((time.monotonic() - self.started) * 5) % len(SPINNER)
            return SPINNER[tick]
        filled = min(BAR_WIDTH, BAR_WIDTH * self.done // self.total)
        return f"[{'█' * filled}{'·' * (BAR_WIDTH - filled)}] {self.done}/{self.total}"

    def _clear(self) -> None:
        self.stream.write("\r\033[2K")

    def _draw(self) -> None:
        elapsed = seconds(time.monotonic() - self.started)
        self.stream.write(f"\r\033[2K{self.label} {self._bar()} {elapsed}")
        self.stream.flush()

    def _redraw_until_stopped(self) -> None:
        while not self._stop.wait(0.2):
            with self._lock:
                self._draw()

    def __enter__(self) -> StepLine:
        if self.tty:
            with self._lock:
                self._draw()
            self._thread = threading.Thread(target=self._redraw_until_stopped, daemon=True)
            self._thread.start()
        return self

    def __exit__(self, exc_type: Any, *_: Any) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        mark = "✗" if exc_type else "✓"
        finished = f"{self.label} {mark} {seconds(time.monotonic() - self.started)}"
        with self._lock:
            if self.tty:
                self._clear()
            self.stream.write(finished + "\n")
            for line in self.lines:
                self.stream.write(line + "\n")
            self.stream.flush()
