"""Encryption at rest for small secrets (the TOTP seeds), keyed from SECRET_KEY.

The Fernet key is derived with HKDF-SHA256 from SECRET_KEY; values encrypted under a key
in SECRET_KEY_FALLBACKS still decrypt, so rotating SECRET_KEY does not lock officials out
(re-encrypt them with `rotate`).
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

_INFO = b"tinhso.accounts.totp-secret.v1"


def derive_key(secret_key: str) -> bytes:
    """A urlsafe-base64 Fernet key derived from a Django SECRET_KEY."""
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"tinhso", info=_INFO).derive(
        secret_key.encode()
    )
    return base64.urlsafe_b64encode(raw)


def _fernet() -> MultiFernet:
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return MultiFernet([Fernet(derive_key(key)) for key in keys])


def encrypt(plaintext: str) -> str:
    return _fernet().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    """Decrypt; raises ValueError when the token was not made with one of our keys."""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ValueError("cannot decrypt: wrong key or damaged value") from exc


def rotate(token: str) -> str:
    """Re-encrypt under the current SECRET_KEY (after a key rotation)."""
    return _fernet().rotate(token.encode()).decode()
