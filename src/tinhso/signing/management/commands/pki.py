"""`tinhso pki ...`: trust roots, the demo CA, certificates and CRLs.

tinhso pki init-demo                    local demo CA + certificates for demo signers
tinhso pki import-root FILE             import CA certificates (PEM bundle or DER)
tinhso pki import-crl FILE              import a CRL of a registered CA
tinhso pki issue --user U | --agency CODE [--days N] [--expired]
tinhso pki revoke SERIAL [--reason R]
tinhso pki list
"""

from __future__ import annotations

import datetime as dt
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
        p.add_argument("--user")
        p.add_argument("--agency")
        p.add_argument("--days", type=int, default=365 * 3)
        p.add_argument("--expired", action="store_true", help="chứng thư đã hết hạn (thử nghiệm)")
        p = sub.add_parser("revoke", help="thu hồi chứng thư theo số hiệu (hex)")
        p.add_argument("serial")
        p.add_argument("--reason", default="")
        sub.add_parser("list", help="liệt kê CA và chứng thư")

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

    def _issue(self, *, user=None, agency=None, days=0, expired=False, **_):
        from tinhso.accounts.models import User
        from tinhso.directory.models import Agency
        from tinhso.signing.services import ensure_demo_ca, issue_certificate

        if bool(user) == bool(agency):
            raise CommandError("Cần đúng một trong --user hoặc --agency.")
        _, issuing = ensure_demo_ca()
        now = timezone.now()
        window = (
            {
                "not_before": now - dt.timedelta(days=days + 1),
                "not_after": now - dt.timedelta(days=1),
            }
            if expired
            else {
                "not_before": now - dt.timedelta(minutes=5),
                "not_after": now + dt.timedelta(days=days),
            }
        )
        if user:
            owner = User.objects.filter(username=user).first()
            if owner is None:
                raise CommandError(f"Không có người dùng {user}.")
            grant = owner.role_grants.select_related("agency").first()
            cert = issue_certificate(
                ca=issuing,
                kind="personal",
                owner_user=owner,
                owner_agency=grant.agency if grant else None,
                **window,
            )
        else:
            owner_agency = Agency.objects.filter(code=agency).first()
            if owner_agency is None:
                raise CommandError(f"Không có cơ quan mã {agency}.")
            cert = issue_certificate(ca=issuing, kind="agency", owner_agency=owner_agency, **window)
        self.stdout.write(f"Đã cấp: {cert.subject} số hiệu {cert.serial_hex}")

    def _revoke(self, *, serial, reason="", **_):
        from tinhso.signing.models import Certificate
        from tinhso.signing.services import revoke_certificate

        cert = Certificate.objects.filter(serial_hex=serial.lower().lstrip("0")).first()
        if cert is None:
            raise CommandError(f"Không có chứng thư số hiệu {serial}.")
        revoke_certificate(certificate=cert, reason=reason)
        self.stdout.write(f"Đã thu hồi {cert.subject}")

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


def _read(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise CommandError(f"Không đọc được tệp {path}: {exc}") from exc
