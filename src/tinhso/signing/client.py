"""Reference client for signing on the official's own USB token (remote signing).

Runs on the official's computer: sends the PDF to the server, signs the returned digest
with the token (PKCS#11: the vendor's module, e.g. the one shipped with the token), and
posts the signature back; the server embeds it and returns the signed PDF.

    python -m tinhso.signing.client --server https://tinhso.example.gov.vn \\
        --api-token TOKEN --module /usr/lib/vendor/libtoken.so --token-label "VNPT-CA" \\
        --key-label signing --cert my-cert.pem --pin-env TOKEN_PIN quyet-dinh.pdf

or, for a signature the server prepared (a one-stop result the leader approves: the
dossier page shows the session and its digest), `--session ID --digest-b64 DIGEST`
instead of the file.

Only the Python standard library and python-pkcs11 are needed.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import sys
import uuid
from collections.abc import Callable
from pathlib import Path
from urllib import request as urlrequest
from urllib.error import HTTPError

SignDigest = Callable[[bytes, str], bytes]


class RemoteSigningError(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


def pkcs11_digest_signer(*, module: str, token_label: str, pin: str, key_label: str) -> SignDigest:
    """Sign a SHA-256 digest with the token's key (raw ECDSA, or RSA PKCS#1 v1.5 over
    the DigestInfo): mechanisms every token supports."""

    def sign(digest: bytes, algorithm: str) -> bytes:
        import pkcs11
        from pkcs11 import KeyType, Mechanism, ObjectClass

        token = pkcs11.lib(module).get_token(token_label=token_label)
        with token.open(user_pin=pin) as session:
            if algorithm == "ECDSA_SHA256":
                key = session.get_key(ObjectClass.PRIVATE_KEY, KeyType.EC, label=key_label)
                return key.sign(digest, mechanism=Mechanism.ECDSA)  # type: ignore[attr-defined]
            key = session.get_key(ObjectClass.PRIVATE_KEY, KeyType.RSA, label=key_label)
            digest_info = bytes.fromhex("3031300d060960864801650304020105000420") + digest
            return key.sign(digest_info, mechanism=Mechanism.RSA_PKCS)  # type: ignore[attr-defined]

    return sign


def _call(url: str, *, api_token: str, body: bytes, content_type: str) -> dict:
    if not url.startswith(("https://", "http://")):
        raise RemoteSigningError("invalid_server", "Địa chỉ máy chủ phải là http(s)://")
    req = urlrequest.Request(  # noqa: S310 - scheme checked above
        url,
        data=body,
        method="POST",
        headers={
            "Authorization": f"Token {api_token}",
            "Content-Type": content_type,
            "Accept": "application/json",
        },
    )
    try:
        with urlrequest.urlopen(req, timeout=120) as resp:  # noqa: S310 - the configured server
            return json.loads(resp.read())
    except HTTPError as exc:
        try:
            data = json.loads(exc.read())
        except ValueError:
            data = {"code": str(exc.code), "message": exc.reason}
        raise RemoteSigningError(data.get("code", "error"), data.get("message", "")) from exc


def _multipart(fields: dict[str, str], files: dict[str, tuple[str, bytes]]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts: list[bytes] = []
    for name, value in fields.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
            + value.encode()
            + b"\r\n"
        )
    for name, (filename, data) in files.items():
        parts.append(
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                f'filename="{filename}"\r\nContent-Type: application/pdf\r\n\r\n'
            ).encode()
            + data
            + b"\r\n"
        )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def sign_remote(
    *,
    server: str,
    api_token: str,
    pdf: bytes,
    certificate_pem: str,
    sign_digest: SignDigest,
    reason: str = "",
    filename: str = "document.pdf",
) -> bytes:
    """The whole round trip; returns the signed PDF."""
    base = server.rstrip("/") + "/api/v1/signing/remote"
    body, ctype = _multipart(
        {"certificate": certificate_pem, "reason": reason}, {"file": (filename, pdf)}
    )
    prepared = _call(f"{base}/prepare", api_token=api_token, body=body, content_type=ctype)
    signature = sign_digest(base64.b64decode(prepared["digest_b64"]), prepared["algorithm"])
    done = _call(
        f"{base}/{prepared['session_id']}/complete",
        api_token=api_token,
        body=json.dumps(
            {
                "signature_b64": base64.b64encode(signature).decode(),
                "certificate": certificate_pem,
            }
        ).encode(),
        content_type="application/json",
    )
    return base64.b64decode(done["pdf_b64"])


def sign_session(
    *,
    server: str,
    api_token: str,
    session_id: str,
    digest_b64: str,
    algorithm: str,
    certificate_pem: str,
    sign_digest: SignDigest,
) -> bytes:
    """Sign a session the server already prepared (e.g. a one-stop result the leader
    approves: the dossier page shows the session and its digest); returns the signed PDF."""
    base = server.rstrip("/") + "/api/v1/signing/remote"
    signature = sign_digest(base64.b64decode(digest_b64), algorithm)
    done = _call(
        f"{base}/{session_id}/complete",
        api_token=api_token,
        body=json.dumps(
            {
                "signature_b64": base64.b64encode(signature).decode(),
                "certificate": certificate_pem,
            }
        ).encode(),
        content_type="application/json",
    )
    return base64.b64decode(done["pdf_b64"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Ký văn bản bằng USB token (ký từ xa).")
    parser.add_argument("pdf", nargs="?", help="tệp cần ký (không cần khi ký một phiên)")
    parser.add_argument("--session", help="mã phiên ký máy chủ đã chuẩn bị (trang hồ sơ)")
    parser.add_argument("--digest-b64", help="giá trị băm của phiên ký (trang hồ sơ)")
    parser.add_argument("--algorithm", default="ECDSA_SHA256")
    parser.add_argument("--server", required=True)
    parser.add_argument("--api-token", default=os.environ.get("TINHSO_API_TOKEN", ""))
    parser.add_argument("--module", required=True, help="thư viện PKCS#11 của token")
    parser.add_argument("--token-label", required=True)
    parser.add_argument("--key-label", required=True)
    parser.add_argument("--cert", required=True, help="chứng thư (PEM) của token")
    parser.add_argument("--pin-env", default="TOKEN_PIN", help="biến môi trường chứa PIN")
    parser.add_argument("--reason", default="")
    parser.add_argument("-o", "--output")
    args = parser.parse_args(argv)
    if not args.pdf and not (args.session and args.digest_b64):
        parser.error("cần tệp PDF, hoặc --session và --digest-b64 của một phiên ký")
    signer = pkcs11_digest_signer(
        module=args.module,
        token_label=args.token_label,
        pin=os.environ.get(args.pin_env, ""),
        key_label=args.key_label,
    )
    if args.session:  # the server prepared it (the dossier page names it): sign, send back
        try:
            sign_session(
                server=args.server,
                api_token=args.api_token,
                session_id=args.session,
                digest_b64=args.digest_b64,
                algorithm=args.algorithm,
                certificate_pem=Path(args.cert).read_text(),
                sign_digest=signer,
            )
        except RemoteSigningError as exc:
            print(f"Lỗi [{exc.code}]: {exc.message}", file=sys.stderr)
            return 1
        print(f"Đã ký phiên {args.session}: quay lại trang hồ sơ để hoàn tất.")
        return 0
    pdf_path = Path(args.pdf)
    try:
        signed = sign_remote(
            server=args.server,
            api_token=args.api_token,
            pdf=pdf_path.read_bytes(),
            certificate_pem=Path(args.cert).read_text(),
            sign_digest=signer,
            reason=args.reason,
            filename=pdf_path.name,
        )
    except RemoteSigningError as exc:
        print(f"Lỗi [{exc.code}]: {exc.message}", file=sys.stderr)
        return 1
    out = Path(args.output or pdf_path.with_name(pdf_path.stem + "-da-ky.pdf"))
    out.write_bytes(signed)
    print(f"Đã ký: {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
