"""`tinhso restore ARCHIVE`: bring a `tinhso backup` archive back into an EMPTY database
(DATABASE_URL) and an empty storage (MEDIA_ROOT), then check it: row counts, the audit
chain (`tinhso audit verify`) and its head, every file's SHA-256. Exit status 1 with a
message and a stable code on any error (see tinhso.backup.services for what a restore
killed midway leaves)."""

from django.core.management.base import BaseCommand, CommandError

from tinhso.backup import services
from tinhso.backup.management.commands._console import megabytes, step_factory
from tinhso.core.errors import DomainError
from tinhso.core.progress import seconds


class Command(BaseCommand):
    help = (
        "Khôi phục một bản sao lưu vào cơ sở dữ liệu và kho tệp TRỐNG, rồi kiểm tra chuỗi "
        "nhật ký và mã băm từng tệp."
    )
    requires_system_checks: list[str] = []  # nothing may touch the target before the checks

    def add_arguments(self, parser):
        parser.add_argument("archive", help="tệp sao lưu (.tar hoặc .tar.gz)")
        parser.add_argument(
            "--other-secret-key",
            action="store_true",
            help="vẫn khôi phục khi SECRET_KEY khác khóa của hệ thống đã sao lưu (khóa ký "
            "số, mã xác thực hai lớp đã mã hóa sẽ không dùng được)",
        )

    def handle(self, *args, archive, other_secret_key=False, **options):
        step = step_factory(self.stdout)
        try:
            result = services.restore_backup(archive, other_secret_key=other_secret_key, step=step)
        except DomainError as exc:
            raise CommandError(f"{exc.message} [{exc.code}]") from exc
        manifest = result.manifest
        self.stdout.write(
            self.style.SUCCESS(
                f"Đã khôi phục bản sao lưu tạo lúc {manifest['created_at']} "
                f"({seconds(result.seconds)})."
            )
        )
        self.stdout.write(
            f"  {result.tables} bảng, {result.rows} bản ghi; {result.files} tệp "
            f"({megabytes(manifest['files']['bytes'])}) khớp mã băm; chuỗi nhật ký toàn vẹn "
            f"({result.audit_checked} bản ghi)."
        )
        if result.audit_unsealed:
            self.stdout.write(
                f"  {result.audit_unsealed} bản ghi nhật ký chưa niêm phong: tiến trình worker "
                "sẽ niêm phong."
            )
        if result.pending_migrations:
            self.stdout.write(
                self.style.WARNING(
                    f"  Bản sao lưu cũ hơn mã hiện tại ({len(result.pending_migrations)} "
                    "migration chưa áp dụng): chạy `tinhso migrate`."
                )
            )
