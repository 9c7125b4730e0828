"""`tinhso otp-code <username>`: print the user's current one-time code.

For the demo and tests only: it reads the stored secret, so it refuses to run unless
DEBUG is on, TINHSO_DEMO=1 is set, or the user is a demo user (see accounts/demo.py).
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from tinhso.accounts import otp
from tinhso.accounts.demo import is_demo_user
from tinhso.accounts.models import User


class Command(BaseCommand):
    help = "In mã xác thực một lần hiện tại của một tài khoản mẫu (chỉ dùng cho demo, kiểm thử)."
    # The system checks import every URL conf (and with it pyHanko, DRF...): seconds
    # spent on a one-line answer. `tinhso check` and every server start still run them.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument(
            "--secret",
            action="store_true",
            help="in khóa bí mật (để thêm tài khoản mẫu vào ứng dụng xác thực) thay vì mã",
        )

    def handle(self, *args, username, secret=False, **options):
        try:
            user = User.objects.get(username=username)
        except User.DoesNotExist as exc:
            raise CommandError(f"Không có tài khoản '{username}'.") from exc
        if not user.needs_second_factor:
            raise CommandError(
                f"'{username}' là tài khoản {user.get_kind_display().lower()}: công dân và "
                "doanh nghiệp không có mã xác thực một lần, chỉ cần mật khẩu để đăng nhập."
            )
        import os

        allowed = settings.DEBUG or os.environ.get("TINHSO_DEMO") == "1" or is_demo_user(user)
        if not allowed:
            raise CommandError("Chỉ dùng được với tài khoản mẫu (demo).")
        seed = otp.user_secret(user)
        if not seed or not user.totp_confirmed_at:
            raise CommandError(f"Tài khoản '{username}' chưa đăng ký xác thực hai lớp.")
        if secret:
            self.stdout.write(otp.grouped(seed))
            self.stdout.write(otp.provisioning_uri(user.username, seed))
            return
        self.stdout.write(otp.current_code(seed))
