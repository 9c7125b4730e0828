"""Encryption at rest of logged message bodies and of the credentials the gateway adds
for a provider, keyed from SECRET_KEY (HKDF, an `info` of its own; fallback keys still
decrypt)."""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

_INFO = b"tinhso.gateway.message-bodies.v1"
_cached: tuple[tuple[str, ...], MultiFernet] | None = None


def _fernet() -> MultiFernet:
    global _cached
    keys = (settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", []))
    if _cached is None or _cached[0] != keys:
        fernets = []
        for key in keys:
            raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"tinhso", info=_INFO).derive(
                key.encode()
            )
            fernets.append(Fernet(base64.urlsafe_b64encode(raw)))
        _cached = (keys, MultiFernet(fernets))
    return _cached[1]


def encrypt_body(data: bytes) -> str:
    return _fernet().encrypt(data).decode()


def decrypt_body(token: str) -> bytes:
    try:
        return _fernet().decrypt(token.encode())
    except InvalidToken as exc:
        raise ValueError("cannot decrypt: wrong key or damaged value") from exc


def encrypt(text: str) -> str:
    return encrypt_body(text.encode())


def decrypt(token: str) -> str:
    return decrypt_body(token).decode()
