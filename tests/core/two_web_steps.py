"""Steps of the two-web-processes test, run inside the processes' environment (their
DATABASE_URL): `python -m tests.core.two_web_steps <step> [args]`. Each prints one JSON
object. The data is made through the platform's services."""

from __future__ import annotations

import json
import os
import sys

import django


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tinhso.settings")
    django.setup()


def official(username: str, password: str) -> dict:
    """An official with a confirmed TOTP second factor; the secret goes to the test, which
    computes the one-time code as the official's authenticator app would."""
    from tinhso.accounts import otp
    from tinhso.accounts.services import create_official, set_totp_secret

    user = create_official(
        username=username,
        full_name="Cán bộ Hai Tiến Trình",
        email=f"{username}@example.gov.vn",
        password=password,
    )
    secret = otp.new_secret()
    set_totp_secret(user=user, secret=secret)
    return {"username": username, "secret": secret}


def notify(count: str) -> dict:
    """`count` SMS messages put in the outbox by one use-case's transaction: a delivery
    task each, enqueued on commit."""
    from django.db import transaction

    from tinhso.notify.services import enqueue

    with transaction.atomic():
        messages = [
            enqueue(
                channel="sms",
                address=f"09{i:08d}",
                template="generic",
                context={"subject": "Thử", "text": f"Tin nhắn thứ {i}"},
                related_object=f"two-web-{i}",
            )
            for i in range(int(count))
        ]
    return {"messages": [str(m.uid) for m in messages]}


STEPS = {"official": official, "notify": notify}

if __name__ == "__main__":
    _setup()
    print(json.dumps(STEPS[sys.argv[1]](*sys.argv[2:])))
