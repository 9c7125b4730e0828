"""Pluggable senders, one per channel (see `tinhso.notify.conf`).

A sender gets the message and either returns (sent) or raises `SendError`, transient
(retry later) or permanent (give up). Every sender passes the message's UUID along —
e-mail as the Message-ID, HTTP as the `Idempotency-Key` header — so that the one
window where a delivery could repeat (the worker dies after the provider accepted the
message but before tinhso recorded it) is de-duplicated by the receiving side.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils.module_loading import import_string

from tinhso.notify import conf

logger = logging.getLogger(__name__)


class SendError(Exception):
    def __init__(self, message: str, *, transient: bool = True) -> None:
        super().__init__(message)
        self.transient = transient


class Sender:
    name = "base"

    def __init__(self, channel: str) -> None:
        self.channel = channel

    def send(self, message: Any) -> None:
        raise NotImplementedError


class DevelopmentSender(Sender):
    """Sends nothing: what would have been sent is kept as the message's SentMessage."""

    name = "development"

    def send(self, message: Any) -> None:
        logger.info(
            "notify (development) %s → %s: %s", message.channel, message.address, message.subject
        )


class EmailSender(Sender):
    """E-mail through Django's mail settings (EMAIL_BACKEND, EMAIL_HOST...)."""

    name = "email"

    def send(self, message: Any) -> None:
        domain = (settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1] or "tinhso").strip(">")
        email = EmailMessage(
            subject=message.subject or "tinhso",
            body=message.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[message.address],
            headers={"Message-ID": f"<{message.uid}@{domain}>"},
        )
        try:
            email.send(fail_silently=False)
        except (ValueError, UnicodeError) as exc:  # a malformed address will never work
            raise SendError(f"địa chỉ thư không hợp lệ: {exc}", transient=False) from exc
        except Exception as exc:  # noqa: BLE001  (SMTP down, timeouts: try again later)
            raise SendError(f"lỗi gửi thư: {exc}") from exc


class HttpSender(Sender):
    """POSTs JSON to the channel's gateway: {"id", "channel", "to", "subject", "body"}.

    Authorization: Bearer <token>; Idempotency-Key: <message uuid>. 2xx = sent; 4xx
    (except 408, 429) = permanent failure; anything else = retry later.
    """

    name = "http"

    def send(self, message: Any) -> None:
        url, token = conf.gateway(self.channel)
        if not url:
            raise SendError(f"chưa cấu hình NOTIFY_{self.channel.upper()}_URL", transient=False)
        payload = json.dumps(
            {
                "id": str(message.uid),
                "channel": message.channel,
                "to": message.address,
                "subject": message.subject,
                "body": message.body,
            },
            ensure_ascii=False,
        ).encode()
        request = urllib.request.Request(  # noqa: S310 (URL comes from settings)
            url,
            data=payload,
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "Authorization": f"Bearer {token}",
                "Idempotency-Key": str(message.uid),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=conf.http_timeout()) as response:  # noqa: S310
                response.read()
        except urllib.error.HTTPError as exc:
            permanent = 400 <= exc.code < 500 and exc.code not in (408, 429)
            raise SendError(f"cổng gửi trả lời HTTP {exc.code}", transient=not permanent) from exc
        except (urllib.error.URLError, OSError) as exc:
            raise SendError(f"không kết nối được cổng gửi: {exc}") from exc


def sender_for(channel: str) -> Sender:
    path = conf.sender_paths().get(channel)
    if not path:
        raise SendError(f"không có bộ gửi cho kênh {channel}", transient=False)
    return import_string(path)(channel)
