"""A worker killed -9 after it took a delivery task but before it claimed the message
leaves the task RUNNING for ever (the task backend never learns the worker died) and
the message pending: the outbox sweep still delivers it once the lease has passed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from tinhso.notify import tasks
from tinhso.notify.models import Message
from tinhso.notify.services import enqueue

pytestmark = pytest.mark.django_db


def _task_of(message: Message):
    return DBTaskResult.objects.filter(
        task_path="tinhso.notify.tasks.deliver_message", args_kwargs__args=[message.pk]
    )


def test_a_message_whose_worker_died_before_the_claim_is_delivered_after_the_lease(
    django_capture_on_commit_callbacks, settings
):
    settings.NOTIFY_SENDING_TIMEOUT = 300
    with django_capture_on_commit_callbacks(execute=True):
        message = enqueue(
            channel="sms", address="0912345678", template="generic", context={"text": "x"}
        )
    # the worker took the task (RUNNING), then was killed before `_claim`
    taken = timezone.now() - timedelta(minutes=10)
    _task_of(message).update(status="RUNNING", started_at=taken)
    Message.objects.filter(pk=message.pk).update(created_at=taken)
    assert tasks.sweep()["requeued"] == 1  # the dead task does not hold the message
    assert _task_of(message).filter(status="READY").count() == 1
    assert tasks.deliver(message.pk) == "sent"


def test_a_task_running_within_the_lease_still_counts_as_live(
    django_capture_on_commit_callbacks, settings
):
    settings.NOTIFY_SENDING_TIMEOUT = 300
    with django_capture_on_commit_callbacks(execute=True):
        message = enqueue(
            channel="sms", address="0912345678", template="generic", context={"text": "x"}
        )
    _task_of(message).update(status="RUNNING", started_at=timezone.now())
    Message.objects.filter(pk=message.pk).update(created_at=timezone.now() - timedelta(minutes=5))
    assert tasks.sweep()["requeued"] == 0  # no second task while the first may be alive
