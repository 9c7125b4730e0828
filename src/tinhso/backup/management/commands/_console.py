"""What `tinhso backup` and `tinhso restore` share: a progress line per step."""

from __future__ import annotations

from typing import Any

from django.core.management.base import OutputWrapper

from tinhso.core.progress import StepLine


class _Raw:
    """A command's stdout, writing text exactly as given (no added line endings)."""

    def __init__(self, stdout: OutputWrapper) -> None:
        self.stdout = stdout

    def write(self, text: str) -> None:
        self.stdout.write(text, ending="")

    def flush(self) -> None:
        self.stdout.flush()


def step_factory(stdout: OutputWrapper) -> Any:
    """Steps drawn as `tinhso demo` draws its own (a bar on a terminal, lines elsewhere)."""
    isatty = getattr(stdout, "isatty", None)
    tty = bool(isatty and isatty())
    raw = _Raw(stdout)

    def step(label: str) -> StepLine:
        return StepLine(raw, label, tty=tty)

    return step


def megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f}".replace(".", ",") + " MB"
