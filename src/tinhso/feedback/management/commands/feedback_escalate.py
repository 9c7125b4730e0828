"""`tinhso feedback_escalate`: flag open field reports past their deadline to the centre
(the worker does this every sweep; this command is for cron or a manual run)."""

from django.core.management.base import BaseCommand

from tinhso.feedback.services import escalate_overdue


class Command(BaseCommand):
    help = "Báo trung tâm điều hành các phản ánh quá hạn."

    def handle(self, *args, **options):
        count = escalate_overdue()
        self.stdout.write(f"{count}")
