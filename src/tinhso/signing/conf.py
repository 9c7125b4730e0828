"""Tunables of signing, read from Django settings with defaults."""

from django.conf import settings


def verify_max_bytes() -> int:
    return int(getattr(settings, "SIGNING_VERIFY_MAX_BYTES", 30 * 1024 * 1024))


def sign_max_bytes() -> int:
    return int(getattr(settings, "SIGNING_SIGN_MAX_BYTES", 50 * 1024 * 1024))
