"""Tunables of online payment, read from settings at call time (with defaults).

Settings (all optional; each is also read from the environment in settings.py):
  PAYMENT_PROVIDERS        dotted paths of provider classes (none by default: with no
                           provider, fees are paid at the counter and "pay online" says so)
  PAYMENT_SANDBOX          the built-in sandbox gateway (moves no money) exists only when
                           this is on: `make demo` and the test suite turn it on; every page
                           then carries a banner and `check --deploy` refuses it
  PAYMENT_CALLBACK_MAX_BYTES        largest provider callback (body or query) accepted (4096)
  PAYMENT_CALLBACK_RATE             callbacks accepted per client IP ("300/min")
  PAYMENT_CALLBACK_REJECTED_RATE    callbacks with a bad signature per client IP before
                                    the IP is refused for a while ("20/10min")
  PAYMENT_RECEIPT_SERIES   letters of the e-receipt series (ký hiệu), "BL" by default:
                           the series of a year is "<letters>-<YY>E", e.g. BL-26E
"""

from __future__ import annotations

from django.conf import settings

SANDBOX = "sandbox"
SANDBOX_PATH = "tinhso.onestop.payments.sandbox.SandboxProvider"


def sandbox_enabled() -> bool:
    return bool(getattr(settings, "PAYMENT_SANDBOX", False))


def provider_paths() -> list[str]:
    value = getattr(settings, "PAYMENT_PROVIDERS", None) or []
    if isinstance(value, str):
        value = [item.strip() for item in value.split(",") if item.strip()]
    return list(value)


def callback_max_bytes() -> int:
    return int(getattr(settings, "PAYMENT_CALLBACK_MAX_BYTES", 4096))


def callback_rate() -> str:
    return str(getattr(settings, "PAYMENT_CALLBACK_RATE", "") or "300/min")


def callback_rejected_rate() -> str:
    return str(getattr(settings, "PAYMENT_CALLBACK_REJECTED_RATE", "") or "20/10min")


def receipt_series_letters() -> str:
    return str(getattr(settings, "PAYMENT_RECEIPT_SERIES", "") or "BL").strip().upper()
