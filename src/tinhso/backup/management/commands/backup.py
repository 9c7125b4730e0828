"""`tinhso backup [--output DIR|FILE] [--gzip] [--keep N]` and `tinhso backup verify ARCHIVE`.

The first writes one archive of the instance (database dump in one snapshot, every stored
file with its SHA-256, the audit chain head; see tinhso.backup.services); the second
checks an archive without restoring it. Exit status 1 with a message and a stable code
on any error; a killed backup leaves only a `.partial` file, never a complete-looking one.
"""

from django.core.management.base import BaseCommand, CommandError

from tinhso.backup import services
from tinhso.backup.management.commands._console import megabytes, step_factory
from tinhso.core.errors import DomainError
from tinhso.core.progress import seconds


class Command(BaseCommand):
    help = (
        "Sao lưu toàn bộ hệ thống vào một tệp (cơ sở dữ liệu, tệp lưu trữ kèm mã băm, đầu "
        "chuỗi nhật ký); `backup verify TỆP` kiểm tra một bản sao lưu mà không khôi phục."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "action",
            nargs="?",
            choices=["create", "verify"],
            default="create",
            help="create (mặc định): tạo bản sao lưu; verify: kiểm tra một bản sao lưu",
        )
        parser.add_argument("archive", nargs="?", help="verify: tệp sao lưu cần kiểm tra")
        parser.add_argument(
            "--output",
            "-o",
            help="thư mục (mặc định var/backups) hoặc tên tệp .tar / .tar.gz",
        )
        parser.add_argument(
            "--gzip", action="store_true", help="nén gzip (bản sao CSDL PostgreSQL đã nén sẵn)"
        )
        parser.add_argument(
            "--keep",
            type=int,
            default=None,
            help="sau khi xong, chỉ giữ N bản sao lưu mới nhất trong thư mục",
        )
        parser.add_argument(
            "--no-seal",
            action="store_true",
            help="không niêm phong các bản ghi nhật ký mới trước khi sao lưu",
        )

    def handle(self, *args, action, archive=None, output=None, **options):
        step = step_factory(self.stdout)
        try:
            if action == "verify":
                if not archive:
                    raise CommandError("Cần tên tệp sao lưu: `tinhso backup verify TỆP`.")
                self._verify(archive, step)
            else:
                if archive:
                    raise CommandError("Chỉ định nơi ghi bằng --output.")
                if options["keep"] is not None and options["keep"] < 1:
                    raise CommandError("--keep phải từ 1 trở lên.")
                self._create(output, step, **options)
        except DomainError as exc:
            raise CommandError(f"{exc.message} [{exc.code}]") from exc

    def _create(self, output, step, *, gzip, keep, no_seal, **_):
        result = services.create_backup(
            output=output, compress=gzip, seal=not no_seal, keep=keep, step=step
        )
        head = result.audit_chain_head
        self.stdout.write(
            self.style.SUCCESS(
                f"Đã sao lưu vào {result.path} ({megabytes(result.size)}, "
                f"{seconds(result.seconds)})."
            )
        )
        self.stdout.write(
            f"  {result.tables} bảng, {result.rows} bản ghi; {result.files} tệp "
            f"({megabytes(result.files_bytes)}); đầu chuỗi nhật ký #{head['seq']} "
            f"{head['hash'][:16]}…"
        )
        self.stdout.write(f"  SHA-256: {result.sha256} (cũng ghi trong {result.path.name}.sha256)")
        if result.missing_files:
            self.stdout.write(
                self.style.WARNING(
                    f"  {len(result.missing_files)} tệp được cơ sở dữ liệu trỏ tới nhưng không "
                    f"có trong kho (ví dụ {result.missing_files[0]}); danh sách trong "
                    "manifest.json."
                )
            )
        for old in result.removed:
            self.stdout.write(f"  Đã xóa bản sao lưu cũ {old.name}")

    def _verify(self, archive, step):
        with step("Kiểm tra tệp sao lưu") as out:
            report = services.verify_archive(archive, out=out)
        manifest = report.manifest
        head = manifest["audit_chain_head"]
        self.stdout.write(
            self.style.SUCCESS(
                f"Bản sao lưu hợp lệ: tạo lúc {manifest['created_at']} bởi tinhso "
                f"{manifest['tinhso_version']} ({manifest['database_vendor']})."
            )
        )
        self.stdout.write(
            f"  {len(manifest['tables'])} bảng, {sum(manifest['tables'].values())} bản ghi; "
            f"{manifest['files']['count']} tệp ({megabytes(manifest['files']['bytes'])}) "
            f"khớp mã băm; đầu chuỗi nhật ký #{head['seq']} {head['hash'][:16]}…"
        )
        if report.archive_sha256:
            self.stdout.write(f"  SHA-256 toàn tệp khớp {report.path.name}.sha256")
        else:
            self.stdout.write(
                self.style.WARNING(
                    f"  Không có {report.path.name}.sha256 bên cạnh: chưa so mã băm toàn tệp."
                )
            )
        missing = manifest.get("missing_files") or {}
        if missing.get("count"):
            self.stdout.write(
                self.style.WARNING(
                    f"  {missing['count']} tệp được cơ sở dữ liệu trỏ tới nhưng không có trong "
                    "kho lúc sao lưu."
                )
            )
