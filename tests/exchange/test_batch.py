"""Several packages in one delivery (another tinhso instance sends what its outbox holds
for us in one HTTP request): each package keeps its own signature and gets its own
outcome; a bad one is refused with its code and leaves nothing, the others are kept;
the same batch delivered again (one after the other, or two at the same time) keeps each
package once; a batch whose transaction did not commit (the receiver killed while
keeping it) leaves nothing, and its redelivery keeps everything once."""

from __future__ import annotations

import threading

import pytest
import requests

from tinhso.audit.models import AuditEntry
from tinhso.documents import services as documents
from tinhso.exchange import services
from tinhso.exchange.models import InboxItem, OutboxMessage, StatusEvent, Transmission
from tinhso.exchange.tasks import claim_batch, deliver_due
from tinhso.exchange.transport import decode_batch, encode_batch

from .conftest import document_package, issued_document, signed

RECEIVER = "000.00.20.H99"


def _packages(province, count: int) -> list[bytes]:
    return [
        signed(
            province.sender,
            document_package(
                province.sender,
                RECEIVER,
                number_notation=f"{i + 1}/STTTT-KH",
                subject=f"Về việc thử nghiệm gói {i + 1}",
            ),
        )
        for i in range(count)
    ]


def _tampered(raw: bytes) -> bytes:
    return raw.replace("thử nghiệm".encode(), b"thu nghiem", 1)


def _kept() -> tuple[int, int, int]:
    """(document packages kept, 01 answers queued, audit entries of arrivals)."""
    return (
        InboxItem.objects.filter(kind="document").count(),
        OutboxMessage.objects.filter(kind="status", status_code="01").count(),
        AuditEntry.objects.filter(action="exchange.receive").count(),
    )


@pytest.mark.django_db
def test_a_bad_package_in_a_batch_is_refused_alone_and_leaves_nothing(province):
    good, bad, other = _packages(province, 3)
    conflicting = signed(
        province.sender,
        document_package(province.sender, RECEIVER, number_notation="1/STTTT-KH", subject="Khác"),
    )
    outcomes = services.receive_batch(
        [good, _tampered(bad), b"<edXML><x></edXML>", other, conflicting]
    )
    answers = [o.as_dict() for o in outcomes]
    assert [a["result"] for a in answers] == [
        "accepted",
        "refused",
        "refused",
        "accepted",
        "refused",
    ]
    assert [a.get("code") for a in answers if a["result"] == "refused"] == [
        "signature_invalid",
        "malformed_xml",
        "duplicate_different_content",  # the same DocumentId as the first, other content
    ]
    assert all(a["message"] for a in answers if a["result"] == "refused")
    assert _kept() == (2, 2, 2)
    subjects = set(InboxItem.objects.values_list("subject", flat=True))
    assert subjects == {"Về việc thử nghiệm gói 1", "Về việc thử nghiệm gói 3"}


@pytest.mark.django_db
def test_the_same_batch_delivered_twice_keeps_each_package_once(province):
    batch = _packages(province, 3)
    first = [o.as_dict()["result"] for o in services.receive_batch(batch)]
    again = [o.as_dict()["result"] for o in services.receive_batch(batch)]
    assert first == ["accepted"] * 3 and again == ["duplicate"] * 3
    assert _kept() == (3, 3, 3)
    # and the same package twice in one batch: kept once, the second a duplicate
    [fourth] = _packages(province, 4)[3:]
    twice = [o.as_dict()["result"] for o in services.receive_batch([fourth, fourth])]
    assert twice == ["accepted", "duplicate"] and _kept() == (4, 4, 4)


@pytest.mark.django_db
def test_the_clerk_gets_one_notice_for_what_arrived_together_and_one_per_lone_arrival(province):
    from tinhso.notify.models import Message

    clerk = province.receiver.clerk
    services.receive_batch(_packages(province, 3))
    [notice] = Message.objects.filter(recipient=clerk, channel="email")
    assert notice.template == "exchange_arrived_many"
    assert notice.subject == "3 văn bản liên thông đến"
    for item in InboxItem.objects.filter(kind="document"):
        assert item.number_notation in notice.body and str(item.uid) in notice.body
    # a twice-delivered batch tells nobody again; a lone arrival gets its own notice
    services.receive_batch(_packages(province, 3))
    services.receive_batch(_packages(province, 4)[3:])
    assert list(
        Message.objects.filter(recipient=clerk, channel="email")
        .order_by("id")
        .values_list("template", flat=True)
    ) == ["exchange_arrived_many", "exchange_arrived"]


