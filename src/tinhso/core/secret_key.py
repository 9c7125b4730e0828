"""Where SECRET_KEY comes from, without ever falling back to a key printed in the source.

1. the `SECRET_KEY` environment variable (production);
2. else the file `SECRET_KEY_FILE` (default `$TINHSO_VAR_DIR/secret_key`, i.e. `var/secret_key`):
   `make demo`, `tinhso demo` and `tinhso serve` create it once with a random key (mode 600)
   and every later start reads it, so sessions and the encrypted secrets survive restarts;
3. else, under DEBUG only, that file is created on first start;
4. else the settings refuse to load (ImproperlyConfigured).

This module imports nothing from Django at import time: the settings and the `tinhso`
command use it before Django is configured. `python -m tinhso.core.secret_key [PATH]`
creates the file when missing (the Makefile's demo target).
"""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

# Keys that were public at some time (printed in the source): never accepted.
KNOWN_PUBLIC_KEYS = frozenset({"insecure-development-key-change-me-" + "x" * 20})
MIN_LENGTH = 50
MIN_UNIQUE_CHARACTERS = 5


def default_path() -> Path:
    explicit = os.environ.get("SECRET_KEY_FILE")
    if explicit:
        return Path(explicit)
    var_dir = Path(os.environ.get("TINHSO_VAR_DIR", Path.cwd() / "var"))
    return var_dir / "secret_key"


def new_key() -> str:
    return secrets.token_urlsafe(64)


def read(path: Path) -> str | None:
    try:
        key = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    return key or None


def ensure(path: Path | None = None) -> str:
    """The key in `path`, creating the file with a random key (mode 600) when missing."""
    path = path or default_path()
    existing = read(path)
    if existing:
        return existing
    path.parent.mkdir(parents=True, exist_ok=True)
    key = new_key()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created it first: use theirs
        return read(path) or key
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(key + "\n")
    return key


def weakness(key: str) -> str | None:
    """Why `key` is not a real secret key, or None when it is acceptable."""
    if not key:
        return "empty"
    if key in KNOWN_PUBLIC_KEYS or key.startswith("django-insecure"):
        return "published"
    if len(key) < MIN_LENGTH or len(set(key)) < MIN_UNIQUE_CHARACTERS:
        return "too short"
    return None


def main(argv: list[str]) -> int:
    path = Path(argv[0]) if argv else default_path()
    ensure(path)
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
