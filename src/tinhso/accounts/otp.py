"""Time-based one-time passwords (RFC 6238) for officials' second factor.

Codes are 6 digits over 30-second steps; a code is accepted in the current step or one
step either side (clock drift), and never twice: the last accepted step is kept in
`User.totp_last_step` and only a later step passes (replay protection).
"""

from __future__ import annotations

import time

import pyotp
import segno
from django.conf import settings

from tinhso.accounts import crypto

DIGITS = 6
INTERVAL = 30
VALID_WINDOW = 1  # steps either side of now


def new_secret() -> str:
    return pyotp.random_base32()  # 160 bits


def normalise_secret(secret: str) -> str:
    return "".join(secret.split()).upper()


def normalise_code(code: str) -> str:
    return "".join((code or "").split())


def _totp(secret: str) -> pyotp.TOTP:
    return pyotp.TOTP(secret, digits=DIGITS, interval=INTERVAL)


def current_step(now: float | None = None) -> int:
    return int((time.time() if now is None else now) // INTERVAL)


def code_at(secret: str, step: int) -> str:
    return _totp(secret).generate_otp(step)


def current_code(secret: str, now: float | None = None) -> str:
    return code_at(secret, current_step(now))


def matching_step(secret: str, code: str, now: float | None = None) -> int | None:
    """The time step whose code equals `code` (within the drift window), else None."""
    code = normalise_code(code)
    if len(code) != DIGITS or not code.isdigit():
        return None
    here = current_step(now)
    for step in range(here - VALID_WINDOW, here + VALID_WINDOW + 1):
        if pyotp.utils.strings_equal(code_at(secret, step), code):
            return step
    return None


def issuer() -> str:
    return getattr(settings, "TINHSO_OTP_ISSUER", "") or "tinhso"


def provisioning_uri(username: str, secret: str) -> str:
    return _totp(secret).provisioning_uri(name=username, issuer_name=issuer())


def qr_data_uri(uri: str) -> str:
    """An SVG QR code as a data: URI (the CSP allows img data:, no inline script)."""
    return segno.make(uri, error="m").svg_data_uri(scale=5, border=2, dark="#000", light="#fff")


def grouped(secret: str) -> str:
    """The secret in groups of four for typing by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def user_secret(user) -> str | None:
    if not user.totp_secret_encrypted:
        return None
    return crypto.decrypt(user.totp_secret_encrypted)
