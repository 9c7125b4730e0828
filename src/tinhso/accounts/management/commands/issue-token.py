"""`tinhso issue-token <username>`: issue an API token for another system's account."""

from django.core.management.base import BaseCommand, CommandError

from tinhso.accounts import services
from tinhso.accounts.models import User


class Command(BaseCommand):
    help = (
        "Cấp mã truy cập API (token) cho một tài khoản; mã cũ (nếu có) bị thu hồi. "
        "Mã hết hạn sau --days ngày (mặc định API_TOKEN_DAYS)."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--days", type=int, default=None, help="thời hạn (ngày)")
        parser.add_argument("--name", default="", help="tên gợi nhớ, ví dụ hệ thống dùng mã")

    def handle(self, *args, username, days=None, name="", **options):
        from tinhso.core.errors import DomainError

        try:
            user = User.objects.get(username=username)
        except User.DoesNotExist as exc:
            raise CommandError(f"Không có tài khoản '{username}'.") from exc
        if not user.is_active:
            raise CommandError(f"Tài khoản '{username}' đã bị vô hiệu hóa.")
        try:
            key = services.issue_token(user=user, actor=None, days=days, name=name)
        except DomainError as err:
            raise CommandError(err.message) from err
        self.stdout.write(key)
        self.stderr.write("Dùng trong tiêu đề HTTP: Authorization: Token <mã>")
