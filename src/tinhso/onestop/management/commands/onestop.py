"""`tinhso onestop import-catalog FILE` / `tinhso onestop export-catalog FILE` /
`tinhso onestop prune-uploads` (uploads kept from unfinished submissions, after a day).

JSON or XLSX by the file's extension (see tinhso.onestop.catalog_io). Without FILE,
import-catalog loads the demo catalog shipped in onestop/data/procedures.json.
"""

import sys

from django.core.management.base import BaseCommand

from tinhso.core.errors import DomainError
from tinhso.onestop import catalog_io


class Command(BaseCommand):
    help = (
        "Danh mục thủ tục: import-catalog FILE | export-catalog FILE (JSON hoặc XLSX); "
        "prune-uploads: xóa tệp tải lên của hồ sơ chưa nộp quá 1 ngày."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["import-catalog", "export-catalog", "prune-uploads"])
        parser.add_argument("file", nargs="?", default=None)

    def handle(self, *args, action, file, **options):
        if action == "prune-uploads":
            from tinhso.onestop.services.uploads import sweep_pending_uploads

            count = sweep_pending_uploads()
            self.stdout.write(self.style.SUCCESS(f"Đã xóa {count} tệp tải lên chưa nộp."))
            return
        if action == "export-catalog":
            if not file:
                sys.stdout.buffer.write(catalog_io.export_json())
                return
            catalog_io.export_catalog(file)
            self.stdout.write(self.style.SUCCESS(f"Đã xuất danh mục thủ tục ra {file}."))
            return
        try:
            result = catalog_io.import_catalog(file or catalog_io.DEFAULT_CATALOG)
        except DomainError as exc:
            self.stderr.write(self.style.ERROR(exc.message))
            for error in (exc.details or {}).get("errors", []):
                self.stderr.write(f"  - {error['where']}: {error['message']}")
            sys.exit(1)
        self.stdout.write(self.style.SUCCESS(f"Đã nhập danh mục: {result}."))
