"""The growing delay after repeated failures (passwords, one-time codes).

No hard lock: the first LOGIN_MAX_FAILURES failures are free, then each further failure
makes the next attempt wait LOGIN_DELAY_SECONDS, doubled at every failure, up to
LOGIN_LOCKOUT_MINUTES. A guesser gets about a hundred tries a day; the owner waits minutes.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings


def max_failures() -> int:
    return int(getattr(settings, "LOGIN_MAX_FAILURES", 5))


def delay_after(failures: int) -> timedelta:
    """How long the next attempt must wait after `failures` consecutive failures."""
    return delay_after_n(failures, max_failures())


# ---------------------------------------------------------------------------------------
# Password attempts: counted per account name (whether or not the account exists, so the
# answer never tells) and per client IP, in the shared cache. A browser the owner proved
# is theirs (a successful login, or the unlock link sent by e-mail) counts apart: an
# attacker's failures never delay the owner there.

FAILURE_MEMORY_SECONDS = 24 * 3600
DEVICE_COOKIE = "tinhso_login_device"
DEVICE_COOKIE_DAYS = 90
_DEVICE_SALT = "tinhso.accounts.login-device"


def ip_max_failures() -> int:
    return int(getattr(settings, "LOGIN_IP_MAX_FAILURES", 20))


def _cache_key(kind: str, ident: str, part: str) -> str:
    import hashlib

    digest = hashlib.sha256(f"{kind}\0{ident}".encode()).hexdigest()[:40]
    return f"login:{kind}:{part}:{digest}"


def account_name(username: str) -> str:
    return (username or "").strip().casefold()


def blocked_until(kind: str, ident: str):
    """When the next attempt for `ident` is allowed, or None when it is allowed now."""
    from django.core.cache import cache
    from django.utils import timezone

    until = cache.get(_cache_key(kind, ident, "until"))
    if until is not None and until > timezone.now():
        return until
    return None


def record_failure(kind: str, ident: str, free: int):
    """Count a failure; returns (failures so far, the time the next attempt waits for)."""
    from django.core.cache import cache
    from django.utils import timezone

    key = _cache_key(kind, ident, "failures")
    if cache.add(key, 1, timeout=FAILURE_MEMORY_SECONDS):
        failures = 1
    else:
        try:
            failures = int(cache.incr(key))
        except ValueError:  # expired in between
            cache.add(key, 1, timeout=FAILURE_MEMORY_SECONDS)
            failures = 1
    wait = delay_after_n(failures, free)
    until = None
    if wait:
        until = timezone.now() + wait
        cache.set(_cache_key(kind, ident, "until"), until, timeout=int(wait.total_seconds()) + 1)
    return failures, until


def clear(kind: str, ident: str) -> None:
    from django.core.cache import cache

    cache.delete_many([_cache_key(kind, ident, "failures"), _cache_key(kind, ident, "until")])


def delay_after_n(failures: int, free: int) -> timedelta:
    if failures < free:
        return timedelta(0)
    first = float(getattr(settings, "LOGIN_DELAY_SECONDS", 30))
    longest = timedelta(minutes=float(getattr(settings, "LOGIN_LOCKOUT_MINUTES", 15)))
    return min(longest, timedelta(seconds=first * 2 ** min(failures - free, 32)))


def _account_tag(username: str) -> str:
    from django.utils.crypto import salted_hmac

    return salted_hmac(_DEVICE_SALT, account_name(username)).hexdigest()[:24]


def _read_device(request) -> dict:
    from django.core import signing

    raw = getattr(request, "COOKIES", {}).get(DEVICE_COOKIE) if request is not None else None
    if not raw:
        return {}
    try:
        data = signing.loads(raw, salt=_DEVICE_SALT, max_age=DEVICE_COOKIE_DAYS * 86400)
    except signing.BadSignature:
        return {}
    return data if isinstance(data, dict) else {}


def account_ident(request, username: str) -> str:
    """The counter for this account name; a browser the owner trusts has its own."""
    name = account_name(username)
    device = _read_device(request)
    if device.get("d") and _account_tag(name) in device.get("a", []):
        return f"{name}#{device['d']}"
    return name


def trust_device(request, response, username: str) -> None:
    """Mark this browser as the owner's for `username` (signed cookie, no server state)."""
    import secrets

    from django.core import signing

    device = _read_device(request)
    tags = [t for t in device.get("a", []) if isinstance(t, str)]
    tag = _account_tag(username)
    if tag in tags:
        tags.remove(tag)
    tags = [tag, *tags][:10]
    value = signing.dumps(
        {"d": device.get("d") or secrets.token_urlsafe(12), "a": tags}, salt=_DEVICE_SALT
    )
    response.set_cookie(
        DEVICE_COOKIE,
        value,
        max_age=DEVICE_COOKIE_DAYS * 86400,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
