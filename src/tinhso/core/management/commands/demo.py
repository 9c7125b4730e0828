"""`tinhso demo`: load the demo province. Idempotent: running it twice changes nothing.

Each app's loader is one step with its own progress line (a bar where the loader reports
how far it is); the loaders' summaries follow each finished step. The demo logins come
last, with the address the site will answer on (`--site-url`, else TINHSO_SITE_URL).
"""

from importlib import import_module

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

from tinhso.core.progress import StepLine, seconds

# Order matters: later apps build on earlier ones' data.
DEMO_APPS = [
    "directory",
    "accounts",
    "workdays",
    "signing",
    "onestop",
    "documents",
    "exchange",
    "gateway",
    "opendata",
    "feedback",
    "reporting",
    "counter",
    "meetings",
    "security",
    "portal",
]
LABELS = {
    "directory": "Danh bạ cơ quan, cán bộ",
    "accounts": "Tài khoản mẫu",
    "workdays": "Lịch làm việc",
    "signing": "Chữ ký số",
    "onestop": "Thủ tục, hồ sơ một cửa",
    "documents": "Văn bản đến, văn bản đi",
    "exchange": "Liên thông văn bản",
    "gateway": "Nền tảng tích hợp (LGSP)",
    "opendata": "Dữ liệu mở",
    "feedback": "Phản ánh hiện trường",
    "reporting": "Báo cáo, chỉ tiêu",
    "counter": "Trung tâm phục vụ hành chính công",
    "meetings": "Họp không giấy",
    "security": "Giám sát an toàn thông tin",
    "portal": "Cổng thông tin điện tử",
}


class _Raw:
    """The command's stdout, writing text exactly as given (no added line endings)."""

    def __init__(self, stdout) -> None:
        self.stdout = stdout

    def write(self, text: str) -> None:
        self.stdout.write(text, ending="")

    def flush(self) -> None:
        self.stdout.flush()


class Command(BaseCommand):
    help = "Tạo dữ liệu tỉnh mẫu (chạy lại không thay đổi gì)."

    def add_arguments(self, parser):
        parser.add_argument("--only", nargs="*", help="chỉ nạp dữ liệu của các app này")
        parser.add_argument(
            "--site-url",
            default=None,
            help="địa chỉ in kèm tài khoản mẫu (mặc định: TINHSO_SITE_URL)",
        )
        parser.add_argument(
            "--no-logins",
            action="store_true",
            help="không in bảng tài khoản mẫu (`tinhso serve --logins` in sau khi chạy)",
        )

    def handle(self, *args, only=None, site_url=None, no_logins=False, **options):
        import time

        apps = [app for app in DEMO_APPS if not only or app in only]
        isatty = getattr(self.stdout, "isatty", None)
        tty = bool(isatty and isatty())
        started = time.monotonic()
        self.stdout.write("Đang nạp dữ liệu tỉnh mẫu…")
        for number, app in enumerate(apps, start=1):
            module = import_module(f"tinhso.{app}.demo")
            label = f"[{number}/{len(apps)}] {LABELS.get(app, app)}"
            with StepLine(_Raw(self.stdout), label, tty=tty) as step, transaction.atomic():
                module.load(step)
        self.stdout.write(
            self.style.SUCCESS(f"Đã nạp dữ liệu tỉnh mẫu ({seconds(time.monotonic() - started)}).")
        )
        if no_logins:
            return
        accounts_demo = import_module("tinhso.accounts.demo")
        site = site_url or getattr(settings, "TINHSO_SITE_URL", "http://127.0.0.1:8000")
        accounts_demo.print_logins(self.stdout, site_url=site)
