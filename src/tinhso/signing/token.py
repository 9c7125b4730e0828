"""PKCS#11 tokens and HSMs: sign with a key that never leaves the device.

A `Certificate` with storage "pkcs11" keeps only a reference: the module (the vendor's
.so, e.g. /usr/lib/softhsm/libsofthsm2.so), the token label and the key label; the PIN is
stored encrypted, or given by the setting SIGNING_PKCS11_PIN.
"""

from __future__ import annotations

from django.conf import settings

from tinhso.signing.errors import SigningFailed


def _module(cert) -> str:
    return cert.pkcs11_module or getattr(settings, "SIGNING_PKCS11_MODULE", "") or ""


def open_signer(cert, *, signing_cert, chain, pin: str | None):
    """(PKCS11Signer, session) for the certificate's key; the caller closes the session."""
    from pyhanko.config.pkcs11 import TokenCriteria
    from pyhanko.sign.pkcs11 import PKCS11Signer, open_pkcs11_session

    module = _module(cert)
    if not module:
        raise SigningFailed("Chưa cấu hình thư viện PKCS#11 của token/HSM.", code="pkcs11_error")
    pin = pin or getattr(settings, "SIGNING_PKCS11_PIN", None)
    try:
        session = open_pkcs11_session(
            module, token_criteria=TokenCriteria(label=cert.pkcs11_token_label), user_pin=pin
        )
    except Exception as exc:
        raise SigningFailed(
            f"Không mở được token/HSM «{cert.pkcs11_token_label}»: {exc}", code="pkcs11_error"
        ) from exc
    signer = PKCS11Signer(
        session,
        signing_cert=signing_cert,
        key_label=cert.pkcs11_key_label,
        ca_chain=chain,
        # hash here, let the device do the raw ECDSA / RSA PKCS#1 operation: the widest
        # support across tokens (SoftHSM2 has no CKM_ECDSA_SHA256, many USB tokens neither)
        use_raw_mechanism=True,
    )
    return signer, session


def generate_key_on_token(*, module: str, token_label: str, pin: str, key_label: str):
    """Generate an EC P-256 key pair on the token; return its public key (cryptography).

    The private key is created non-extractable on the device: only a certificate for
    the public key is issued and recorded here."""
    import pkcs11
    from cryptography.hazmat.primitives.serialization import load_der_public_key
    from pkcs11 import Attribute, KeyType
    from pkcs11.util.ec import encode_ec_public_key, encode_named_curve_parameters

    lib = pkcs11.lib(module)
    token = lib.get_token(token_label=token_label)
    with token.open(rw=True, user_pin=pin) as session:
        params = session.create_domain_parameters(
            KeyType.EC,
            {Attribute.EC_PARAMS: encode_named_curve_parameters("secp256r1")},
            local=True,
        )
        public, _private = params.generate_keypair(
            store=True,
            label=key_label,
            id=key_label.encode()[:32],
            private_template={Attribute.SENSITIVE: True, Attribute.EXTRACTABLE: False},
        )
        return load_der_public_key(encode_ec_public_key(public))
