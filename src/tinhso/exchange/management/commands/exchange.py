"""`tinhso exchange deliver | sweep`: deliver the due outbox now, or take back stuck
deliveries (the worker does both by itself)."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Liên thông văn bản: gửi ngay các gói tin đến hạn (deliver) hoặc rà soát (sweep)."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["deliver", "sweep"])

    def handle(self, *args, action: str, **options):
        from tinhso.exchange import tasks

        result = tasks.deliver_due() if action == "deliver" else tasks.sweep(grace_seconds=0)
        self.stdout.write(json.dumps(result))
