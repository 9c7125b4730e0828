"""`tinhso opendata_refresh`: refresh the platform's own open datasets now, and load any
datastore file still queued (what the scheduled task and the worker do)."""

from django.core.management.base import BaseCommand

from tinhso.opendata.models import LoadJob
from tinhso.opendata.platform import publish_platform_data
from tinhso.opendata.services import run_load


class Command(BaseCommand):
    help = "Cập nhật các bộ dữ liệu mở của nền tảng và nạp các tệp đang chờ vào kho dữ liệu."

    def handle(self, *args, **options):
        for job in LoadJob.objects.filter(status=LoadJob.Status.QUEUED):
            result = run_load(job.pk)
            self.stdout.write(f"{result.resource.name}: {result.get_status_display()}")
        for dataset in publish_platform_data():
            self.stdout.write(f"{dataset.title}: {dataset.metadata_modified:%Y-%m-%d %H:%M}")
