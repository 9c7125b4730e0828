"""`tinhso audit seal|verify`.

`seal` links the recorded entries not yet sealed into the hash chain (the worker does
this every second). `verify` seals first (unless --no-seal), then checks the chain and
exits 1 at the first broken link; entries left unsealed (--no-seal, or recorded during
the check) are reported on a line of their own: they are not checked.
"""

import os
import sys
import time

from django.core.management.base import BaseCommand

from tinhso.audit.selectors import verify_chain
from tinhso.audit.services import seal_pending


class Command(BaseCommand):
    help = (
        "Công cụ nhật ký hệ thống: `audit seal` niêm phong các bản ghi mới vào chuỗi băm; "
        "`audit verify` niêm phong rồi kiểm tra chuỗi băm."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["verify", "seal"])
        parser.add_argument(
            "--workers",
            type=int,
            default=min(os.cpu_count() or 1, 8),
            help="số tiến trình kiểm tra song song (chuỗi lớn); mặc định: số lõi CPU",
        )
        parser.add_argument(
            "--no-seal",
            action="store_true",
            help="verify: không niêm phong trước; chỉ báo số bản ghi chưa niêm phong",
        )

    def handle(self, *args, action, workers, no_seal=False, **options):
        started = time.perf_counter()
        sealed = 0 if (action == "verify" and no_seal) else seal_pending()
        if action == "seal":
            elapsed = time.perf_counter() - started
            self.stdout.write(
                self.style.SUCCESS(f"Đã niêm phong {sealed} bản ghi ({elapsed:.1f} s).")
            )
            return
        if sealed:
            self.stdout.write(f"Đã niêm phong {sealed} bản ghi mới trước khi kiểm tra.")
        report = verify_chain(workers=workers)
        elapsed = time.perf_counter() - started
        if report.unsealed:
            self.stdout.write(
                self.style.WARNING(
                    f"{report.unsealed} bản ghi chưa niêm phong (chưa được kiểm tra)."
                )
            )
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
