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

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        try:
            user = User.objects.get(username=username)
        except User.DoesNotExist as exc:
            raise CommandError(f"Không có tài khoản '{username}'.") from exc
        import os

        allowed = settings.DEBUG or os.environ.get("TINHSO_DEMO") == "1" or is_demo_user(user)
        if not allowed:
            raise CommandError("Chỉ dùng được với tài khoản mẫu (demo).")
        secret = otp.user_secret(user)
        if not secret or not user.totp_confirmed_at:
            raise CommandError(f"Tài khoản '{username}' chưa đăng ký xác thực hai lớp.")
        self.stdout.write(otp.current_code(secret))
