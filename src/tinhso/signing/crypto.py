"""Private keys at rest: encrypted with a Fernet key derived from SECRET_KEY.

A separate HKDF `info` from the other secrets of the platform, so a leak of one derived
key does not open the others. Keys under SECRET_KEY_FALLBACKS still decrypt (rotation).
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

_INFO = b"tinhso.signing.private-key.v1"


def _derive(secret_key: str) -> bytes:
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"tinhso", info=_INFO).derive(
        secret_key.encode()
    )
    return base64.urlsafe_b64encode(raw)


def _fernet() -> MultiFernet:
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return MultiFernet([Fernet(_derive(key)) for key in keys])


def encrypt_text(plaintext: str) -> str:
    return _fernet().encrypt(plaintext.encode()).decode()


def decrypt_text(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ValueError("cannot decrypt: wrong key or damaged value") from exc


def encrypt_private_key(key: PrivateKeyTypes) -> str:
    """PKCS#8 PEM of the key, Fernet-encrypted (the PEM itself is never stored in clear)."""
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return encrypt_text(pem)


def decrypt_private_key(token: str) -> PrivateKeyTypes:
    return serialization.load_pem_private_key(decrypt_text(token).encode(), password=None)
