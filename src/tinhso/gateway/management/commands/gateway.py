"""`tinhso gateway serve|ingest|verify`.

- `serve`: the data plane (its own HTTP server, `gateway.httpserver`) on --host/--port (default: web port + 1).
- `ingest`: take the write-ahead files into the chained message log now.
- `verify`: ingest, then prove the message log intact (digests, links, batch
  signatures) or name the first broken record (exit 1).
"""

import os
import sys
import time

from django.core.management.base import BaseCommand

from tinhso.gateway.messagelog import DEFAULT_VERIFY_WORKERS


class Command(BaseCommand):
    requires_system_checks: list[str] = []  # the data plane starts fast; `check` runs elsewhere
    help = (
        "Nền tảng tích hợp (LGSP): `serve` chạy cổng dữ liệu; `ingest`; `verify` kiểm tra nhật ký."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["serve", "ingest", "verify", "sync-portal"])
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument(
            "--port", type=int, default=int(os.environ.get("GATEWAY_PORT", "0")) or None
        )
        parser.add_argument(
            "--no-ingest", action="store_true", help="verify: không nhận bản ghi mới"
        )
        parser.add_argument(  # `gateway serve` runs its ingester as `ingest --follow`
            "--follow", action="store_true", help="ingest: nhận bản ghi liên tục đến khi dừng"
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=DEFAULT_VERIFY_WORKERS,
            help="verify: số tiến trình kiểm tra chuỗi song song (mỗi tiến trình một đoạn; "
            f"mặc định {DEFAULT_VERIFY_WORKERS})",
        )
        parser.add_argument(
            "--processes",
            type=int,
            default=0,
            help="serve: số tiến trình cổng dữ liệu trên cùng cổng (mặc định GATEWAY_PROCESSES, "
            "hoặc một tiến trình mỗi lõi, tối đa 4)",
        )
        parser.add_argument(
            "--stop-with",
            type=int,
            default=None,
            metavar="PID",
            help="ingest --follow: dừng khi tiến trình cha PID không còn",
        )

    def handle(
        self,
        *args,
        action,
        host,
        port,
        no_ingest=False,
        follow=False,
        stop_with=None,
        workers=DEFAULT_VERIFY_WORKERS,
        processes=0,
        **options,
    ):
        from tinhso.gateway.messagelog import ingest_pending, verify_log

        if action == "serve":
            from tinhso.gateway.supervisor import default_processes, serve

            port = port or int(os.environ.get("PORT", "8000")) + 1
            processes = processes or default_processes()
            self.stdout.write(f"Cổng dữ liệu LGSP: http://{host}:{port} ({processes} tiến trình)")
            self.stdout.flush()
            if serve(host=host, port=port, processes=processes):
                sys.exit(1)
            return
        if action == "sync-portal":
            from tinhso.gateway.connectors import portal

            queued = portal.collect()
            pushed = portal.push()
            self.stdout.write(
                f"Đồng bộ Cổng DVC quốc gia: {queued} sự kiện mới, gửi {pushed.sent}, "
                f"được xác nhận {pushed.acknowledged}, lỗi {pushed.failed}."
            )
            return
        if action == "ingest" and follow:
            from tinhso.gateway.server import follow as follow_log

            follow_log(stop_with=stop_with)
            return
        started = time.perf_counter()
        ingested = None if (action == "verify" and no_ingest) else ingest_pending()
        if ingested is not None and ingested.unreadable:
            self.stderr.write(
                self.style.WARNING(
                    f"{ingested.unreadable} bản ghi có giá trị không đọc được (thời điểm, con "
                    "số...): đã lưu và nối chuỗi, đánh dấu kèm giá trị gốc (trường unreadable)."
                )
            )
        if action == "ingest":
            taken = ingested.records if ingested is not None else 0
            self.stdout.write(self.style.SUCCESS(f"Đã ghi {taken} bản ghi vào nhật ký."))
            return
        report = verify_log(workers=workers)
        elapsed = time.perf_counter() - started
        if report.ok:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Nhật ký giao dịch toàn vẹn: {report.checked} bản ghi ({elapsed:.1f} s, "
                    f"{report.processes} tiến trình kiểm tra)."
                )
            )
            if report.unsigned:
                self.stdout.write(f"{report.unsigned} bản ghi cuối chưa có chữ ký lô.")
            return
        self.stderr.write(
            self.style.ERROR(
                f"Nhật ký giao dịch bị phá vỡ tại bản ghi #{report.broken_seq}: {report.reason} "
                f"(đã kiểm tra {report.checked} bản ghi hợp lệ trước đó)."
            )
        )
        sys.exit(1)
