"""Demo data of this app, loaded by `tinhso demo` (idempotent)."""


def load(out) -> None:
    """Create this app's demo data; running it twice changes nothing."""
