"""`tinhso directory import-agencies FILE` / `export-agencies FILE` (the agency table) and
`import-admin-units FILE` / `export-admin-units FILE` (administrative units).

Run by the operator on the server: the platform itself is the actor (audited as
"system"). A bad file imports nothing and every error is printed with its line number.
"""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from tinhso.directory.csvio import (
    CsvImportFailed,
    export_admin_units,
    export_agencies,
    import_admin_units,
    import_agencies,
)

ACTIONS = {
    "import-agencies": import_agencies,
    "export-agencies": export_agencies,
    "import-admin-units": import_admin_units,
    "export-admin-units": export_admin_units,
}


class Command(BaseCommand):
    help = "Danh bạ cơ quan: nhập/xuất bảng cơ quan dạng CSV (UTF-8)."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=list(ACTIONS))
        parser.add_argument("file", help="đường dẫn tệp CSV ('-' là stdin/stdout)")

    def handle(self, *args, action, file, **options):
        if action.startswith("export-"):
            text = ACTIONS[action]()
            if file == "-":
                self.stdout.write(text, ending="")
            else:
                Path(file).write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
                rows = text.count("\r\n") - 1
                self.stdout.write(self.style.SUCCESS(f"Đã xuất {rows} dòng ra {file}."))
            return
        try:
            data = sys.stdin.buffer.read() if file == "-" else Path(file).read_bytes()
        except OSError as exc:
            raise CommandError(f"Không đọc được tệp {file}: {exc}") from exc
        try:
            report = ACTIONS[action](actor=None, data=data)
        except CsvImportFailed as exc:
            for error in exc.errors:
                where = f"Dòng {error['line']}: " if error.get("line") else ""
                self.stderr.write(f"{where}{error['message']}")
            raise CommandError(
                f"Tệp có {len(exc.errors)} lỗi: không có dòng nào được nhập."
            ) from exc
        counts = report.as_dict()
        self.stdout.write(
            self.style.SUCCESS(
                f"Đã nhập: {counts['created']} dòng mới, {counts['updated']} cập nhật, "
                f"{counts['unchanged']} không đổi."
            )
        )
