"""`tinhso partitions status|ensure|archive` (PostgreSQL only; see tinhso.core.partitions).

- `status`: each partitioned table, its partitions and the rows waiting in DEFAULT.
- `ensure [--ahead N]`: create the partitions of the current and N next periods (the
  worker does it at start and daily; `tinhso migrate` does it too).
- `archive TABLE PERIOD --dest DIR [--drop]`: verify, export (COPY, gzip, manifest with
  SHA-256), detach one past period; drop its table only with --drop. Exit 1 when refused.
"""

import sys

from django.core.management.base import BaseCommand

from tinhso.core import partitions
from tinhso.core.errors import DomainError


class Command(BaseCommand):
    help = (
        "Phân vùng các bảng lịch sử (PostgreSQL): `status` xem, `ensure` tạo trước các phân "
        "vùng, `archive BẢNG KỲ --dest THƯ_MỤC` kiểm tra, xuất và tách một kỳ đã qua."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["status", "ensure", "archive"])
        parser.add_argument("table", nargs="?", help="archive: tên bảng, vd. audit_auditentry")
        parser.add_argument("period", nargs="?", help="archive: YYYY-MM (theo tháng) hoặc YYYY")
        parser.add_argument("--ahead", type=int, default=2, help="ensure: số kỳ tạo trước")
        parser.add_argument("--dest", help="archive: thư mục ghi tệp lưu trữ")
        parser.add_argument(
            "--drop", action="store_true", help="archive: xóa bảng của kỳ sau khi tách"
        )

    def handle(
        self, *args, action, table=None, period=None, ahead=2, dest=None, drop=False, **options
    ):
        try:
            if not partitions.is_postgres():
                partitions._require_postgres()
            if action == "status":
                self._status()
            elif action == "ensure":
                created = partitions.ensure_partitions(ahead=max(0, min(ahead, 24)))
                self.stdout.write(
                    self.style.SUCCESS(
                        f"Đã tạo {len(created)} phân vùng"
                        + (f": {', '.join(created)}" if created else " (đã đủ).")
                    )
                )
            else:
                if not (table and period and dest):
                    self.stderr.write("Cần: archive BẢNG KỲ --dest THƯ_MỤC")
                    sys.exit(2)
                result = partitions.detach_and_archive(
                    table=table, period=period, dest=dest, drop=drop
                )
                self.stdout.write(
                    self.style.SUCCESS(
                        f"Đã lưu trữ {result.partition}: {result.rows} bản ghi, "
                        f"SHA-256 {result.sha256} → {result.file} (bản kê {result.manifest}); "
                        + ("đã tách và xóa bảng." if result.dropped else "đã tách (bảng vẫn giữ).")
                    )
                )
        except DomainError as error:
            self.stderr.write(self.style.ERROR(f"[{error.code}] {error.message}"))
            sys.exit(1)

    def _status(self) -> None:
        for entry in partitions.status():
            if not entry["partitioned"]:
                self.stdout.write(f"{entry['table']}: chưa phân vùng")
                continue
            parts = entry["partitions"]
            span = f"{parts[0]} … {parts[-1]}" if parts else "—"
            self.stdout.write(
                f"{entry['table']} ({entry['column']}, theo "
                f"{'tháng' if entry['interval'] == partitions.MONTH else 'năm'}): "
                f"{len(parts)} phân vùng {span}; {entry['default_rows']} bản ghi trong DEFAULT"
            )
