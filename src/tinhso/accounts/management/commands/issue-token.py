"""`tinhso issue-token <username>`: issue an API token for another system's account."""

from django.core.management.base import BaseCommand, CommandError

from tinhso.accounts import services
from tinhso.accounts.models import User


class Command(BaseCommand):
    help = "Cấp mã truy cập API (token) cho một tài khoản; mã cũ (nếu có) bị thu hồi."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        try:
            user = User.objects.get(username=username)
        except User.DoesNotExist as exc:
            raise CommandError(f"Không có tài khoản '{username}'.") from exc
        if not user.is_active:
            raise CommandError(f"Tài khoản '{username}' đã bị vô hiệu hóa.")
        key = services.issue_token(user=user, actor=None)
        self.stdout.write(key)
        self.stderr.write("Dùng trong tiêu đề HTTP: Authorization: Token <mã>")
