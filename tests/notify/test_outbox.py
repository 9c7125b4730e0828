"""The outbox: messages rendered in Vietnamese, delivered once, retried, never lost."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from tinhso.accounts.services import create_official
from tinhso.notify import tasks
from tinhso.notify.models import Message, SentMessage
from tinhso.notify.services import enqueue, notify_user

pytestmark = pytest.mark.django_db

CONTEXT = {"subject": "Hồ sơ đã được tiếp nhận", "text": "Hồ sơ H99-260312-0001 đã được nhận."}


def sms(address="0912345678") -> Message:
    return enqueue(channel="sms", address=address, template="generic", context=CONTEXT)


def delivery_tasks(message: Message):
    return DBTaskResult.objects.filter(
        task_path="tinhso.notify.tasks.deliver_message", args_kwargs__args=[message.pk]
    )


def test_enqueue_renders_the_vietnamese_template_and_writes_its_delivery_in_the_same_transaction(
    django_capture_on_commit_callbacks,
):
    """Tasks are rows of the same database: the delivery is written with the message,
    one commit for both, and nothing waits for the commit."""
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        message = sms()
        assert delivery_tasks(message).count() == 1
    assert callbacks == []
    assert message.subject == "Hồ sơ đã được tiếp nhận"
    assert "H99-260312-0001" in message.body
    assert "vui lòng không trả lời" in message.body
    assert message.status == Message.Status.PENDING


def test_another_tasks_backend_gets_the_delivery_after_the_commit(
    django_capture_on_commit_callbacks, settings
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    from django_tasks import default_task_backend

    default_task_backend.clear()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        message = sms()
        assert default_task_backend.results == []  # nothing before the commit
    assert len(callbacks) == 1
    [result] = default_task_backend.results
    assert result.args == [message.pk]


def test_rolled_back_use_case_sends_nothing(django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        sms()
        raise RuntimeError("use-case failed")
    assert callbacks == []
    assert not Message.objects.exists()
    assert not DBTaskResult.objects.filter(task_path="tinhso.notify.tasks.deliver_message").exists()


def test_development_sender_keeps_what_would_be_sent_and_delivers_once():
    message = sms()
    assert tasks.deliver(message.pk) == "sent"
    assert tasks.deliver(message.pk) == "skipped"  # a duplicate task changes nothing
    message.refresh_from_db()
    assert message.status == Message.Status.SENT and message.sent_at
    sent = SentMessage.objects.get(message=message)
    assert sent.sender == "development"
    assert sent.address == "0912345678" and "H99-260312-0001" in sent.body


def test_email_goes_through_django_mail_with_the_message_id():
    user = create_official(username="canbo1", full_name="Cán Bộ Một", email="canbo1@example.vn")
    (message,) = notify_user(user=user, template="generic", context=CONTEXT)
    assert tasks.deliver(message.pk) == "sent"
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == ["canbo1@example.vn"]
    assert sent.subject == "Hồ sơ đã được tiếp nhận"
    assert str(message.uid) in sent.extra_headers["Message-ID"]
    assert SentMessage.objects.get(message=message).sender == "email"


def test_http_sender_posts_json_with_token_and_idempotency_key(gateway):
    message = sms()
    assert tasks.deliver(message.pk) == "sent"
    (request,) = gateway.requests
    assert request["headers"]["Authorization"] == "Bearer bi-mat-123"
    assert request["headers"]["Idempotency-Key"] == str(message.uid)
    assert request["json"] == {
        "id": str(message.uid),
        "channel": "sms",
        "to": "0912345678",
        "subject": "Hồ sơ đã được tiếp nhận",
        "body": message.body,
    }
    assert SentMessage.objects.get(message=message).sender == "http"


def test_transient_failures_retry_with_exponential_backoff_then_fail(gateway):
    gateway.statuses = [503, 503, 503]
    message = sms()
    before = timezone.now()
    assert tasks.deliver(message.pk) == "retry"
    message.refresh_from_db()
    assert message.status == Message.Status.PENDING and message.attempts == 1
    assert "503" in message.last_error
    first_delay = message.next_attempt_at - before
    assert timedelta(seconds=29) < first_delay < timedelta(seconds=35)
    # not due yet: a task running early does nothing
    assert tasks.deliver(message.pk) == "skipped"
    Message.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
    before = timezone.now()
    assert tasks.deliver(message.pk) == "retry"
    message.refresh_from_db()
    second_delay = message.next_attempt_at - before
    assert timedelta(seconds=59) < second_delay < timedelta(seconds=65)  # doubled
    Message.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
    assert tasks.deliver(message.pk) == "failed"  # third attempt = NOTIFY_MAX_ATTEMPTS
    message.refresh_from_db()
    assert message.status == Message.Status.FAILED and message.attempts == 3
    assert len(gateway.requests) == 3
    assert not SentMessage.objects.exists()


def test_retry_is_enqueued_to_run_after_the_backoff(gateway, django_capture_on_commit_callbacks):
    gateway.statuses = [500]
    message = sms()
    with django_capture_on_commit_callbacks(execute=True):
        tasks.deliver(message.pk)
    message.refresh_from_db()
    retry = delivery_tasks(message).order_by("run_after").first()  # the first try has none
    assert retry is not None and delivery_tasks(message).count() == 2
    assert abs((retry.run_after - message.next_attempt_at).total_seconds()) < 1


def test_permanent_refusal_fails_at_once(gateway):
    gateway.statuses = [400]
    message = sms()
    assert tasks.deliver(message.pk) == "failed"
    message.refresh_from_db()
    assert message.status == Message.Status.FAILED and message.attempts == 1


def test_worker_killed_after_claiming_loses_nothing_and_sends_once(gateway):
    message = sms()
    assert tasks._claim(message.pk)  # the worker claimed it ... and was killed here
    message.refresh_from_db()
    assert message.status == Message.Status.SENDING
    # within the lease the sweep leaves it alone (the worker might still be alive)
    assert tasks.sweep() == {"reclaimed": 0, "requeued": 0}
    assert tasks.deliver(message.pk) == "skipped"
    # the lease expires: the sweep takes it back and a new task delivers it
    Message.objects.filter(pk=message.pk).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )
    assert tasks.sweep()["reclaimed"] == 1
    assert tasks.deliver(message.pk) == "sent"
    assert len(gateway.requests) == 1
    assert SentMessage.objects.filter(message=message).count() == 1


def test_worker_killed_after_recording_the_delivery_never_sends_again(gateway):
    message = sms()
    tasks._claim(message.pk)
    SentMessage.objects.create(
        message=message, channel="sms", address=message.address, body=message.body, sender="http"
    )
    Message.objects.filter(pk=message.pk).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )
    tasks.sweep()
    message.refresh_from_db()
    assert message.status == Message.Status.SENT
    assert gateway.requests == []


def test_sweep_re_enqueues_pending_messages_whose_task_was_lost():
    message = sms()
    delivery_tasks(message).delete()  # lost (a task queue outside the database, emptied)
    assert tasks.sweep()["requeued"] == 0  # too recent: its task may be on its way
    Message.objects.filter(pk=message.pk).update(created_at=timezone.now() - timedelta(minutes=5))
    assert tasks.sweep()["requeued"] == 1
    assert delivery_tasks(message).count() == 1


def test_senders_are_pluggable_by_setting(settings):
    settings.NOTIFY_SENDERS = {"sms": "tinhso.notify.senders.EmailSender"}
    message = sms(address="nguoidan@example.vn")
    assert tasks.deliver(message.pk) == "sent"
    assert mail.outbox[0].to == ["nguoidan@example.vn"]


def test_retry_command_reports_what_it_did(capsys):
    from django.core.management import call_command

    message = sms()
    delivery_tasks(message).delete()  # lost
    Message.objects.filter(pk=message.pk).update(created_at=timezone.now() - timedelta(minutes=5))
    call_command("notify", "retry")
    assert "xếp lại 1 tin" in capsys.readouterr().out


def test_a_person_sees_their_own_messages_only(client):
    from tinhso.accounts.middleware import SESSION_KEY

    me = create_official(username="toi", full_name="Tôi", email="toi@example.vn")
    other = create_official(username="khac", full_name="Khác", email="khac@example.vn")
    notify_user(user=me, template="generic", context={"subject": "Của tôi", "text": "A"})
    notify_user(user=other, template="generic", context={"subject": "Của người khác", "text": "B"})
    client.force_login(me)
    session = client.session
    session[SESSION_KEY] = True
    session.save()
    page = client.get("/notify/").content.decode()
    assert "Của tôi" in page
    assert "Của người khác" not in page


def test_sweep_does_not_duplicate_a_task_still_waiting_in_the_queue(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        message = sms()
    Message.objects.filter(pk=message.pk).update(
        created_at=timezone.now() - timedelta(minutes=5)
    )  # the worker is slow, its task is still READY
    assert tasks.sweep()["requeued"] == 0
    assert delivery_tasks(message).count() == 1
