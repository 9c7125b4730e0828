"""Tunables of online payment, read from settings at call time (with defaults).

Settings (all optional; each is also read from the environment in settings.py):
  PAYMENT_PROVIDERS        dotted paths of provider classes (none by default: with no
                           provider, fees are paid at the counter and "pay online" says so)
  PAYMENT_SANDBOX          the built-in sandbox gateway (moves no money) exists only when
                           this is on: `make demo` and the test suite turn it on; every page
                           then carries a banner and `check --deploy` refuses it
  PAYMENT_CALLBACK_MAX_BYTES        largest provider callback (body or query) accepted (4096)
  PAYMENT_CALLBACK_RATE_PER_MINUTE  callbacks accepted per client IP per minute (300)
  PAYMENT_CALLBACK_MAX_REJECTED     callbacks with a bad signature per client IP per
                                    10 minutes before the IP is refused (20)
  PAYMENT_RECEIPT_SERIES   letters of the e-receipt series (ký hiệu), "BL" by default:
                           the series of a year is "<letters>-<YY>E", e.g. BL-26E
"""

from __future__ import annotations

from django.conf import settings

SANDBOX = "sandbox"
SANDBOX_PATH = "tinhso.onestop.payments.sandbox.SandboxProvider"
REJECTED_WINDOW_SECONDS = 600


def sandbox_enabled() -> bool:
    return bool(getattr(settings, "PAYMENT_SANDBOX", False))


def provider_paths() -> list[str]:
    value = getattr(settings, "PAYMENT_PROVIDERS", None) or []
    if isinstance(value, str):
        value = [item.strip() for item in value.split(",") if item.strip()]
    return list(value)


def callback_max_bytes() -> int:
    return int(getattr(settings, "PAYMENT_CALLBACK_MAX_BYTES", 4096))


def callback_rate_per_minute() -> int:
    return int(getattr(settings, "PAYMENT_CALLBACK_RATE_PER_MINUTE", 300))


def callback_max_rejected() -> int:
    return int(getattr(settings, "PAYMENT_CALLBACK_MAX_REJECTED", 20))


def receipt_series_letters() -> str:
    return str(getattr(settings, "PAYMENT_RECEIPT_SERIES", "") or "BL").strip().upper()
