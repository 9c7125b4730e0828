"""`tinhso meetings remind`: remind members who have not answered an opinion request
whose deadline is less than a day away (once each). The worker also does it on every
outbox sweep; this is for a cron job or by hand."""

from __future__ import annotations

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Họp không giấy: nhắc thành viên chưa trả lời phiếu lấy ý kiến sắp hết hạn."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["remind"])
        parser.add_argument("--hours", type=int, default=24, help="nhắc trước hạn (giờ)")

    def handle(self, *args, action: str, hours: int, **options):
        from datetime import timedelta

        from tinhso.meetings.services import send_opinion_reminders

        sent = send_opinion_reminders(before=timedelta(hours=max(1, min(hours, 24 * 30))))
        self.stdout.write(f"Đã nhắc {sent} thành viên.")
