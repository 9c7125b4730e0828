"""`tinhso demo`: load the demo province. Idempotent: running it twice changes nothing."""

from importlib import import_module

from django.core.management.base import BaseCommand
from django.db import transaction

# Order matters: later apps build on earlier ones' data.
DEMO_APPS = ["directory", "accounts", "workdays", "signing", "onestop", "documents"]


class Command(BaseCommand):
    help = "Tạo dữ liệu tỉnh mẫu (chạy lại không thay đổi gì)."

    def add_arguments(self, parser):
        parser.add_argument("--only", nargs="*", help="chỉ nạp dữ liệu của các app này")

    def handle(self, *args, only=None, **options):
        for app in DEMO_APPS:
            if only and app not in only:
                continue
            module = import_module(f"tinhso.{app}.demo")
            self.stdout.write(f"· {app}")
            with transaction.atomic():
                module.load(self.stdout)
        self.stdout.write(self.style.SUCCESS("Đã nạp dữ liệu tỉnh mẫu."))
        accounts_demo = import_module("tinhso.accounts.demo")
        if hasattr(accounts_demo, "print_logins"):
            accounts_demo.print_logins(self.stdout)
