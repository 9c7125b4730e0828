"""Pages: the receiving queue with the signature check, accept / refuse, the sender's
per-receiver states on the outgoing document, and the administrator's pages."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tinhso.accounts.models import Role
from tinhso.documents import services as documents
from tinhso.exchange.models import InboxItem, OutboxMessage, Transmission
from tinhso.exchange.tasks import deliver_due

from .conftest import issued_document

pytestmark = pytest.mark.django_db


def _login(client, user):
    client.force_login(user)
    session = client.session
    session["tinhso_2fa_ok"] = True
    session.save()
    return client


def _sent(province):
    doc = issued_document(province.sender)
    documents.dispatch_outgoing(
        actor=province.sender.clerk, document=doc, external=[("Sở Tài chính", "000.00.20.H99")]
    )
    deliver_due()
    return doc


def test_receiving_clerk_sees_the_queue_with_signature_and_accepts(client, province):
    doc = _sent(province)
    _login(client, province.receiver.clerk)
    page = client.get(reverse("exchange:home"))
    assert page.status_code == 200 and doc.number_notation in page.content.decode()
    item = InboxItem.objects.get(kind="document")
    detail = client.get(reverse("exchange:item", args=[item.uid])).content.decode()
    assert "chứng thư tin cậy" in detail and "nguyên vẹn" in detail
    pdf = client.get(reverse("exchange:item_file", args=[item.uid, 0]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    client.post(reverse("exchange:accept", args=[item.uid]))
    item.refresh_from_db()
    assert item.state == "accepted" and item.incoming.arrival_number == 1
    deliver_due()
    _login(client, province.sender.clerk)
    outgoing = client.get(reverse("documents:outgoing", args=[doc.uid])).content.decode()
    assert "Đã tiếp nhận" in outgoing
    assert Transmission.objects.get(outgoing=doc).status == "03"


def test_refuse_without_reason_changes_nothing_and_with_reason_sends_02(client, province):
    _sent(province)
    item = InboxItem.objects.get(kind="document")
    _login(client, province.receiver.clerk)
    client.post(reverse("exchange:refuse", args=[item.uid]), {"reason": ""})
    item.refresh_from_db()
    assert item.state == "arrived"
    client.post(reverse("exchange:refuse", args=[item.uid]), {"reason": "Không đúng thẩm quyền"})
    item.refresh_from_db()
    assert item.state == "refused"


def test_other_agencies_do_not_see_the_package(client, province):
    _sent(province)
    item = InboxItem.objects.get(kind="document")
    _login(client, province.sender.specialist)
    assert client.get(reverse("exchange:item", args=[item.uid])).status_code == 404
    assert client.post(reverse("exchange:accept", args=[item.uid])).status_code == 404


def test_sender_revokes_from_the_document_page(client, province):
    doc = _sent(province)
    _login(client, province.sender.clerk)
    assert client.get(reverse("exchange:document", args=[doc.uid])).status_code == 200
    client.post(
        reverse("exchange:business", args=[doc.uid]), {"action": "revoke", "reason": "Sai sót"}
    )
    assert Transmission.objects.filter(business_type=1).count() == 1


def test_admin_pages_list_filter_and_retry_dead_letters(client, province, django_user_model):
    from tinhso.accounts import services as accounts

    _sent(province)
    admin = accounts.create_official(
        username="qt", full_name="Quản Trị", email="qt@example.vn", password="Mat-khau-123!"
    )
    accounts.grant_role(user=admin, agency=province.sender.agency, role=Role.PLATFORM_ADMIN)
    message = OutboxMessage.objects.filter(kind="document").first()
    OutboxMessage.objects.filter(pk=message.pk).update(state="dead", last_error="HTTP 503")
    _login(client, admin)
    for name in ("outbox", "inbox", "endpoints", "statistics"):
        assert client.get(reverse(f"exchange:{name}")).status_code == 200, name
    dead = client.get(reverse("exchange:outbox") + "?state=dead").content.decode()
    assert "HTTP 503" in dead
    counts = dead[dead.index('data-testid="outbox-counts"') :]
    counts = counts[: counts.index("</p>")]
    # each state with its own count (a state with none says 0), never the whole tally
    assert (
        "Chờ gửi: <strong>0</strong>" in counts
        and "Gửi thất bại (hàng lỗi): <strong>1</strong>" in counts
    )
    assert "{" not in counts
    client.post(reverse("exchange:retry", args=[message.uid]))
    message.refresh_from_db()
    assert message.state in ("pending", "delivered")
    client.post(
        reverse("exchange:endpoints"),
        {"organ_id": "H98", "name": "Tỉnh Lam Hà", "kind": "instance", "url": "http://x.vn/a"},
    )
    assert client.get(reverse("exchange:endpoints")).content.decode().count("H98") >= 1
    stats = client.get(reverse("exchange:statistics")).content.decode()
    assert "100.0 %" in stats or "100,0 %" in stats


def test_clerks_are_refused_the_admin_pages(client, province):
    _login(client, province.sender.clerk)
    assert client.get(reverse("exchange:outbox")).status_code == 403


def test_receiving_clerk_sees_on_the_incoming_document_that_the_sender_revoked_it(client, province):
    from tinhso.exchange import services

    doc = _sent(province)
    services.accept_item(
        actor=province.receiver.clerk,
        item=InboxItem.objects.get(kind="document", state="arrived"),
    )
    deliver_due()
    incoming = InboxItem.objects.get(kind="document", business_type=0).incoming
    _login(client, province.receiver.clerk)
    url = reverse("documents:incoming", args=[incoming.uid])
    assert "exchange-notice" not in client.get(url).content.decode()
    services.revoke_document(actor=province.sender.clerk, document=doc, reason="Ban hành sai")
    deliver_due()
    services.accept_item(
        actor=province.receiver.clerk,
        item=InboxItem.objects.get(kind="document", business_type=1),
    )
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        page = client.get(url).content.decode()
    assert "exchange-notice" in page
    assert "Cơ quan gửi đã thu hồi văn bản này." in page and "Ban hành sai" in page
    # the notice reads the package's state and reason, not its bytes (a package is
    # 100-250 KB: reading it cost the page ~5 ms of CPU)
    notice = [
        q["sql"] for q in captured.captured_queries if 'FROM "exchange_inboxitem"' in q["sql"]
    ]
    assert len(notice) == 1 and "payload" not in notice[0]


def test_each_receivers_state_is_a_coloured_badge_on_the_outgoing_documents_own_page(
    client, province
):
    """The documents app's page loads no stylesheet of this app: the badge's colour is
    Bootstrap's own (a badge coloured by a missing stylesheet was white on white)."""
    import re

    doc = _sent(province)
    _login(client, province.sender.clerk)
    page = client.get(reverse("documents:outgoing", args=[doc.uid])).content.decode()
    cell = page[page.index('data-testid="status-000.00.20.H99-0"') :]
    cell = cell[: cell.index("</td>")]
    badge = re.search(r'<span class="badge ([^"]+)">([^<]+)</span>', cell)
    assert badge is not None, cell
    assert badge.group(1) == "text-bg-primary" and badge.group(2).strip()
