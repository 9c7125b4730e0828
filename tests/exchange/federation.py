"""Steps of the two-instance federation test, run inside one instance's environment:
`python -m tests.exchange.federation <step> [args]` with that instance's DATABASE_URL
and TINHSO_VAR_DIR. Each step prints one JSON object. Also used by
benchmarks/exchange.py."""

from __future__ import annotations

import json
import os
import sys

import django


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tinhso.settings")
    django.setup()


def seed(province: str, name: str) -> dict:
    """Two agencies of the province (codes 000.00.10.<P> and 000.00.20.<P>) with their
    officials, the instance's demo CA and each agency's seal certificate."""
    from tests.documents.conftest import make_office
    from tinhso.accounts.models import User
    from tinhso.signing import ca as x
    from tinhso.signing.models import Certificate
    from tinhso.signing.services import ensure_demo_ca, issue_certificate

    root, issuing = ensure_demo_ca()
    prefix = province.lower()
    for unit, short in (("10", "STTTT"), ("20", "STC")):
        office = make_office(f"{province}.{unit}", f"{short} {name}", short, f"{prefix}{unit}")
        office.agency.legacy_code = f"000.00.{unit}.{province}"
        office.agency.save()
        if not Certificate.objects.filter(owner_agency=office.agency).exists():
            issue_certificate(ca=issuing, kind="agency", owner_agency=office.agency)
    if not User.objects.filter(username="root").exists():
        User.objects.create_superuser("root", "root@example.vn", "Mat-khau-123!")
    del x
    return {"ca_pem": root.certificate_pem + issuing.certificate_pem}


def trust(pem_file: str) -> dict:
    from tinhso.signing.models import CACertificate
    from tinhso.signing.services import import_ca_certificates

    with open(pem_file, "rb") as handle:
        data = handle.read()
    from tinhso.signing import ca as x

    new = []
    for cert in x.load_certificates(data):
        if not CACertificate.objects.filter(fingerprint_sha256=x.fingerprint(cert)).exists():
            new.append(x.to_pem(cert))
    if new:
        import_ca_certificates(data="".join(new).encode())
    return {"anchors": CACertificate.objects.filter(is_trust_anchor=True).count()}


def endpoint(code: str, url: str) -> dict:
    from tinhso.accounts.models import User
    from tinhso.exchange.services import save_endpoint

    e = save_endpoint(
        actor=User.objects.get(username="root"), organ_id=code, name=code, kind="instance", url=url
    )
    return {"endpoint": e.organ_id}


def _office(unit: str):
    from tinhso.accounts.models import User
    from tinhso.directory.models import Agency

    agency = Agency.objects.get(legacy_code__startswith=f"000.00.{unit}.")

    class Office:
        pass

    office = Office()
    office.agency = agency  # type: ignore[attr-defined]
    prefix = agency.code.split(".")[0].lower() + unit
    for role in ("clerk", "leader", "specialist"):
        setattr(office, role, User.objects.get(username=f"{prefix}_{role}"))
    return office


def dispatch(receiver_code: str, count: str = "1") -> dict:
    """`count` documents, each issued then dispatched to `receiver_code` at once (one
    after the other: the latency benchmark times each from its dispatch)."""
    uids = []
    for i in range(int(count)):
        uids += dispatch_issued(receiver_code, *issue("1", str(i + 1))["documents"])["documents"]
    return {"documents": uids}


def issue(count: str = "1", first: str = "1") -> dict:
    """`count` documents drafted, signed, numbered and sealed (not dispatched); their
    subjects numbered from `first`."""
    from tests.exchange.conftest import issued_document

    office = _office("10")
    uids = []
    for i in range(int(first), int(first) + int(count)):
        doc = issued_document(office, f"Về việc liên thông giữa hai tỉnh, văn bản {i}")
        uids.append(str(doc.uid))
    return {"documents": uids}


def dispatch_issued(receiver_code: str, *uids: str) -> dict:
    from tinhso.documents import services as documents
    from tinhso.documents.models import OutgoingDocument

    office = _office("10")
    by_uid = {str(d.uid): d for d in OutgoingDocument.objects.filter(uid__in=uids)}
    for uid in uids:
        documents.dispatch_outgoing(
            actor=office.clerk,
            document=by_uid[uid],
            external=[("Nơi nhận tỉnh bạn", receiver_code)],
        )
    return {"documents": list(uids)}


def inbox() -> dict:
    from tinhso.documents.models import IncomingDocument
    from tinhso.exchange.models import InboxItem

    items = InboxItem.objects.filter(kind="document").order_by("id")
    return {
        "items": [
            {
                "document_id": i.document_id,
                "business_type": i.business_type,
                "state": i.state,
                "trusted": i.signature.get("trusted"),
            }
            for i in items
        ],
        "incoming": IncomingDocument.objects.count(),
    }


def handle_all() -> dict:
    """The receiving clerk accepts everything that arrived; the leader assigns, the
    specialist handles and finishes (04, 05, 06 go back by themselves)."""
    from tinhso.documents import services as documents
    from tinhso.exchange import services
    from tinhso.exchange.models import InboxItem

    office = _office("20")
    done = 0
    for item in InboxItem.objects.filter(kind="document", state="arrived", business_type=0):
        item = services.accept_item(actor=office.clerk, item=item)
        [lead] = documents.assign_incoming(
            actor=office.leader, document=item.incoming, lead=office.specialist
        )
        documents.add_note(actor=office.specialist, assignment=lead, text="Đang xử lý")
        documents.finish_assignment(actor=office.specialist, assignment=lead, result="Xong")
        done += 1
    return {"handled": done}


def accept_business() -> dict:
    from tinhso.exchange import services
    from tinhso.exchange.models import InboxItem

    office = _office("20")
    n = 0
    for item in InboxItem.objects.filter(kind="document", state="arrived").exclude(business_type=0):
        services.accept_item(actor=office.clerk, item=item)
        n += 1
    return {"accepted": n}


def status() -> dict:
    from tinhso.exchange.models import OutboxMessage, Transmission

    return {
        "transmissions": [
            {
                "document_id": t.document_id,
                "business_type": t.business_type,
                "status": t.status,
                "answer": t.answer,
                "events": sorted(t.events.values_list("status_code", flat=True)),
            }
            for t in Transmission.objects.order_by("id")
        ],
        "outbox": {
            s: OutboxMessage.objects.filter(state=s).count()
            for s in ("pending", "sending", "delivered", "dead")
        },
    }


def revoke(uid: str) -> dict:
    from tinhso.documents.models import OutgoingDocument
    from tinhso.exchange import services

    office = _office("10")
    document = OutgoingDocument.objects.get(uid=uid)
    sent = services.revoke_document(actor=office.clerk, document=document, reason="Ban hành nhầm")
    return {"revoke": len(sent)}


STEPS = {
    "seed": seed,
    "trust": trust,
    "endpoint": endpoint,
    "dispatch": dispatch,
    "issue": issue,
    "dispatch_issued": dispatch_issued,
    "inbox": inbox,
    "handle_all": handle_all,
    "accept_business": accept_business,
    "status": status,
    "revoke": revoke,
}


if __name__ == "__main__":
    _setup()
    step, *args = sys.argv[1:]
    print(json.dumps(STEPS[step](*args), ensure_ascii=False))
