"""`tinhso files sweep [--older-than-hours H] [--dry-run]`: delete stored files that no
row points at (left by transactions that rolled back or processes killed mid-request;
see `tinhso.core.orphans`). Files younger than H hours (default 24) are kept."""

from __future__ import annotations

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError

from tinhso.core.orphans import sweep_orphan_files


class Command(BaseCommand):
    help = "Tệp lưu trữ: sweep — xóa tệp không còn bản ghi nào trỏ tới (tệp mồ côi)."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["sweep"])
        parser.add_argument(
            "--older-than-hours",
            type=float,
            default=24.0,
            help="chỉ xóa tệp cũ hơn số giờ này (mặc định 24)",
        )
        parser.add_argument("--dry-run", action="store_true", help="chỉ liệt kê, không xóa")

    def handle(self, *args, action, older_than_hours, dry_run=False, **options):
        if not 0 <= older_than_hours <= 24 * 3650:
            raise CommandError("--older-than-hours phải từ 0 đến 87600.")
        orphans = sweep_orphan_files(older_than=timedelta(hours=older_than_hours), dry_run=dry_run)
        for name in orphans:
            self.stdout.write(name)
        verb = "Tìm thấy" if dry_run else "Đã xóa"
        self.stdout.write(self.style.SUCCESS(f"{verb} {len(orphans)} tệp mồ côi."))
