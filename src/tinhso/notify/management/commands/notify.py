"""`tinhso notify retry`: take back stuck messages and re-enqueue lost deliveries."""

from django.core.management.base import BaseCommand

from tinhso.notify.tasks import sweep


class Command(BaseCommand):
    help = "Hộp thư đi: `notify retry` gửi lại các tin bị kẹt hoặc mất tác vụ gửi."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["retry"])
        parser.add_argument(
            "--grace",
            type=float,
            default=60,
            help="chỉ xếp lại tin chờ gửi đã quá số giây này (mặc định 60)",
        )

    def handle(self, *args, action, grace, **options):
        result = sweep(grace_seconds=grace)
        self.stdout.write(
            f"Đã lấy lại {result['reclaimed']} tin bị kẹt, xếp lại {result['requeued']} tin chờ gửi."
        )