@pytest.mark.django_db
def test_statuses_of_a_batch_move_each_transmission_forward_once(province):
    """The receiver's 01s come back together: each applied to its transmission, a
    repeat in the same batch or a later one changes nothing."""
    for i in range(3):
        doc = issued_document(province.sender, f"Văn bản {i}")
        documents.dispatch_outgoing(
            actor=province.sender.clerk, document=doc, external=[("Sở Tài chính", RECEIVER)]
        )
    deliver_due(rounds=1)  # the documents only: their 01s wait in the outbox
    answers = list(OutboxMessage.objects.filter(kind="status", state="pending"))
    assert len(answers) == 3
    from tinhso.exchange.services import PayloadBuilder

    builder = PayloadBuilder(answers)
    raws = [builder.build(m) for m in answers]
    results = [o.as_dict()["result"] for o in services.receive_batch([*raws, raws[0]])]
    assert results == ["accepted", "accepted", "accepted", "duplicate"]
    assert set(Transmission.objects.values_list("status", flat=True)) == {"01"}
    assert StatusEvent.objects.filter(status_code="01").count() == 3
    again = [o.as_dict()["result"] for o in services.receive_batch(raws)]
    assert again == ["duplicate"] * 3 and StatusEvent.objects.count() == 3


def test_multipart_body_carries_each_package_byte_for_byte():
    payloads = [b"<edXML>a</edXML>", b"<edXML>\r\n--b\r\n</edXML>", b""]
    content_type, body = encode_batch(payloads)
    assert decode_batch(content_type, body) == payloads


@pytest.mark.django_db(transaction=True)
def test_a_batch_over_http_answers_each_package_and_a_malformed_one_is_refused(
    province, live_server
):
    url = f"{live_server.url}/api/v1/exchange/packages"
    good, bad = _packages(province, 2)
    content_type, body = encode_batch([good, _tampered(bad)])
    answer = requests.post(url, data=body, headers={"Content-Type": content_type}, timeout=60)
    assert answer.status_code == 200, answer.text
    results = answer.json()["results"]
    assert [r["result"] for r in results] == ["accepted", "refused"]
    assert results[1]["code"] == "signature_invalid" and results[1]["status"] == 400
    answer = requests.post(
        url,
        data=b"--x\r\nContent-Type: application/xml\r\n\r\n<edXML/>",  # never closed
        headers={"Content-Type": 'multipart/mixed; boundary="x"'},
        timeout=30,
    )
    assert answer.status_code == 400 and answer.json()["code"] == "malformed_batch"
    assert _kept() == (1, 1, 1)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_batch_delivered_twice_at_the_same_time_keeps_each_once(province, live_server):
    """Two deliveries of the same batch racing (a lease expired while the first was on
    its way): the unique key lets one transaction keep them, the other finds them kept."""
    url = f"{live_server.url}/api/v1/exchange/packages"
    content_type, body = encode_batch(_packages(province, 4))
    answers: list[list[str]] = []

    def post() -> None:
        response = requests.post(
            url, data=body, headers={"Content-Type": content_type}, timeout=120
        )
        answers.append([r["result"] for r in response.json()["results"]])

    threads = [threading.Thread(target=post) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(answers) == 2
    assert all(r in ("accepted", "duplicate") for results in answers for r in results)
    assert _kept() == (4, 4, 4)


@pytest.mark.django_db
def test_a_batch_cut_before_its_commit_leaves_nothing_and_is_kept_whole_when_sent_again(
    province,
):
    """The receiver killed while keeping a batch: what it wrote was never committed (a
    killed PostgreSQL session rolls back; here the transaction is rolled back at the
    same point). The sender, without an answer, delivers the batch again: all kept once."""
    from django.db import transaction

    batch = _packages(province, 3)

    class Killed(Exception):
        pass

    with pytest.raises(Killed), transaction.atomic():
        services.receive_batch(batch)
        assert _kept() == (3, 3, 3)  # written, not committed
        raise Killed
    assert _kept() == (0, 0, 0)
    assert [o.as_dict()["result"] for o in services.receive_batch(batch)] == ["accepted"] * 3
    assert _kept() == (3, 3, 3)


@pytest.mark.django_db(transaction=True)
def test_the_worker_sends_packages_for_one_instance_together_then_their_01s_together(
    province, live_server, settings
):
    """Five documents for another instance (here: this one, reached over HTTP both
    ways): one request carries the five, the five 01s come back in one request."""
    from tinhso.accounts.models import User

    settings.EXCHANGE_WIRE_BATCH_PACKAGES = 8
    admin = User.objects.create_superuser("root", "root@example.vn", "Mat-khau-123!")
    for code in (RECEIVER, "000.00.10.H99"):
        services.save_endpoint(
            actor=admin,
            organ_id=code,
            name=code,
            kind="instance",
            url=f"{live_server.url}/api/v1/exchange/packages",
        )
    for i in range(5):
        doc = issued_document(province.sender, f"Văn bản gửi cùng lượt {i}")
        documents.dispatch_outgoing(
            actor=province.sender.clerk, document=doc, external=[("Sở Tài chính", RECEIVER)]
        )
    requests_seen: list[int] = []
    original = services.receive_batch

    def counting(raws, *, channel="http"):
        requests_seen.append(len(raws))
        return original(raws, channel=channel)

    services.receive_batch = counting  # counts the requests; the storage is the real one
    try:
        counts = deliver_due()
    finally:
        services.receive_batch = original
    assert counts == {"delivered": 10}
    assert requests_seen == [5, 5]  # the documents, then their 01s
    assert set(Transmission.objects.values_list("status", flat=True)) == {"01"}
    assert not claim_batch(10)  # nothing left
