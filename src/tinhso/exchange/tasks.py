"""Delivery of the exchange outbox by background tasks (django-tasks, database backend).

Life of a package: `pending` → (claimed by one worker: a conditional UPDATE) `sending`
→ `delivered`; a transient failure (network, 5xx, receiver down) puts it back to
`pending` with an exponential back-off; a refusal by the receiver (4xx with a code) or
EXCHANGE_MAX_ATTEMPTS failures makes it `dead` (the dead-letter queue, administrators
are notified) with the reason. A worker killed while `sending` leaves the lease
(`next_attempt_at`) to expire; `sweep` (run by `tinhso worker`) takes it back. Sending
again is harmless: the receiver keeps each package once (idempotency key).
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django_tasks import task

from tinhso.core.binding import server_side_binding
from tinhso.core.errors import DomainError
from tinhso.exchange import conf
from tinhso.exchange.models import OutboxMessage, Transmission
from tinhso.exchange.transport import DeliveryFailed, Transport, transport_for

logger = logging.getLogger(__name__)
State = OutboxMessage.State


def schedule(message_id: int | None = None, run_after: datetime | None = None) -> None:
    """Make sure a delivery task will run (after the message is committed); never fails.

    A delivery task drains every due package, not only its own: when one is already
    waiting to start (database backend, due now), it will also take this message —
    its outbox query runs after our commit — so no second task is enqueued."""
    try:
        if run_after is None and _drain_waiting():
            return
        deliver_message.using(run_after=run_after).enqueue(message_id)
    except Exception:  # the sweep enqueues it again
        logger.exception("could not enqueue exchange delivery %s", message_id)


def _drain_waiting() -> bool:
    """A delivery task is enqueued, due and not yet started (database backend only)."""
    from django_tasks_db.models import DBTaskResult

    if deliver_message.get_backend().__class__.__name__ != "DatabaseBackend":
        return False
    return (
        DBTaskResult.objects.ready()
        .filter(task_path=deliver_message.module_path, queue_name=deliver_message.queue_name)
        .exists()
    )


@task(priority=10)  # before e-mails and SMS: a status 01 is the sender's receipt
def deliver_message(message_id: int | None = None) -> dict[str, int]:
    """Deliver the outbox: this message and every other due one (see `drain`)."""
    return drain()


def backoff(attempts: int) -> timedelta:
    """Exponential (base × 2^(attempts-1)) with a ceiling (EXCHANGE_BACKOFF_MAX_SECONDS)."""
    exponent = min(max(attempts - 1, 0), 60)  # 2**60 × any base is past any ceiling
    delay = conf.backoff_seconds() * 2**exponent
    return timedelta(seconds=max(0.0, min(delay, conf.backoff_max_seconds())))


def _claim(message_id: int) -> bool:
    now = timezone.now()
    return bool(
        OutboxMessage.objects.filter(pk=message_id, state=State.PENDING)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .update(
            state=State.SENDING,
            attempts=F("attempts") + 1,
            next_attempt_at=now + timedelta(seconds=conf.sending_timeout()),
        )
    )


def _due(now: datetime) -> Q:
    return Q(state=State.PENDING) & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))


def claim_batch(limit: int) -> list[OutboxMessage]:
    """Claim up to `limit` due packages for this worker (state `sending`, one attempt
    more, a lease). PostgreSQL: one SELECT ... FOR UPDATE SKIP LOCKED, so concurrent
    workers take disjoint batches without waiting; elsewhere (SQLite) one conditional
    UPDATE per package."""
    now = timezone.now()
    lease = now + timedelta(seconds=conf.sending_timeout())
    due = OutboxMessage.objects.filter(_due(now)).order_by("id")
    if connection.features.has_select_for_update_skip_locked:
        with transaction.atomic():
            ids = list(due.select_for_update(skip_locked=True).values_list("pk", flat=True)[:limit])
            if ids:
                OutboxMessage.objects.filter(pk__in=ids).update(
                    state=State.SENDING, attempts=F("attempts") + 1, next_attempt_at=lease
                )
    else:
        ids = [pk for pk in due.values_list("pk", flat=True)[:limit] if _claim(pk)]
    if not ids:
        return []
    return list(
        OutboxMessage.objects.select_related("endpoint", "transmission__recipient")
        .filter(pk__in=ids)
        .order_by("id")
    )


def drain(*, seconds: float | None = None) -> dict[str, int]:
    """Deliver due packages batch after batch (`claim_batch`), the HTTP ones
    concurrently over keep-alive sessions (`Sender`), until none is due; after
    `seconds` the task hands over to a new one. A full batch asks for a helper (another
    task, taken by another worker if there is one)."""
    limit = conf.batch_size()
    deadline = time.monotonic() + (conf.drain_seconds() if seconds is None else seconds)
    counts: dict[str, int] = {}
    with Sender() as sender:
        while True:
            batch = claim_batch(limit)
            if not batch:
                break
            if len(batch) == limit:
                transaction.on_commit(schedule)  # more may be due: a helper may join
            for result in deliver_batch(batch, sender):
                counts[result] = counts.get(result, 0) + 1
            if time.monotonic() > deadline:
                schedule()
                break
    return counts


def deliver(message_id: int) -> str:
    """Claim and deliver one package: "delivered", "retry", "dead" or "skipped"."""
    if not _claim(message_id):
        return "skipped"
    message = OutboxMessage.objects.select_related("endpoint", "transmission__recipient").get(
        pk=message_id
    )
    with Sender() as sender:
        return deliver_batch([message], sender)[0]


def deliver_batch(messages: list[OutboxMessage], sender: Sender) -> list[str]:
    """Deliver claimed packages: build (and sign) the ones never built; the ones for
    the same tinhso instance go together, several per HTTP request (`Pack`), each
    request handed to a sending thread as soon as it is full (sending overlaps the
    building of the next; no database work in the sending threads); other HTTP ones one
    per request, local ones in-process; then record the outcomes (the delivered ones in
    one transaction)."""
    from tinhso.exchange.services import PayloadBuilder

    results: dict[int, str] = {}
    sending: list[tuple[list[OutboxMessage], Future[list[DeliveryFailed | None]]]] = []
    lease = _Lease(messages)
    builder = PayloadBuilder(messages)
    packs: dict[tuple[str, str], _Pack] = {}

    def send(pack: _Pack) -> None:
        _save_built(pack.built)
        sending.append((pack.messages, sender.submit_many(pack.messages, pack.transport)))

    for message in messages:
        lease.keep()
        try:
            built = not message.payload
            if built:
                _build(message, builder, save=False)
            transport = transport_for(message)
        except DomainError as exc:
            failure = DeliveryFailed(
                f"{exc.message} [{exc.code}]", transient=False, code=str(exc.code)
            )
            results[message.pk] = _failed(message, failure)
            continue
        except DeliveryFailed as exc:
            results[message.pk] = _failed(message, exc)
            continue
        if not transport.batches or conf.wire_batch_packages() == 1:
            if built:
                _save_built([message])
            sending.append(([message], sender.submit_many([message], transport)))
            continue
        place = (type(transport).__name__, getattr(transport, "url", ""))
        pack = packs.get(place)
        if pack is not None and not pack.fits(message):
            send(pack)
            pack = None
        if pack is None:
            pack = packs[place] = _Pack(transport)
        pack.add(message, built)
        if pack.full():
            send(packs.pop(place))
    for pack in packs.values():
        send(pack)
    delivered = []
    for group, future in sending:
        while True:  # the batch keeps its lease while it is being sent
            try:
                outcomes = future.result(timeout=lease.every)
                break
            except FutureTimeout:
                lease.keep()
        for message, outcome in zip(group, outcomes, strict=True):
            if outcome is None:
                delivered.append(message)
                results[message.pk] = "delivered"
            else:
                results[message.pk] = _failed(message, outcome)
    if delivered:
        _delivered(delivered)
    return [results[m.pk] for m in messages]


class _Pack:
    """Packages for the same tinhso instance, sent in one request (up to
    EXCHANGE_WIRE_BATCH_PACKAGES packages and EXCHANGE_WIRE_BATCH_BYTES bytes)."""

    def __init__(self, transport: Transport) -> None:
        self.transport = transport
        self.messages: list[OutboxMessage] = []
        self.built: list[OutboxMessage] = []
        self.size = 0

    def fits(self, message: OutboxMessage) -> bool:
        return self.size + len(message.payload) <= conf.wire_batch_bytes()

    def add(self, message: OutboxMessage, built: bool) -> None:
        self.messages.append(message)
        if built:
            self.built.append(message)
        self.size += len(message.payload)

    def full(self) -> bool:
        return len(self.messages) >= conf.wire_batch_packages() or self.size >= (
            conf.wire_batch_bytes()
        )


class _Lease:
    """The claimed batch's lease (`next_attempt_at` of packages `sending`), renewed
    while the batch is built and sent, so the sweep never takes back a package that is
    still on its way (a dead worker stops renewing: the sweep then takes them back)."""

    def __init__(self, messages: list[OutboxMessage]) -> None:
        self.ids = [m.pk for m in messages]
        self.seconds = conf.sending_timeout()
        self.every = max(self.seconds / 3, 0.2)
        self.renewed = time.monotonic()

    def keep(self) -> None:
        if time.monotonic() - self.renewed < self.every:
            return
        self.renewed = time.monotonic()
        OutboxMessage.objects.filter(pk__in=self.ids, state=State.SENDING).update(
            next_attempt_at=timezone.now() + timedelta(seconds=self.seconds)
        )


class Sender:
    """Sends packages: HTTP ones from a few threads, each with its own keep-alive
    session (one connection per receiver, reused for every package), local ones in the
    calling thread (they write to our database)."""

    def __init__(self, concurrency: int | None = None) -> None:
        self.concurrency = concurrency or conf.send_concurrency()
        self._pool: ThreadPoolExecutor | None = None
        self._local = threading.local()
        self._sessions: list[Any] = []
        self._lock = threading.Lock()

    def __enter__(self) -> Sender:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
        for session in self._sessions:
            session.close()

    def session(self) -> Any:
        session = getattr(self._local, "session", None)
        if session is None:
            import requests

            session = self._local.session = requests.Session()
            with self._lock:
                self._sessions.append(session)
        return session

    def _one(self, message: OutboxMessage, transport: Transport) -> DeliveryFailed | None:
        try:
            transport.deliver(message, session=self.session())
        except DeliveryFailed as exc:
            return exc
        except Exception as exc:  # noqa: BLE001 - a bug must not lose the package
            logger.exception("exchange delivery crashed for %s", message.pk)
            return DeliveryFailed(f"{type(exc).__name__}: {exc}", transient=True)
        return None

    def _many(
        self, messages: list[OutboxMessage], transport: Transport
    ) -> list[DeliveryFailed | None]:
        if len(messages) == 1 or not transport.batches:
            return [self._one(message, transport) for message in messages]
        try:
            return transport.deliver_many(messages, session=self.session())  # type: ignore[attr-defined]
        except Exception as exc:  # noqa: BLE001 - a bug must not lose the packages
            logger.exception("exchange batch delivery crashed")
            return [DeliveryFailed(f"{type(exc).__name__}: {exc}", transient=True)] * len(messages)

    def submit_many(
        self, messages: list[OutboxMessage], transport: Transport
    ) -> Future[list[DeliveryFailed | None]]:
        """Send now (local) or in a sending thread (HTTP; several packages for the same
        instance in one request); the outcomes, in order: None when delivered, else
        the failure."""
        if not transport.remote or self.concurrency <= 1:
            done: Future[list[DeliveryFailed | None]] = Future()
            done.set_result(self._many(messages, transport))
            return done
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.concurrency, "exchange-send")
        return self._pool.submit(self._many, messages, transport)


def _build(message: OutboxMessage, builder: Any = None, *, save: bool = True) -> None:
    """Build and sign once; every retry sends the same bytes (kept by `_save_built`
    before they are sent)."""
    import hashlib

    from tinhso.exchange.services import PayloadBuilder

    raw = (builder or PayloadBuilder([message])).build(message)
    message.payload, message.sha256, message.size = raw, hashlib.sha256(raw).hexdigest(), len(raw)
    if save:
        _save_built([message])


def _save_built(messages: list[OutboxMessage]) -> None:
    """Keep the packages just built (one statement), before they are sent. The bytes
    are bound on the server (`server_side_binding`): as literals in the SQL text they
    cost more to escape and parse back than the packages cost to sign."""
    with server_side_binding():
        _save_built_statement(messages)


def _save_built_statement(messages: list[OutboxMessage]) -> None:
    if len(messages) == 1:
        [message] = messages
        OutboxMessage.objects.filter(pk=message.pk).update(
            payload=message.payload, sha256=message.sha256, size=message.size
        )
    elif connection.vendor == "postgresql":
        # One statement over arrays (a bulk_update's CASE per column costs more to
        # build than the packages cost to send); the packages' array in binary format
        # (%b: bound on the server, see `server_side_binding`).
        table = OutboxMessage._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} AS m SET payload = v.payload, sha256 = v.sha256, "  # noqa: S608
                "size = v.size FROM unnest(%s::bigint[], %b::bytea[], %s::varchar[], "
                "%s::integer[]) AS v(id, payload, sha256, size) WHERE m.id = v.id",
                [
                    [m.pk for m in messages],
                    [bytes(m.payload) for m in messages],
                    [m.sha256 for m in messages],
                    [m.size for m in messages],
                ],
            )
    elif messages:
        OutboxMessage.objects.bulk_update(messages, ["payload", "sha256", "size"])


@transaction.atomic
def _delivered(messages: list[OutboxMessage]) -> None:
    from tinhso.exchange.services import mark_sent_at_documents

    now = timezone.now()
    OutboxMessage.objects.filter(pk__in=[m.pk for m in messages], state=State.SENDING).update(
        state=State.DELIVERED, delivered_at=now, next_attempt_at=None, last_error=""
    )
    # A receiver that answered is back: its packages waiting on a back-off after a
    # connection failure are due now (a package it refused or failed on keeps its own).
    reachable = {m.endpoint_id for m in messages if m.endpoint_id and m.channel != "local"}
    if reachable:
        OutboxMessage.objects.filter(
            state=State.PENDING,
            endpoint_id__in=reachable,
            last_error_code="delivery_failed",
            next_attempt_at__gt=now,
        ).update(next_attempt_at=now)
    transmissions = [m.transmission for m in messages if m.transmission_id]
    if not transmissions:
        return
    Transmission.objects.filter(pk__in=[t.pk for t in transmissions if t], status="queued").update(
        status="sent", status_at=now, updated_at=now
    )
    mark_sent_at_documents([t for t in transmissions if t is not None])


def _failed(message: OutboxMessage, exc: DeliveryFailed) -> str:
    attempts = OutboxMessage.objects.filter(pk=message.pk).values_list("attempts", flat=True).get()
    error = str(exc)[:2000]
    if exc.transient and attempts < conf.max_attempts():
        retry_at = timezone.now() + backoff(attempts)
        with transaction.atomic():
            OutboxMessage.objects.filter(pk=message.pk, state=State.SENDING).update(
                state=State.PENDING,
                next_attempt_at=retry_at,
                last_error=error,
                last_error_code=exc.code[:60],
            )
            transaction.on_commit(lambda: schedule(message.pk, run_after=retry_at))
        return "retry"
    with transaction.atomic():
        OutboxMessage.objects.filter(pk=message.pk, state=State.SENDING).update(
            state=State.DEAD, next_attempt_at=None, last_error=error, last_error_code=exc.code[:60]
        )
        if message.transmission_id and not exc.transient:
            # The receiver refused the package itself: that is its answer (as 02).
            now = timezone.now()
            Transmission.objects.filter(
                pk=message.transmission_id, status__in=["queued", "sent"]
            ).update(status="02", status_description=error, status_at=now, updated_at=now)
        notify_admins(message, error)
    return "dead"


def notify_admins(message: OutboxMessage, error: str) -> None:
    from tinhso.accounts.models import Role, User
    from tinhso.notify.services import notify_user

    admins = User.objects.filter(
        Q(is_superuser=True) | Q(role_grants__role=Role.PLATFORM_ADMIN), is_active=True
    ).distinct()[:20]
    for admin in admins:
        notify_user(
            user=admin,
            template="exchange_dead_letter",
            context={"user": admin, "message": message, "error": error},
            related_object=f"exchange.outboxmessage:{message.uid}",
        )


def sweep(*, grace_seconds: float = 60) -> dict[str, int]:
    """Take back packages stuck in `sending` past their lease (their worker died) and
    enqueue them at once; re-enqueue due ones whose task may have been lost (older than
    `grace_seconds`: a fresh one still has its task)."""
    now = timezone.now()
    cutoff = now - timedelta(seconds=grace_seconds)
    stuck = list(
        OutboxMessage.objects.filter(state=State.SENDING, next_attempt_at__lt=now).values_list(
            "pk", flat=True
        )
    )
    reclaimed = [
        pk
        for pk in stuck
        if OutboxMessage.objects.filter(pk=pk, state=State.SENDING, next_attempt_at__lt=now).update(
            state=State.PENDING, next_attempt_at=None
        )
    ]
    lost = list(
        OutboxMessage.objects.filter(state=State.PENDING)
        .filter(
            Q(next_attempt_at__isnull=True, updated_at__lt=cutoff) | Q(next_attempt_at__lte=cutoff)
        )
        .exclude(pk__in=reclaimed)
        .values_list("pk", flat=True)[:10_000]
    )
    for pk in [*reclaimed, *lost]:
        schedule(pk)
    return {"reclaimed": len(reclaimed), "requeued": len(lost)}


def deliver_due(*, limit: int = 10_000, rounds: int = 10) -> dict[str, int]:
    """Deliver every due package now, in this process (tests, demo, `tinhso exchange
    deliver`); statuses produced by the deliveries are delivered in the next rounds."""
    counts: dict[str, int] = {}
    with Sender() as sender:
        for _ in range(rounds):
            batch = claim_batch(limit)
            if not batch:
                break
            for result in deliver_batch(batch, sender):
                counts[result] = counts.get(result, 0) + 1
    return counts
