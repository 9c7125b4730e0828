"""`tinhso worker --batch` runs the queued deliveries end to end (django-tasks-db)."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from tinhso.accounts.services import create_official
from tinhso.notify.models import Message, SentMessage
from tinhso.notify.services import notify_user


@pytest.mark.django_db(transaction=True)  # the worker commits, as in production
def test_enqueued_messages_are_delivered_by_the_worker_in_batch_mode():
    user = create_official(
        username="canbo2", full_name="Cán Bộ Hai", email="canbo2@example.vn", phone="0987654321"
    )
    with transaction.atomic():  # the use-case's transaction; delivery enqueued on commit
        messages = notify_user(
            user=user, template="generic", context={"subject": "Thử", "text": "Nội dung"}
        )
    assert len(messages) == 2
    queued = DBTaskResult.objects.get(status="READY")  # one task for both channels
    assert queued.args_kwargs["args"] == [m.pk for m in messages]
    call_command("worker", "--batch", "--interval", "0", verbosity=0)
    assert set(Message.objects.values_list("status", flat=True)) == {"sent"}
    assert SentMessage.objects.count() == 2
    assert set(DBTaskResult.objects.values_list("status", flat=True)) == {"SUCCESSFUL"}
