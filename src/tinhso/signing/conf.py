"""Tunables of signing, read from Django settings with defaults (none is required).

- SIGNING_TSA_URL: RFC 3161 time-stamp authority; when set, signatures are PAdES B-T
  and carry validation data (B-LT). Default None: B-B.
- SIGNING_PUBLIC_URL: public base URL of the platform; when set, certificates issued by
  a local CA name the CRL at <base>/signing/ca/<fingerprint>.crl.
- SIGNING_PKCS11_MODULE / SIGNING_PKCS11_PIN: defaults for certificates on a token/HSM
  that do not name their own module / carry their own (encrypted) PIN.
- SIGNING_VERIFY_MAX_BYTES (30 MB), SIGNING_SIGN_MAX_BYTES (50 MB): upload limits.
"""

from django.conf import settings


def verify_max_bytes() -> int:
    return int(getattr(settings, "SIGNING_VERIFY_MAX_BYTES", 30 * 1024 * 1024))


def sign_max_bytes() -> int:
    return int(getattr(settings, "SIGNING_SIGN_MAX_BYTES", 50 * 1024 * 1024))
