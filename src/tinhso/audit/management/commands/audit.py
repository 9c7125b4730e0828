"""`tinhso audit verify`: check the hash chain; exit 1 at the first broken link."""

import os
import sys
import time

from django.core.management.base import BaseCommand

from tinhso.audit.selectors import verify_chain


class Command(BaseCommand):
    help = "Công cụ nhật ký hệ thống: `audit verify` kiểm tra chuỗi băm."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["verify"])
        parser.add_argument(
            "--workers",
            type=int,
            default=min(os.cpu_count() or 1, 8),
            help="số tiến trình kiểm tra song song (chuỗi lớn); mặc định: số lõi CPU",
        )

    def handle(self, *args, action, workers, **options):
        started = time.perf_counter()
        report = verify_chain(workers=workers)
        elapsed = time.perf_counter() - started
        if report.ok:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Chuỗi nhật ký toàn vẹn: {report.checked} bản ghi ({elapsed:.1f} s)."
                )
            )
            return
        self.stderr.write(
            self.style.ERROR(
                f"Chuỗi nhật ký bị phá vỡ tại bản ghi #{report.broken_seq}: {report.reason} "
                f"(đã kiểm tra {report.checked} bản ghi hợp lệ trước đó)."
            )
        )
        sys.exit(1)
