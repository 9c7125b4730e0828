"""Tunables of the notification outbox, read from settings at call time (with defaults).

Settings (all optional):
  NOTIFY_SENDERS          {"email": "<dotted path>", "sms": ..., "chat": ...}; missing
                          channels use the defaults below
  NOTIFY_SMS_URL, NOTIFY_SMS_TOKEN    HTTP gateway of the SMS provider (JSON POST)
  NOTIFY_CHAT_URL, NOTIFY_CHAT_TOKEN  HTTP gateway of the chat/OTT channel (Zalo...)
  NOTIFY_MAX_ATTEMPTS     attempts before a message is marked failed (5)
  NOTIFY_BACKOFF_SECONDS  first retry delay; doubles each attempt (30)
  NOTIFY_SENDING_TIMEOUT  seconds after which a message stuck in `sending` (its worker
                          died) is taken back by the sweep (300)
  NOTIFY_HTTP_TIMEOUT     seconds for one HTTP call to a gateway (10)
  NOTIFY_SWEEP_SECONDS    how often `tinhso worker` sweeps the outbox for messages whose
                          worker died or whose task was lost (60)
Each NOTIFY_* value may also come from the environment variable of the same name.

Defaults: e-mail goes through Django's mail settings (EmailSender); SMS and chat go
through the HTTP adapter when their URL is configured, else through the development
sender, which sends nothing and only keeps what would have been sent (SentMessage).
"""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings

EMAIL_SENDER = "tinhso.notify.senders.EmailSender"
HTTP_SENDER = "tinhso.notify.senders.HttpSender"
DEV_SENDER = "tinhso.notify.senders.DevelopmentSender"


def get(name: str, default: Any = None) -> Any:
    value = getattr(settings, name, None)
    if value is None:
        value = os.environ.get(name)
    return default if value in (None, "") else value


def max_attempts() -> int:
    return int(get("NOTIFY_MAX_ATTEMPTS", 5))


def backoff_seconds() -> float:
    return float(get("NOTIFY_BACKOFF_SECONDS", 30))


def sending_timeout() -> float:
    return float(get("NOTIFY_SENDING_TIMEOUT", 300))


def sweep_seconds() -> float:
    return float(get("NOTIFY_SWEEP_SECONDS", 60))


def http_timeout() -> float:
    return float(get("NOTIFY_HTTP_TIMEOUT", 10))


def gateway(channel: str) -> tuple[str, str]:
    """(url, token) of the HTTP gateway for `channel` ('' when not configured)."""
    prefix = f"NOTIFY_{channel.upper()}"
    return str(get(f"{prefix}_URL", "")), str(get(f"{prefix}_TOKEN", ""))


def sender_paths() -> dict[str, str]:
    paths = {
        "email": EMAIL_SENDER,
        "sms": HTTP_SENDER if gateway("sms")[0] else DEV_SENDER,
        "chat": HTTP_SENDER if gateway("chat")[0] else DEV_SENDER,
    }
    paths.update(getattr(settings, "NOTIFY_SENDERS", None) or {})
    return paths
