"""`tinhso worker`: run the background task worker (django-tasks database backend)."""

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Chạy tiến trình xử lý công việc nền."

    def add_arguments(self, parser):
        parser.add_argument("--batch", action="store_true", help="xử lý hết hàng đợi rồi dừng")

    def handle(self, *args, batch=False, **options):
        extra = ["--batch"] if batch else []
        call_command("db_worker", *extra)
