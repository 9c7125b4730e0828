"""PostgreSQL: two workers running the same delivery at once send it exactly once."""

from __future__ import annotations

import threading

import pytest
from django.db import connections

from tinhso.notify import tasks
from tinhso.notify.models import Message, SentMessage
from tinhso.notify.services import enqueue

pytestmark = pytest.mark.postgres


@pytest.mark.django_db(transaction=True)
def test_concurrent_tasks_for_one_message_send_it_once(gateway):
    message = enqueue(
        channel="sms", address="0912000111", template="generic", context={"text": "Xin chào"}
    )
    results: list[str] = []
    start = threading.Barrier(4)

    def work() -> None:
        try:
            start.wait()
            results.append(tasks.deliver(message.pk))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["sent", "skipped", "skipped", "skipped"]
    assert len(gateway.requests) == 1
    assert SentMessage.objects.filter(message=message).count() == 1
    assert Message.objects.get(pk=message.pk).status == Message.Status.SENT
