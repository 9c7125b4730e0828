"""The `tinhso` console command: Django's management commands plus our own."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tinhso.settings")
    if sys.argv[1:2] in (["demo"], ["serve"]) and not os.environ.get("SECRET_KEY"):
        # The demo keeps a random key of its own in var/ (created once, mode 600).
        from tinhso.core import secret_key

        secret_key.ensure()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["tinhso", *sys.argv[1:]])


if __name__ == "__main__":
    main()
