"""`tinhso pki ...`: trust roots, the demo CA, certificates and CRLs.

Subcommands:

- ``init-demo``: the local demo CA and certificates for the demo signers
- ``import-root FILE``: import CA certificates (PEM bundle or DER)
- ``import-crl FILE``: import a CRL of a registered CA
- ``issue --user U | --agency CODE [--days N] [--expired]
  [--pkcs11-module SO --token-label T --key-label K --pin-env VAR]``: issue from the
  demo CA (with --pkcs11-module the key pair is generated on the token/HSM)
- ``register --user U | --agency CODE --cert FILE [--key FILE | --pkcs11-module ...]``:
  record a certificate issued by a real CA; the key is on the server (encrypted), on a
  token/HSM, or (neither) on the official's own USB token
- ``revoke SERIAL [--reason R]``, ``list``
- ``verify FILE``: the signatures of a PDF, as on the verification page
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from tinhso.core.errors import DomainError


class Command(BaseCommand):
    help = "Quản lý chứng thư số: CA tin cậy, CA mẫu, cấp và thu hồi chứng thư."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("init-demo", help="tạo CA mẫu và chứng thư cho dữ liệu mẫu")
        p = sub.add_parser("import-root", help="nhập chứng thư CA (PEM/DER)")
        p.add_argument("file")
        p = sub.add_parser("import-crl", help="nhập danh sách thu hồi (CRL)")
        p.add_argument("file")
        p = sub.add_parser("issue", help="cấp chứng thư từ CA mẫu")
        _owner_args(p)
        p.add_argument("--days", type=int, default=365 * 3)
        p.add_argument("--expired", action="store_true", help="chứng thư đã hết hạn (thử nghiệm)")
        _token_args(p)
        p = sub.add_parser("register", help="đăng ký chứng thư do CA cấp")
        _owner_args(p)
        p.add_argument("--cert", required=True, help="chứng thư (PEM/DER)")
        p.add_argument("--key", help="khóa bí mật PEM (được mã hóa khi lưu)")
        _token_args(p)
        p = sub.add_parser("revoke", help="thu hồi chứng thư theo số hiệu (hex)")
        p.add_argument("serial")
        p.add_argument("--reason", default="")
        sub.add_parser("list", help="liệt kê CA và chứng thư")
        p = sub.add_parser("verify", help="kiểm tra chữ ký số của một tệp PDF")
        p.add_argument("file")

    def handle(self, *args, action, **options):
        try:
            getattr(self, "_" + action.replace("-", "_"))(**options)
        except DomainError as exc:
            raise CommandError(f"{exc.message} [{exc.code}]") from exc

    def _init_demo(self, **_):
        from tinhso.signing.services.demo import init_demo

        counts = init_demo(self.stdout)
        self.stdout.write(self.style.SUCCESS(f"CA mẫu sẵn sàng ({counts})."))

    def _import_root(self, *, file, **_):
        from tinhso.signing.services import import_ca_certificates

        rows = import_ca_certificates(data=_read(file))
        for row in rows:
            kind = "gốc tin cậy" if row.is_trust_anchor else "trung gian"
            self.stdout.write(f"{kind}: {row.subject} ({row.fingerprint_sha256[:16]}…)")

    def _import_crl(self, *, file, **_):
        from tinhso.signing.services import import_crl

        row = import_crl(data=_read(file))
        self.stdout.write(f"CRL của {row.issuer_ca} cập nhật {row.this_update:%Y-%m-%d %H:%M}")

    def _issue(self, *, user=None, agency=None, days=0, expired=False, **options):
        from tinhso.signing.services import ensure_demo_ca, issue_certificate

        owner_user, owner_agency = _owner(user, agency)
        token = _token_options(options)
        extra: dict = dict(token)
        if token:
            from tinhso.signing.token import generate_key_on_token

            try:
                extra["public_key"] = generate_key_on_token(
                    module=token["pkcs11_module"],
                    token_label=token["pkcs11_token_label"],
                    pin=token["pkcs11_pin"],
                    key_label=token["pkcs11_key_label"],
                )
            except Exception as exc:
                raise CommandError(f"Không tạo được khóa trên token/HSM: {exc!r}") from exc
            extra["storage"] = "pkcs11"
        _, issuing = ensure_demo_ca()
        now = timezone.now()
        if expired:
            window = {
                "not_before": now - dt.timedelta(days=days + 1),
                "not_after": now - dt.timedelta(days=1),
            }
        else:
            window = {
                "not_before": now - dt.timedelta(minutes=5),
                "not_after": now + dt.timedelta(days=days),
            }
        cert = issue_certificate(
            ca=issuing,
            kind="personal" if owner_user else "agency",
            owner_user=owner_user,
            owner_agency=owner_agency,
            **window,
            **extra,
        )
        self.stdout.write(
            f"Đã cấp: {cert.subject} số hiệu {cert.serial_hex} ({cert.get_storage_display()})"
        )

    def _register(self, *, user=None, agency=None, cert, key=None, **options):
        from cryptography.hazmat.primitives.serialization import load_pem_private_key

        from tinhso.signing import ca as x
        from tinhso.signing.services import register_certificate

        owner_user, owner_agency = _owner(user, agency)
        try:
            parsed = x.load_certificate(_read(cert))
        except ValueError as exc:
            raise CommandError("Không đọc được chứng thư (PEM/DER).") from exc
        token = _token_options(options)
        storage, private_key = "remote", None
        if token:
            storage = "pkcs11"
        elif key:
            try:
                private_key = load_pem_private_key(_read(key), password=None)
            except (ValueError, TypeError) as exc:
                raise CommandError("Không đọc được khóa bí mật (PEM, không mật khẩu).") from exc
            if private_key.public_key() != parsed.public_key():
                raise CommandError("Khóa bí mật không khớp với chứng thư.")
            storage = "server"
        row = register_certificate(
            cert=parsed,
            kind="personal" if owner_user else "agency",
            owner_user=owner_user,
            owner_agency=owner_agency,
            storage=storage,
            private_key=private_key,
            **token,
        )
        self.stdout.write(f"Đã đăng ký: {row.subject} ({row.get_storage_display()})")

    def _revoke(self, *, serial, reason="", **_):
        from tinhso.signing.models import Certificate
        from tinhso.signing.services import revoke_certificate

        cert = Certificate.objects.filter(serial_hex=serial.lower().lstrip("0")).first()
        if cert is None:
            raise CommandError(f"Không có chứng thư số hiệu {serial}.")
        revoke_certificate(certificate=cert, reason=reason)
        self.stdout.write(f"Đã thu hồi {cert.subject}")

    def _verify(self, *, file, **_):
        if not _verify_report(self.stdout, file):
            raise CommandError("Có chữ ký không hợp lệ.")

    def _list(self, **_):
        from tinhso.signing.models import CACertificate, Certificate

        for ca in CACertificate.objects.all():
            flag = "gốc" if ca.is_trust_anchor else "trung gian"
            self.stdout.write(f"[CA {flag}] {ca.subject} đến {ca.not_after:%Y-%m-%d}")
        for cert in Certificate.objects.select_related("owner_user", "owner_agency"):
            self.stdout.write(
                f"{cert.serial_hex} {cert.get_status_display()} {cert.get_storage_display()} "
                f"{cert.common_name} đến {cert.not_after:%Y-%m-%d}"
            )


def _verify_report(stdout, file) -> bool:
    from tinhso.signing.selectors import verify_pdf

    reports = verify_pdf(_read(file))
    if not reports:
        stdout.write("Tệp không có chữ ký số.")
        return True
    for n, r in enumerate(reports, 1):
        stdout.write(f"{n}. [{r.status}] {r.field_name}: {r.signer_name} ({r.signer_agency})")
        stdout.write(f"   cấp bởi {r.issuer}; ký lúc {r.signed_at} ({r.signed_at_source})")
        stdout.write(f"   {r.summary}")
    return all(r.status != "invalid" for r in reports)


def _owner_args(parser) -> None:
    parser.add_argument("--user", help="tên đăng nhập của cán bộ")
    parser.add_argument("--agency", help="mã định danh của cơ quan")


def _token_args(parser) -> None:
    parser.add_argument("--pkcs11-module", help="thư viện PKCS#11 của token/HSM (.so)")
    parser.add_argument("--token-label")
    parser.add_argument("--key-label")
    parser.add_argument("--pin-env", default="TOKEN_PIN", help="biến môi trường chứa PIN")


def _token_options(options) -> dict:
    module = options.get("pkcs11_module")
    if not module:
        return {}
    if not options.get("token_label") or not options.get("key_label"):
        raise CommandError("Cần --token-label và --key-label khi dùng --pkcs11-module.")
    return {
        "pkcs11_module": module,
        "pkcs11_token_label": options["token_label"],
        "pkcs11_key_label": options["key_label"],
        "pkcs11_pin": os.environ.get(options.get("pin_env") or "TOKEN_PIN", ""),
    }


def _owner(user, agency):
    from tinhso.accounts.models import User
    from tinhso.directory.models import Agency

    if bool(user) == bool(agency):
        raise CommandError("Cần đúng một trong --user hoặc --agency.")
    if user:
        owner = User.objects.filter(username=user).first()
        if owner is None:
            raise CommandError(f"Không có người dùng {user}.")
        grant = owner.role_grants.select_related("agency").order_by("agency__depth").first()
        return owner, (grant.agency if grant else None)
    owner_agency = Agency.objects.filter(code=agency).first()
    if owner_agency is None:
        raise CommandError(f"Không có cơ quan mã {agency}.")
    return None, owner_agency


def _read(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise CommandError(f"Không đọc được tệp {path}: {exc}") from exc
