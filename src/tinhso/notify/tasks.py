"""Delivery of outbox messages by background tasks (django-tasks, database backend).

Life of a message: `pending` → (claimed by one worker) `sending` → `sent`, or back to
`pending` with a later `next_attempt_at` after a transient failure (exponential
backoff), or `failed` after NOTIFY_MAX_ATTEMPTS or a permanent failure.

Nothing is lost and nothing is sent twice by tinhso:
- the claim is a conditional UPDATE (`status = pending and due`), so one worker only
  sends a message, however many tasks were enqueued for it;
- while `sending`, `next_attempt_at` is the claim's lease (now + NOTIFY_SENDING_TIMEOUT);
  a worker killed mid-way leaves the message `sending` and the sweep (`tinhso notify
  retry`, also run by `tinhso worker`) takes it back after the lease;
- the SentMessage row (one per message) and the `sent` status are written in one
  transaction right after the sender returns; a message that has its SentMessage is
  never sent again. The only window for a repeat is a worker dying between the
  provider's acceptance and that commit; the senders pass the message UUID as the
  Idempotency-Key / Message-ID so the provider can drop the repeat.
- the sweep also re-enqueues due `pending` messages whose task was lost (e.g. the
  process died between the commit and the enqueue).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone
from django_tasks import task

from tinhso.notify import conf
from tinhso.notify.models import Message, SentMessage
from tinhso.notify.senders import SendError, sender_for

logger = logging.getLogger(__name__)
Status = Message.Status


def schedule_delivery(*message_ids: int, run_after: datetime | None = None) -> None:
    """Enqueue one task delivering these messages (call after they are committed)."""
    try:
        deliver_message.using(run_after=run_after).enqueue(*message_ids)
    except Exception:  # the sweep will enqueue them again; never fail the caller
        logger.exception("could not enqueue delivery of messages %s", message_ids)


@task()
def deliver_message(message_id: int, *more: int) -> str:
    """Deliver a message, or the few that one notice wrote at once (e-mail and SMS): one
    task for them is one row to write and to take instead of several."""
    return ", ".join(deliver(pk) for pk in (message_id, *more))


def _claim(message_id: int) -> bool:
    now = timezone.now()
    return bool(
        Message.objects.filter(pk=message_id, status=Status.PENDING)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .update(
            status=Status.SENDING,
            attempts=F("attempts") + 1,
            next_attempt_at=now + timedelta(seconds=conf.sending_timeout()),
        )
    )


def backoff(attempts: int) -> timedelta:
    """Delay before the next attempt after `attempts` failed ones: base × 2^(n-1)."""
    return timedelta(seconds=conf.backoff_seconds() * 2 ** max(attempts - 1, 0))


def deliver(message_id: int) -> str:
    """Claim, send and record one message. Returns what happened (for logs and tests)."""
    if not _claim(message_id):
        return "skipped"
    message = Message.objects.annotate(
        already_sent=Exists(SentMessage.objects.filter(message_id=OuterRef("pk")))
    ).get(pk=message_id)
    if message.already_sent:  # sent, then the worker died before it could say so
        _mark_sent(message, None)
        return "already_sent"
    try:
        sender = sender_for(message.channel)
        sender.send(message)
    except SendError as exc:
        return _failed(message, str(exc), transient=exc.transient)
    except Exception as exc:  # noqa: BLE001  (a bug in a sender must not lose the message)
        logger.exception("sender crashed for message %s", message_id)
        return _failed(message, f"{type(exc).__name__}: {exc}", transient=True)
    _mark_sent(message, sender.name)
    return "sent"


@transaction.atomic
def _mark_sent(message: Message, sender_name: str | None) -> None:
    now = timezone.now()
    if sender_name is not None:
        # one INSERT … ON CONFLICT DO NOTHING: a record already there (the same message
        # delivered twice at once) stays as it is, as get_or_create left it
        SentMessage.objects.bulk_create(
            [
                SentMessage(
                    message=message,
                    channel=message.channel,
                    address=message.address,
                    subject=message.subject,
                    body=message.body,
                    sender=sender_name,
                )
            ],
            ignore_conflicts=True,
        )
    Message.objects.filter(pk=message.pk).update(
        status=Status.SENT, sent_at=now, next_attempt_at=None, last_error=""
    )


def _failed(message: Message, error: str, *, transient: bool) -> str:
    attempts = Message.objects.filter(pk=message.pk).values_list("attempts", flat=True).get()
    if transient and attempts < conf.max_attempts():
        retry_at = timezone.now() + backoff(attempts)
        with transaction.atomic():
            Message.objects.filter(pk=message.pk, status=Status.SENDING).update(
                status=Status.PENDING, next_attempt_at=retry_at, last_error=error[:2000]
            )
            transaction.on_commit(lambda: schedule_delivery(message.pk, run_after=retry_at))
        return "retry"
    Message.objects.filter(pk=message.pk, status=Status.SENDING).update(
        status=Status.FAILED, next_attempt_at=None, last_error=error[:2000]
    )
    return "failed"


def sweep(*, grace_seconds: float = 60) -> dict[str, int]:
    """Take back messages stuck in `sending` past their lease and re-enqueue due pending
    messages whose task may have been lost. Safe to run any time, from any process."""
    now = timezone.now()
    stuck = list(
        Message.objects.filter(status=Status.SENDING, next_attempt_at__lt=now).values_list(
            "pk", flat=True
        )
    )
    reclaimed = []
    for pk in stuck:
        if SentMessage.objects.filter(message_id=pk).exists():
            message = Message.objects.get(pk=pk)
            _mark_sent(message, None)
            continue
        if Message.objects.filter(pk=pk, status=Status.SENDING, next_attempt_at__lt=now).update(
            status=Status.PENDING, next_attempt_at=None
        ):
            reclaimed.append(pk)
    cutoff = now - timedelta(seconds=grace_seconds)
    lost = list(
        Message.objects.filter(status=Status.PENDING)
        .filter(
            Q(next_attempt_at__isnull=True, created_at__lt=cutoff) | Q(next_attempt_at__lt=cutoff)
        )
        .exclude(pk__in=reclaimed)
        .values_list("pk", flat=True)[:10_000]
    )
    if lost:
        queued = _messages_with_live_task()
        lost = [pk for pk in lost if pk not in queued]
    for pk in [*reclaimed, *lost]:
        schedule_delivery(pk)
    return {"reclaimed": len(reclaimed), "requeued": len(lost)}


def _messages_with_live_task() -> set[int]:
    """Messages that already have a delivery task waiting or running (database backend),
    so that a slow worker does not get a duplicate task per message at every sweep.

    A task RUNNING for longer than the sending lease is not live: a running delivery
    claims its message within moments of starting (and a claimed message is `sending`,
    which the lease covers), so a pending message whose task has been RUNNING that long
    belongs to a worker killed between taking the task and claiming the message. The
    backend never finishes such a task; counting it as live would leave the message
    pending for ever."""
    try:
        from django_tasks_db.models import DBTaskResult

        started_after = timezone.now() - timedelta(seconds=conf.sending_timeout())
        rows = (
            DBTaskResult.objects.filter(task_path=deliver_message.module_path)
            .filter(Q(status="READY") | Q(status="RUNNING", started_at__gte=started_after))
            .values_list("args_kwargs", flat=True)
        )
        return {int(pk) for row in rows for pk in row.get("args") or ()}
    except Exception:  # another backend: duplicates are harmless (the claim skips them)
        logger.debug("could not list queued deliveries", exc_info=True)
        return set()
