"""Write use-cases of the document exchange.

Sending: `send_document` (called by the documents dispatch hook) builds and signs one
package per outside receiver, records a `Transmission` and puts the package in the
outbox, in the dispatch's transaction; the worker delivers it (`tasks.deliver`).
Receiving: `receive_package` (the HTTP endpoint, or the local channel) checks everything
before writing anything, then, in one transaction, keeps the package once per idempotency
key and answers 01 (statuses update the sender's `Transmission`, forward only).
The receiving clerk `accept_item` (registers the document, answers 03) or `refuse_item`
(answers 02). `revoke_document` / `update_document` / `replace_document` send business
types 1/2/3, answered by `answer_business` (15/16) at the receiver.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from tinhso.accounts.rules import require
from tinhso.audit.services import record, record_many
from tinhso.core.binding import server_side_binding, update_rows
from tinhso.core.errors import DomainError, InvalidTransition, NotFound, ValidationFailed
from tinhso.exchange import conf, edxml
from tinhso.exchange.errors import (
    DuplicateConflict,
    E,
    PackageRefused,
    SignatureRefused,
    UnknownAgency,
)
from tinhso.exchange.models import (
    STATUS_RANK,
    BusinessType,
    Endpoint,
    InboxItem,
    OutboxMessage,
    StatusEvent,
    Transmission,
)

logger = logging.getLogger(__name__)

STATUS_TEXT = {
    "01": "Đã đến",
    "02": "Từ chối tiếp nhận",
    "03": "Đã tiếp nhận",
    "04": "Đã phân công",
    "05": "Đang xử lý",
    "06": "Hoàn thành",
    "13": "Đề nghị thu hồi",
    "15": "Đồng ý thu hồi/cập nhật/thay thế",
    "16": "Từ chối thu hồi/cập nhật/thay thế",
}


# ---------------------------------------------------------------------------- addressing
@dataclass
class Route:
    kind: str  # Endpoint.Kind
    endpoint: Endpoint | None = None
    agency: Any = None  # the local agency (kind local)
    url: str = ""
    token: str = ""


def local_agency(organ_id: str) -> Any:
    from tinhso.directory.models import Agency

    code = (organ_id or "").strip().upper()
    if not code:
        return None
    # One query for both forms (a package carries the QCVN 102 code, the directory may
    # know the agency by either); the QCVN 102 one wins, as before.
    found = list(Agency.objects.filter(Q(legacy_code=code) | Q(code=code))[:2])
    return next((a for a in found if a.legacy_code == code), None) or next(
        (a for a in found if a.code == code), None
    )


def local_agencies(organ_ids: list[str]) -> dict[str, Any]:
    """`local_agency` of several codes in one query: {normalised code: agency or None}."""
    from tinhso.directory.models import Agency

    codes = {(c or "").strip().upper() for c in organ_ids} - {""}
    found = (
        list(Agency.objects.filter(Q(legacy_code__in=codes) | Q(code__in=codes))) if codes else []
    )
    by_legacy = {a.legacy_code: a for a in found if a.legacy_code}
    by_code = {a.code: a for a in found}
    return {c: by_legacy.get(c) or by_code.get(c) for c in codes}


def organ_id_of(agency: Any) -> str:
    return agency.legacy_code or agency.code


def resolve(organ_id: str) -> Route:
    """Where packages for `organ_id` go: an address-book entry (the exact code, then its
    level-1 code: `H98` stands for every agency of that province), an agency of this
    instance, else the national axis when configured; otherwise `unknown_agency`."""
    code = (organ_id or "").strip().upper()
    entries = {e.organ_id: e for e in Endpoint.objects.filter(is_active=True)}
    level1 = code.rsplit(".", 1)[-1] if code else ""
    entry = entries.get(code) or entries.get(level1)
    if entry is not None and entry.kind != Endpoint.Kind.LOCAL:
        return Route(kind=entry.kind, endpoint=entry, url=entry.url, token=entry.token)
    agency = local_agency(code)
    if agency is not None:
        return Route(kind=Endpoint.Kind.LOCAL, endpoint=entry, agency=agency)
    axis = conf.axis_route()
    if axis is not None:
        return Route(kind=Endpoint.Kind.AXIS, url=axis.url)
    raise UnknownAgency(
        f"Không có mã định danh '{code[:35]}' trong danh bạ liên thông (cơ quan trong hệ "
        "thống, hệ thống tỉnh khác hay trục quốc gia)."
    )


def organ(agency: Any) -> edxml.Organ:
    return edxml.Organ(
        organ_id=organ_id_of(agency),
        name=agency.name,
        in_charge=agency.parent.name if agency.parent_id else "",
        address=agency.address or "",
        email=agency.email or "",
        telephone=agency.phone or "",
        website=agency.website or "",
    )


# ---------------------------------------------------------------------------- signing
def seal_key(agency: Any) -> tuple[Any, list[str]]:
    """The sending agency's seal certificate (signing app): its key and chain (PEM)."""
    from tinhso.signing.crypto import decrypt_private_key
    from tinhso.signing.errors import NoCertificate
    from tinhso.signing.models import Certificate
    from tinhso.signing.services.sign import select_certificate

    try:
        cert = select_certificate(owner_agency=agency)
    except NoCertificate as exc:
        raise ValidationFailed(
            f"{agency} chưa có chứng thư số cơ quan để ký gói tin liên thông.",
            code=E.NO_SEAL_CERTIFICATE,
        ) from exc
    if cert.storage != Certificate.Storage.SERVER or not cert.private_key_encrypted:
        raise ValidationFailed(
            "Chứng thư số cơ quan không ký được trên máy chủ (token/HSM chưa hỗ trợ ký gói tin).",
            code=E.NO_SEAL_CERTIFICATE,
        )
    # Decrypting and loading the key, and walking the chain, cost more than signing a
    # package: kept per certificate and encrypted key (a renewed or re-keyed certificate
    # is a new entry; the choice of certificate above is made afresh every time).
    cache_key = (cert.pk, hashlib.sha256(str(cert.private_key_encrypted).encode()).hexdigest())
    cached = _SEAL_KEYS.get(cache_key)
    if cached is not None:
        return cached
    key = decrypt_private_key(cert.private_key_encrypted)
    chain = [cert.certificate_pem]
    ca = cert.issuer_ca
    seen: set[int] = set()
    while ca is not None and ca.pk not in seen:
        seen.add(ca.pk)
        chain.append(ca.certificate_pem)
        ca = ca.issuer_ca
    if len(_SEAL_KEYS) > 1000:
        _SEAL_KEYS.clear()
    _SEAL_KEYS[cache_key] = (key, chain)
    return key, chain


_SEAL_KEYS: dict[tuple[int, str], tuple[Any, list[str]]] = {}


# ---------------------------------------------------------------------------- outbox
def _put_in_outbox(
    *,
    spec: dict[str, Any],
    kind: str,
    sender_agency: Any,
    receiver_code: str,
    route: Route | None,
    document_id: str,
    business_type: int = 0,
    status_code: str = "",
    transmission: Transmission | None = None,
    error: DomainError | None = None,
) -> OutboxMessage:
    """The package to deliver. It is built and signed by the worker on its first attempt
    (`PayloadBuilder`), then kept byte for byte for every retry. An address nobody knows
    goes straight to the dead-letter queue with the reason: the administrator adds the
    address-book entry and retries; the clerk's dispatch is never blocked by it."""
    message = OutboxMessage.objects.create(
        kind=kind,
        transmission=transmission,
        sender_agency=sender_agency,
        sender_code=organ_id_of(sender_agency),
        receiver_code=receiver_code,
        endpoint=route.endpoint if route else None,
        channel=route.kind if route else "",
        document_id=document_id,
        business_type=business_type,
        status_code=status_code,
        spec=spec,
        payload=b"",
        sha256="",
        state=OutboxMessage.State.DEAD if error else OutboxMessage.State.PENDING,
        last_error=f"{error.message} [{error.code}]" if error else "",
        last_error_code=str(error.code) if error else "",
    )
    from tinhso.exchange import tasks

    if error is None:
        transaction.on_commit(lambda: tasks.schedule(message.pk))
    else:
        tasks.notify_admins(message, message.last_error)
    return message


def _route_or_error(code: str) -> tuple[Route | None, DomainError | None]:
    try:
        return resolve(code), None
    except DomainError as exc:
        return None, exc


class PayloadBuilder:
    """Builds and signs the packages of outbox messages from their specs (DomainError
    when one cannot be: e.g. the agency has no seal certificate). For a claimed batch,
    the rows they are built from (the inbox items statuses answer, the outgoing
    documents, their latest files, the receivers of this instance) are read with one
    query per kind, each agency's seal key once."""

    def __init__(self, messages: list[OutboxMessage]) -> None:
        from tinhso.documents.models import DocumentFile, OutgoingDocument

        built = [m for m in messages if not m.payload]
        todo = [m.spec or {} for m in built]
        self.items = (
            InboxItem.objects.select_related("agency__parent")
            .defer("payload", "signature", "pdf_check")  # the package itself is not needed
            .in_bulk([spec["item"] for spec in todo if spec.get("type") == "status"])
        )
        self.sources = OutgoingDocument.objects.select_related(
            "agency__parent", "agency__admin_unit", "signer"
        ).in_bulk([spec["source"] for spec in todo if spec.get("type") != "status"])
        # The latest file of each document (as `OutgoingDocument.latest_file`): the first
        # by version then id, newest first.
        self.files: dict[int | None, Any] = {}
        for file in DocumentFile.objects.filter(outgoing_id__in=list(self.sources)).order_by(
            "outgoing_id", "-version", "-id"
        ):
            self.files.setdefault(file.outgoing_id, file)
        self.receivers = local_agencies(
            [m.receiver_code for m in built if (m.spec or {}).get("type") != "status"]
        )
        self._keys: dict[int, tuple[Any, list[str]]] = {}

    def _sign(self, agency: Any, package: edxml.Package) -> bytes:
        if agency.pk not in self._keys:
            self._keys[agency.pk] = seal_key(agency)
        key, chain = self._keys[agency.pk]
        return edxml.write(package, private_key=key, chain_pem=chain)

    def build(self, message: OutboxMessage) -> bytes:
        spec = message.spec or {}
        if spec.get("type") == "status":
            item = self.items.get(spec["item"]) or InboxItem.objects.select_related(
                "agency__parent"
            ).defer("payload", "signature", "pdf_check").get(pk=spec["item"])
            return self._sign(item.agency, _status_package(item, spec))
        source = self.sources.get(spec["source"])
        if source is None:
            from tinhso.documents.models import OutgoingDocument

            source = OutgoingDocument.objects.select_related(
                "agency__parent", "agency__admin_unit", "signer"
            ).get(pk=spec["source"])
            latest = source.latest_file
        else:
            latest = self.files.get(source.pk)
        code = (message.receiver_code or "").strip().upper()
        agency = self.receivers[code] if code in self.receivers else local_agency(code)
        to = organ(agency) if agency is not None else None
        return self._sign(
            source.agency, _business_package(message, source, spec, latest=latest, to=to)
        )


def _status_package(item: InboxItem, spec: dict[str, Any]) -> edxml.StatusPackage:
    _sender, date, number = edxml.parse_document_id(item.document_id)
    return edxml.StatusPackage(
        response_for=edxml.ResponseFor(
            organ_id=item.sender_code,
            document_id=item.document_id,
            code=number,
            promulgation_date=date,
        ),
        sender=organ(item.agency),
        status_code=spec["code"],
        description=spec.get("description", "")[:2000],
        timestamp=timezone.now(),
        staff=edxml.Staff(staff=spec["staff"][:255]) if spec.get("staff") else None,
        traces=[edxml.Trace(organ_id=organ_id_of(item.agency), timestamp=timezone.now())],
    )


def _business_package(
    message: OutboxMessage,
    source: Any,
    spec: dict[str, Any],
    *,
    latest: Any,
    to: edxml.Organ | None,
) -> edxml.DocumentPackage:
    """`latest`: the document's latest file; `to`: the receiver when it is an agency of
    this instance (else the code and name the message was addressed with)."""
    if to is None:
        to = edxml.Organ(organ_id=message.receiver_code, name=spec.get("name", ""))
    package = _document_package(source, to=[to], latest=latest)
    package.document_id = message.document_id
    business = spec.get("business")
    if business:
        if business["doc_type"] == BusinessType.REVOKE:
            package.attachments = []
        package.business = edxml.Business(
            doc_type=business["doc_type"],
            reason=business.get("reason", ""),
            document_info=business.get("document_info", ""),
            receivers=[edxml.ReceiverChange(1, c) for c in business.get("added", [])]
            + [edxml.ReceiverChange(0, c) for c in business.get("removed", [])],
            document_id=business["document_id"],
            staff=edxml.Staff(staff=business.get("staff", "")),
            replacements=[edxml.Replacement(business["document_id"], [message.receiver_code])]
            if business["doc_type"] == BusinessType.REPLACE
            else [],
        )
    return package


def _document_package(
    document: Any, *, to: list[edxml.Organ], latest: Any
) -> edxml.DocumentPackage:
    from tinhso.documents.services import read_file_bytes

    attachments = []
    if latest is not None:
        attachments.append(
            edxml.Attachment(
                name=latest.name,
                data=read_file_bytes(latest),
                content_type="application/pdf",
                description="Văn bản",
            )
        )
    signer = document.signer
    from tinhso.documents.models import DOC_TYPES

    return edxml.DocumentPackage(
        sender=organ(document.agency),
        to=to,
        number_notation=document.number_notation,
        promulgation_date=document.issued_on or timezone.localdate(),
        subject=document.subject,
        doc_type=document.doc_type,
        type_name=DOC_TYPES.get(document.doc_type, ("", ""))[1],
        place=(document.agency.admin_unit.name if document.agency.admin_unit_id else ""),
        signer_name=(signer.full_name if signer is not None else ""),
        priority=edxml.PRIORITY_OF_URGENCY.get(document.urgency, 0),
        page_amount=document.page_count,
        traces=[edxml.Trace(organ_id=organ_id_of(document.agency), timestamp=timezone.now())],
        attachments=attachments,
    )


def document_id_of(document: Any) -> str:
    return edxml.make_document_id(
        organ_id_of(document.agency),
        document.issued_on or timezone.localdate(),
        document.number_notation,
    )


def _check_code(code: str) -> str:
    from tinhso.directory.codes import InvalidAgencyCode, normalize_any

    try:
        return normalize_any(code)[1]
    except InvalidAgencyCode as exc:
        raise ValidationFailed(exc.message, code=E.INVALID_AGENCY_CODE) from exc


@transaction.atomic
def send_document(*, actor: Any, document: Any, recipients: list) -> list[Transmission]:
    """One signed package per outside recipient, in the outbox (delivered after commit)."""
    sent = []
    document_id = document_id_of(document)
    for recipient in recipients:
        code = (recipient.external_code or "").strip().upper()[:35]
        try:
            code = _check_code(code)
            route, error = _route_or_error(code)
        except DomainError as exc:
            route, error = None, exc
        transmission, created = Transmission.objects.get_or_create(
            document_id=document_id,
            receiver_code=code,
            business_type=BusinessType.NEW,
            defaults={
                "outgoing": document,
                "recipient": recipient,
                "sender_agency": document.agency,
                "receiver_name": recipient.name,
                "endpoint": route.endpoint if route else None,
                "channel": route.kind if route else "",
            },
        )
        if not created:
            continue  # the same receiver twice in one dispatch: one package
        _put_in_outbox(
            spec={"type": "document", "source": document.pk, "name": recipient.name},
            kind=OutboxMessage.Kind.DOCUMENT,
            sender_agency=document.agency,
            receiver_code=code,
            route=route,
            document_id=document_id,
            transmission=transmission,
            error=error,
        )
        sent.append(transmission)
    record(
        actor=actor,
        action="exchange.send",
        obj=document,
        agency=document.agency,
        summary={"receivers": [t.receiver_code for t in sent], "document_id": sent[0].document_id}
        if sent
        else {},
    )
    return sent


def _send_business(
    *,
    actor: Any,
    document: Any,
    business_type: int,
    reason: str,
    document_info: str = "",
    added: list[str] = (),  # type: ignore[assignment]
    removed: list[str] = (),  # type: ignore[assignment]
    replacement: Any = None,
) -> list[Transmission]:
    from tinhso.documents.services.common import require_visible

    require_visible(actor, document)
    require(actor, "documents.number", document)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("Vui lòng nêu lý do.", code=E.REASON_REQUIRED)
    originals = list(
        Transmission.objects.filter(outgoing=document, business_type=BusinessType.NEW)
        .exclude(status="02")
        .order_by("id")
    )
    if not originals:
        raise InvalidTransition(
            "Văn bản này chưa được gửi qua trục liên thông.", code=E.NOT_SENT_BY_EXCHANGE
        )
    added_codes = [_check_code(c) for c in added if c.strip()]
    removed_codes = [_check_code(c) for c in removed if c.strip()]
    source = replacement if replacement is not None else document
    if replacement is not None and not replacement.number_notation:
        raise ValidationFailed(
            "Văn bản thay thế phải đã được cấp số và ban hành.", code=E.INVALID_BUSINESS_TYPE
        )
    sent = []
    receivers: list[tuple[str, str, Transmission | None]] = [
        (t.receiver_code, t.receiver_name, t) for t in originals
    ]
    if business_type == BusinessType.UPDATE:
        receivers += [(c, c, None) for c in added_codes]
    related = originals[0].document_id
    document_id = related if business_type != BusinessType.REPLACE else document_id_of(source)
    business = {
        "doc_type": int(business_type),
        "reason": reason,
        "document_info": document_info,
        "added": added_codes,
        "removed": removed_codes,
        "document_id": related,
        "staff": (getattr(actor, "full_name", "") or str(actor))[:255],
    }
    for code, name, original in receivers:
        route, error = _route_or_error(code)
        if Transmission.objects.filter(
            document_id=document_id, receiver_code=code, business_type=business_type
        ).exists():
            raise InvalidTransition(
                "Yêu cầu này đã được gửi cho nơi nhận; không gửi lần hai.",
                code=E.ALREADY_DECIDED,
            )
        transmission = Transmission.objects.create(
            outgoing=source,
            sender_agency=document.agency,
            receiver_code=code,
            receiver_name=name,
            endpoint=route.endpoint if route else None,
            channel=route.kind if route else "",
            document_id=document_id,
            business_type=business_type,
            reason=reason,
            original=original,
        )
        _put_in_outbox(
            spec={"type": "document", "source": source.pk, "name": name, "business": business},
            kind=OutboxMessage.Kind.DOCUMENT,
            sender_agency=document.agency,
            receiver_code=code,
            route=route,
            document_id=document_id,
            business_type=business_type,
            transmission=transmission,
            error=error,
        )
        sent.append(transmission)
    record(
        actor=actor,
        action=f"exchange.{edxml.BUSINESS_TYPES[business_type]}",
        obj=document,
        agency=document.agency,
        summary={
            "reason": reason,
            "receivers": [t.receiver_code for t in sent],
            "replacement": str(replacement.uid) if replacement is not None else None,
        },
    )
    return sent


@transaction.atomic
def revoke_document(*, actor: Any, document: Any, reason: str) -> list[Transmission]:
    """Business type 1: ask every receiver to revoke the document (answered 15/16)."""
    return _send_business(
        actor=actor, document=document, business_type=BusinessType.REVOKE, reason=reason
    )


@transaction.atomic
def update_document(
    *,
    actor: Any,
    document: Any,
    reason: str,
    document_info: str = "",
    added: list[str] = (),  # type: ignore[assignment]
    removed: list[str] = (),  # type: ignore[assignment]
) -> list[Transmission]:
    """Business type 2: changed information and receivers (answered 15/16)."""
    return _send_business(
        actor=actor,
        document=document,
        business_type=BusinessType.UPDATE,
        reason=reason,
        document_info=document_info,
        added=list(added),
        removed=list(removed),
    )


@transaction.atomic
def replace_document(
    *, actor: Any, document: Any, replacement: Any, reason: str
) -> list[Transmission]:
    """Business type 3: `replacement` (an issued document) replaces `document`."""
    if replacement.pk == document.pk or replacement.agency_id != document.agency_id:
        raise ValidationFailed(
            "Văn bản thay thế phải là văn bản khác của cùng cơ quan.",
            code=E.INVALID_BUSINESS_TYPE,
        )
    return _send_business(
        actor=actor,
        document=document,
        business_type=BusinessType.REPLACE,
        reason=reason,
        replacement=replacement,
    )


# ---------------------------------------------------------------------------- receiving
@dataclass
class Received:
    result: str  # "accepted" | "duplicate"
    kind: str
    items: list[InboxItem] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "result": self.result,
            "kind": self.kind,
            "items": [str(item.uid) for item in self.items],
        }


@dataclass
class Outcome:
    """One package of a batch: kept (`received`), or refused (`error`, its stable code;
    nothing of that package was written)."""

    received: Received | None = None
    error: DomainError | None = None

    def as_dict(self) -> dict[str, Any]:
        if self.error is not None:
            return {"result": "refused", "status": self.error.status, **self.error.as_dict()}
        assert self.received is not None
        return self.received.as_dict()


def receive_package(raw: bytes, *, channel: str = "http") -> Received:
    """Everything a package must pass is checked before anything is written; then one
    transaction keeps it once (idempotency key) and answers 01 to the sender."""
    [outcome] = receive_batch([raw], channel=channel)
    if outcome.error is not None:
        raise outcome.error
    assert outcome.received is not None
    return outcome.received


def receive_batch(raws: list[bytes], *, channel: str = "http") -> list[Outcome]:
    """Several packages delivered together (another instance's outbox sends what it has
    for us in one request): one outcome per package, in order.

    Each package is read and checked on its own (structure, its own XML signature and
    certificate, addressing, PDF) before anything is written; a refused one gets its
    code and leaves nothing behind. The others are kept in one transaction for the
    documents and one for the statuses, with a few bulk statements instead of a dozen
    per package; each package still once per idempotency key (sender + DocumentId +
    business type + receiver), whether it comes twice in a batch, in two batches, or
    in two batches at the same time (the unique key refuses the second insert: the
    transaction is run again and finds it kept)."""
    outcomes: list[Outcome | None] = [None] * len(raws)
    lookups = _Lookups()
    arrivals: list[_Arrival] = []
    statuses: list[tuple[int, edxml.Parsed]] = []
    for index, raw in enumerate(raws):
        try:
            parsed = edxml.read(
                bytes(raw), max_bytes=conf.max_bytes(), trust_states=lookups.trust_states
            )
            if isinstance(parsed.package, edxml.StatusPackage):
                statuses.append((index, parsed))
            else:
                arrivals.append(_check_arrival(index, parsed, lookups))
        except DomainError as exc:
            outcomes[index] = Outcome(error=exc)
    if arrivals:
        for index, outcome in _retrying(lambda: _keep_documents(arrivals, channel)).items():
            outcomes[index] = outcome
    if statuses:
        for index, outcome in _retrying(lambda: _keep_statuses(statuses)).items():
            outcomes[index] = outcome
    assert all(o is not None for o in outcomes)
    return outcomes  # type: ignore[return-value]


def _retrying(keep: Any) -> dict[int, Outcome]:
    """Run `keep` in a transaction; when a concurrent delivery of the same package
    committed first (unique idempotency key), run it again: it now finds that package
    kept and answers `duplicate` for it."""
    for attempt in range(3):
        try:
            with transaction.atomic():
                return keep()
        except IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


class _Lookups:
    """The address book and the directory, read once per batch (not once per package)."""

    def __init__(self) -> None:
        self._routes: dict[str, Route | DomainError] = {}
        self._agencies: dict[str, Any] = {}
        self.trust_states: dict[str, tuple] = {}  # `edxml.check_trust`, per signer

    def route(self, organ_id: str) -> Route:
        code = (organ_id or "").strip().upper()
        if code not in self._routes:
            try:
                self._routes[code] = resolve(code)
            except DomainError as exc:
                self._routes[code] = exc
        found = self._routes[code]
        if isinstance(found, DomainError):
            raise found
        return found

    def agencies(self, organ_ids: list[str]) -> dict[str, Any]:
        codes = {(c or "").strip().upper() for c in organ_ids} - {""}
        missing = [c for c in codes if c not in self._agencies]
        if missing:
            self._agencies.update(local_agencies(missing))
        return {c: self._agencies.get(c) for c in codes}


@dataclass
class _Arrival:
    """A document package that passed every check, waiting to be kept."""

    index: int
    parsed: edxml.Parsed
    back: Route  # where its statuses go
    receivers: list[Any]  # agencies of this instance
    pdf_reports: list[dict]

    @property
    def package(self) -> edxml.DocumentPackage:
        assert isinstance(self.parsed.package, edxml.DocumentPackage)
        return self.parsed.package


def _check_signer_is_sender(parsed: edxml.Parsed, sender_agency: Any) -> None:
    """For a sender on this instance, the signature must be made with one of its own
    certificates (elsewhere, a certificate chaining to our trust anchors vouches)."""
    from tinhso.signing.models import Certificate

    if sender_agency is None or parsed.signature is None:
        return
    if not Certificate.objects.filter(
        owner_agency=sender_agency, fingerprint_sha256=parsed.signature.fingerprint_sha256
    ).exists():
        raise SignatureRefused(
            f"Gói tin không được ký bằng chứng thư số của {sender_agency}.",
            code=E.SIGNER_NOT_SENDER,
        )


def _main_pdf(package: edxml.DocumentPackage) -> edxml.Attachment | None:
    for att in package.attachments:
        if att.content_type.lower() == "application/pdf" or att.name.lower().endswith(".pdf"):
            return att
    return None


def _pdf_check(package: edxml.DocumentPackage, *, trust_state: tuple = ()) -> list[dict]:
    """The main PDF reads (documents' checks) and its signatures (signing's PAdES
    verification) are intact; the reports are kept for the receiving clerk.

    `trust_state`: the state of CRLs, CAs and revocations the package's XML signature
    was just checked in (`edxml.check_trust`); with it, each file's verdict is reused
    from `_PDF_VERDICTS` (see there)."""
    main = _main_pdf(package)
    if main is None:
        if package.business.doc_type in (BusinessType.REVOKE, BusinessType.UPDATE):
            return []
        raise PackageRefused("Gói tin không kèm tệp PDF của văn bản.", code=E.NO_MAIN_PDF)
    reports: list[dict] = []
    for att in package.attachments:
        if att is not main and not att.name.lower().endswith(".pdf"):
            continue
        reports.extend({"file": att.name, **report} for report in _pdf_verdict(att, trust_state))
    return reports


# The verdict on a PDF attachment (readable, no active content, its PAdES signatures
# intact, who signed, trusted, revoked) kept by the file's SHA-256 AND the trust state it
# was made in: the same signed PDF sent to many agencies of this instance (one package
# each) is checked once. A new CRL, a new or changed CA, or a certificate revoked here
# changes the trust state, so the next arrival is checked afresh (a CRL published later
# still counts at once); an entry lives PDF_VERDICT_SECONDS at most (a certificate's
# validity depends on the time). Only PDF verdicts are kept: the package's own XML
# signature is verified on every arrival, and a refused file is never kept.
_PDF_VERDICTS: dict[tuple[str, tuple], tuple[float, list[dict]]] = {}
PDF_VERDICT_SECONDS = 300.0
PDF_VERDICT_ENTRIES = 2000


def _pdf_verdict(att: edxml.Attachment, trust_state: tuple) -> list[dict]:
    import time

    key = (hashlib.sha256(att.data).hexdigest(), trust_state)
    if trust_state:
        cached = _PDF_VERDICTS.get(key)
        if cached is not None and cached[0] > time.monotonic():
            return [dict(report) for report in cached[1]]
    found = _check_pdf_file(att)
    if trust_state:
        if len(_PDF_VERDICTS) >= PDF_VERDICT_ENTRIES:
            _PDF_VERDICTS.clear()
        _PDF_VERDICTS[key] = (time.monotonic() + PDF_VERDICT_SECONDS, found)
    return [dict(report) for report in found]


def _check_pdf_file(att: edxml.Attachment) -> list[dict]:
    """One PDF attachment checked (documents' reading checks, signing's verification):
    its signature reports, or a refusal."""
    from tinhso.core.errors import DomainError
    from tinhso.documents.pdfs import read_pdf
    from tinhso.signing.selectors import verify_pdf

    try:
        info = read_pdf(att.data, text=False)  # the text is read at registration
        # A PDF without any signature field has no signature to verify: not parsed
        # a second time (by pyHanko) to find none.
        found = verify_pdf(att.data) if info.may_be_signed else []
    except DomainError as exc:
        raise PackageRefused(
            f"Tệp '{att.name[:80]}' không phải PDF hợp lệ hoặc đã bị hỏng ({exc.message}).",
            code=E.BROKEN_PDF,
        ) from exc
    except Exception as exc:  # noqa: BLE001 - a damaged PDF may break any reader
        raise PackageRefused(
            f"Tệp '{att.name[:80]}' không đọc được (PDF hỏng).", code=E.BROKEN_PDF
        ) from exc
    reports = []
    for report in found:
        if not report.intact or not report.valid:
            raise PackageRefused(
                f"Chữ ký số trong tệp '{att.name[:80]}' không còn nguyên vẹn: tệp đã bị "
                "thay đổi sau khi ký.",
                code=E.PDF_SIGNATURE_BROKEN,
            )
        reports.append(
            {
                "signer": report.signer_name,
                "agency": report.signer_agency,
                "intact": report.intact,
                "trusted": report.trusted,
                "revoked": report.revoked,
                "status": report.status,
                "summary": report.summary,
            }
        )
    return reports


def _key(*parts: Any) -> str:
    return "|".join(str(p) for p in parts)[:400]


def _check_arrival(index: int, parsed: edxml.Parsed, lookups: _Lookups) -> _Arrival:
    """Every check of a document package that needs no write: the sender known (where
    its statuses go) and, when it is an agency of ours, the signer; receivers of this
    instance; the PDF. Raises the refusal."""
    package = parsed.package
    assert isinstance(package, edxml.DocumentPackage)
    sender_code = package.sender.organ_id
    try:
        back = lookups.route(sender_code)  # where the statuses go (kept for the 01)
    except UnknownAgency as exc:
        raise UnknownAgency(
            f"Cơ quan gửi '{sender_code[:35]}' không có trong danh bạ liên thông: không biết "
            "trả trạng thái về đâu.",
            code=E.UNKNOWN_SENDER,
        ) from exc
    # The sender (when not already found by `resolve`) and every receiver: one query.
    known = lookups.agencies(
        [t.organ_id for t in package.to]
        + ([sender_code] if back.kind != Endpoint.Kind.LOCAL else [])
    )
    sender_agency = (
        back.agency
        if back.kind == Endpoint.Kind.LOCAL
        else known.get((sender_code or "").strip().upper())
    )
    _check_signer_is_sender(parsed, sender_agency)
    receivers = []
    for to in package.to:
        agency = known.get((to.organ_id or "").strip().upper())
        if agency is not None and agency.is_active and agency not in receivers:
            receivers.append(agency)
    if not receivers:
        codes = ", ".join(t.organ_id for t in package.to)[:120]
        raise UnknownAgency(
            f"Không có cơ quan nhận nào ({codes}) thuộc hệ thống này.", code=E.UNKNOWN_AGENCY
        )
    pdf_reports = _pdf_check(
        package, trust_state=parsed.signature.trust_state if parsed.signature else ()
    )
    return _Arrival(
        index=index, parsed=parsed, back=back, receivers=receivers, pdf_reports=pdf_reports
    )


def _keep_documents(arrivals: list[_Arrival], channel: str) -> dict[int, Outcome]:
    """Keep checked document packages (in the caller's transaction): the ones already
    kept are duplicates (or conflicts, when the content differs), the others are
    inserted together with their audit entries, their 01 answers and the clerks'
    notifications. A package refused here (conflict, unknown original) leaves nothing."""
    keys = {
        (a.index, agency.pk): _key(
            "document",
            a.package.sender.organ_id,
            a.package.document_id,
            a.package.business.doc_type,
            organ_id_of(agency),
        )
        for a in arrivals
        for agency in a.receivers
    }
    existing = {
        item.idempotency_key: item
        for item in InboxItem.objects.select_for_update()
        .defer("payload")  # read again only for a redelivery with other bytes
        .filter(idempotency_key__in=set(keys.values()))
    }
    taken: dict[str, tuple[InboxItem, edxml.Parsed]] = {}  # kept by this batch
    latest: dict[tuple[str, str, int | None], InboxItem] = {}  # originals kept by this batch
    outcomes: dict[int, Outcome] = {}
    created: list[tuple[_Arrival, InboxItem]] = []
    for arrival in arrivals:
        package, parsed = arrival.package, arrival.parsed
        sender_code, business = package.sender.organ_id, package.business.doc_type
        items: list[InboxItem] = []
        new: list[InboxItem] = []
        duplicates = 0
        try:
            for agency in arrival.receivers:
                key = keys[(arrival.index, agency.pk)]
                earlier = existing.get(key)
                if earlier is not None or key in taken:
                    same = (
                        _same_document(earlier, parsed)
                        if earlier is not None
                        else _same_content(taken[key][1].package, package)
                    )
                    if not same:
                        raise DuplicateConflict()
                    items.append(earlier or taken[key][0])
                    duplicates += 1
                    continue
                original = None
                if business != BusinessType.NEW:
                    original = latest.get(
                        (sender_code, package.business.document_id, agency.pk)
                    ) or _original(sender_code, package.business.document_id, agency)
                item = InboxItem(
                    idempotency_key=key,
                    kind=InboxItem.Kind.DOCUMENT,
                    agency=agency,
                    sender_code=sender_code,
                    sender_name=package.sender.name[:255],
                    receiver_code=organ_id_of(agency),
                    document_id=package.document_id,
                    business_type=business,
                    related_document_id=package.business.document_id,
                    number_notation=package.number_notation[:60],
                    subject=package.subject,
                    issued_on=package.promulgation_date,
                    payload=parsed.raw,
                    sha256=parsed.sha256,
                    size=len(parsed.raw),
                    signature=parsed.signature.as_dict() if parsed.signature else {},
                    pdf_check=arrival.pdf_reports,
                    reason=package.business.reason,
                    original=original,
                )
                items.append(item)
                new.append(item)
        except DomainError as exc:
            outcomes[arrival.index] = Outcome(error=exc)
            continue
        for item in new:
            taken[item.idempotency_key] = (item, parsed)
            if business in (BusinessType.NEW, BusinessType.REPLACE):
                latest[(sender_code, item.document_id, item.agency_id)] = item
            created.append((arrival, item))
        outcomes[arrival.index] = Outcome(
            received=Received(
                result="duplicate" if duplicates == len(items) else "accepted",
                kind="document",
                items=items,
            )
        )
    if created:
        _insert_items([item for _arrival, item in created])
        record_many(
            [
                dict(
                    actor=None,
                    action="exchange.receive",
                    obj=item,
                    agency=item.agency,
                    summary={
                        "sender": item.sender_code,
                        "document_id": item.document_id,
                        "business_type": item.business_type,
                        "channel": channel,
                        "signer": item.signature.get("common_name", ""),
                    },
                )
                for _arrival, item in created
            ]
        )
        _answer_arrived([(item, arrival.back) for arrival, item in created])
        _notify_clerks([item for _arrival, item in created])
    return outcomes


def _original(sender_code: str, document_id: str, agency: Any) -> InboxItem:
    """The document package a revoke/update/replace refers to (the latest one kept)."""
    original = (
        InboxItem.objects.filter(
            kind=InboxItem.Kind.DOCUMENT,
            sender_code=sender_code,
            document_id=document_id,
            agency=agency,
            business_type__in=[BusinessType.NEW, BusinessType.REPLACE],
        )
        .order_by("-id")
        .first()
    )
    if original is None:
        raise PackageRefused(
            f"Không có văn bản {document_id[:80]} đã nhận từ {sender_code} để thu "
            "hồi/cập nhật/thay thế.",
            code=E.UNKNOWN_DOCUMENT,
        )
    return original


def _insert_items(items: list[InboxItem]) -> None:
    """Bulk insert, in order; an item whose original is kept by the same batch goes in
    a later statement than that original (its key is known only once inserted)."""
    remaining = items
    while remaining:
        ready = [i for i in remaining if i.original is None or i.original.pk is not None]
        with server_side_binding():  # the packages' bytes as they are, not as literals
            InboxItem.objects.bulk_create(ready)
        remaining = [i for i in remaining if i.pk is None]


def _answer_arrived(arrived: list[tuple[InboxItem, Route]]) -> None:
    """Status 01 for each new arrival, into the outbox in one statement (built and
    signed by the worker, like every status)."""
    from tinhso.exchange import tasks

    messages = OutboxMessage.objects.bulk_create(
        [
            OutboxMessage(
                kind=OutboxMessage.Kind.STATUS,
                sender_agency=item.agency,
                sender_code=organ_id_of(item.agency),
                receiver_code=item.sender_code,
                endpoint=back.endpoint,
                channel=back.kind,
                document_id=item.document_id,
                business_type=item.business_type,
                status_code="01",
                spec={
                    "type": "status",
                    "item": item.pk,
                    "code": "01",
                    "description": "Đã đến",
                    "staff": "",
                },
                payload=b"",
                sha256="",
            )
            for item, back in arrived
        ]
    )
    first = messages[0].pk
    transaction.on_commit(lambda: tasks.schedule(first))


def _same_document(existing: InboxItem, parsed: edxml.Parsed) -> bool:
    """A redelivery re-signed by the sender (same fields and files, new signature bytes)
    is the same document; anything else under the same DocumentId is a conflict."""
    if existing.sha256 == parsed.sha256:
        return True
    try:
        before = edxml.read_unsigned(bytes(existing.payload), max_bytes=conf.max_bytes())
    except PackageRefused:
        return False
    return _same_content(before, parsed.package)


def _same_content(before: edxml.Package, after: edxml.Package) -> bool:
    assert isinstance(before, edxml.DocumentPackage) and isinstance(after, edxml.DocumentPackage)
    return (
        before.subject == after.subject
        and before.number_notation == after.number_notation
        and [hashlib.sha256(a.data).hexdigest() for a in before.attachments]
        == [hashlib.sha256(a.data).hexdigest() for a in after.attachments]
    )


NOTICE_ITEMS = 30  # arrivals listed by name in one notice; the others are counted


def _notify_clerks(items: list[InboxItem]) -> None:
    """Tell the clerks of each receiving agency: one notice per clerk for what arrived
    together (a batch from another instance is one e-mail listing its documents, not
    one e-mail and one delivery task per document)."""
    from tinhso.accounts.models import Role
    from tinhso.documents.services.common import users_with_role
    from tinhso.notify.services import notify_user

    arrived: dict[int | None, list[InboxItem]] = {}
    for item in items:
        arrived.setdefault(item.agency_id, []).append(item)
    for group in arrived.values():
        for clerk in users_with_role(group[0].agency, Role.CLERK)[:20]:
            if len(group) == 1:
                notify_user(
                    user=clerk,
                    template="exchange_arrived",
                    context={"user": clerk, "item": group[0]},
                    related_object=f"exchange.inboxitem:{group[0].uid}",
                )
                continue
            notify_user(
                user=clerk,
                template="exchange_arrived_many",
                context={
                    "user": clerk,
                    "count": len(group),
                    "items": group[:NOTICE_ITEMS],
                    "more": max(len(group) - NOTICE_ITEMS, 0),
                },
                related_object="exchange.inbox",
            )


def _keep_statuses(statuses: list[tuple[int, edxml.Parsed]]) -> dict[int, Outcome]:
    """Apply status packages (in the caller's transaction): the transmissions they
    answer read and locked in one query, each status kept once (idempotency key), the
    states moved forward in memory and written with one statement per table."""
    wanted = Q()
    for _index, parsed in statuses:
        status = parsed.package
        assert isinstance(status, edxml.StatusPackage)
        wanted |= Q(document_id=status.document_id, receiver_code=status.sender.organ_id)
    answered: dict[tuple[str, str], list[Transmission]] = {}
    for row in (
        Transmission.objects.filter(wanted)
        .select_related("sender_agency", "outgoing")
        .select_for_update(of=("self",))
        .order_by("id")  # locked in one order by every writer: no deadlock
    ):
        answered.setdefault((row.document_id, row.receiver_code), []).append(row)
    found: list[tuple[int, edxml.Parsed, Transmission | None, str]] = []
    for index, parsed in statuses:
        status = parsed.package
        assert isinstance(status, edxml.StatusPackage)
        code, receiver_code = status.status_code, status.sender.organ_id
        candidates = [
            t
            for t in answered.get((status.document_id, receiver_code), [])
            if (
                t.business_type != BusinessType.NEW  # 15/16 answer a revoke/update/replace
                if code in ("15", "16")
                else t.business_type in (BusinessType.NEW, BusinessType.REPLACE)
            )
        ]
        transmission = candidates[-1] if candidates else None  # the latest
        key = (
            _key("status", receiver_code, status.document_id, transmission.business_type, code)
            if transmission is not None
            else ""
        )
        found.append((index, parsed, transmission, key))
    existing = {
        item.idempotency_key: item
        for item in InboxItem.objects.filter(
            idempotency_key__in=[key for *_rest, key in found if key]
        ).only("id", "uid", "idempotency_key")
    }
    outcomes: dict[int, Outcome] = {}
    items: list[InboxItem] = []
    events: list[StatusEvent] = []
    audits: list[dict[str, Any]] = []
    changed: dict[int, Transmission] = {}
    for index, parsed, transmission, key in found:
        status = parsed.package
        assert isinstance(status, edxml.StatusPackage)
        code, receiver_code = status.status_code, status.sender.organ_id
        if transmission is None:
            outcomes[index] = Outcome(
                error=PackageRefused(
                    f"Trạng thái {code} cho văn bản {status.document_id[:80]} không khớp gói "
                    f"tin nào đã gửi cho {receiver_code}.",
                    code=E.STATUS_FOR_UNSENT,
                )
            )
            continue
        if key in existing:
            outcomes[index] = Outcome(
                received=Received(result="duplicate", kind="status", items=[existing[key]])
            )
            continue
        item = InboxItem(
            idempotency_key=key,
            kind=InboxItem.Kind.STATUS,
            agency=transmission.sender_agency,
            sender_code=receiver_code,
            sender_name=status.sender.name[:255],
            receiver_code=organ_id_of(transmission.sender_agency),
            document_id=status.document_id,
            business_type=transmission.business_type,
            status_code=code,
            payload=parsed.raw,
            sha256=parsed.sha256,
            size=len(parsed.raw),
            signature=parsed.signature.as_dict() if parsed.signature else {},
            state=InboxItem.State.APPLIED,
            reason=status.description,
        )
        existing[key] = item  # the same status twice in one batch: kept once
        items.append(item)
        applied = _advance(transmission, status)
        if applied:
            changed[transmission.pk] = transmission
        events.append(
            StatusEvent(
                transmission=transmission,
                status_code=code,
                description=status.description,
                staff=(status.staff.staff if status.staff else "")[:255],
                reported_at=status.timestamp,
                applied=applied,
            )
        )
        audits.append(
            dict(
                actor=None,
                action="exchange.status",
                obj=transmission.outgoing or item,
                agency=transmission.sender_agency,
                summary={
                    "receiver": receiver_code,
                    "document_id": status.document_id,
                    "status": code,
                    "applied": applied,
                },
            )
        )
        outcomes[index] = Outcome(received=Received(result="accepted", kind="status", items=[item]))
    if items:
        with server_side_binding():  # the packages' bytes as they are, not as literals
            InboxItem.objects.bulk_create(items)
        if changed:
            update_rows(
                list(changed.values()),
                [
                    "status",
                    "status_description",
                    "status_at",
                    "answer",
                    "answer_description",
                    "updated_at",
                ],
            )
        # Once per (transmission, code): the unique constraint makes a repeat a no-op.
        StatusEvent.objects.bulk_create(events, ignore_conflicts=True)
        record_many(audits)
    return outcomes


def _advance(transmission: Transmission, status: edxml.StatusPackage) -> bool:
    """Move the sender's view of a receiver (in memory; the caller writes it): only
    forward (01 → 03 → 04 → 05 → 06; 02 ends it, and only before acceptance); 15/16
    are the answer to a revoke/update/replace. Whether it moved."""
    code = status.status_code
    if code in ("15", "16"):
        if transmission.answer:
            return False
        transmission.answer = code
        transmission.answer_description = status.description
    elif code in STATUS_RANK:
        current, new = transmission.rank, STATUS_RANK[code]
        if not (new > current and (code != "02" or current <= STATUS_RANK["01"])):
            return False
        transmission.status = code
        transmission.status_description = status.description
        transmission.status_at = status.timestamp
    else:
        return False
    transmission.updated_at = timezone.now()
    return True


def _send_status(
    *,
    item: InboxItem,
    status_code: str,
    description: str = "",
    actor: Any = None,
    route: Route | None = None,
    first: bool = False,
) -> OutboxMessage | None:
    """Answer the sender of `item` with a signed status package (once per code).
    `route`: the sender's address, when the caller has just resolved it. `first`: the
    item was created in this transaction (its first answer: none can exist yet, the
    one per code check is skipped; the item's idempotency key is the same identity)."""
    if (
        not first
        and OutboxMessage.objects.filter(
            kind=OutboxMessage.Kind.STATUS,
            sender_agency=item.agency,
            document_id=item.document_id,
            receiver_code=item.sender_code,
            business_type=item.business_type,
            status_code=status_code,
        ).exists()
    ):
        return None
    error = None
    if route is None:
        route, error = _route_or_error(item.sender_code)
    spec = {
        "type": "status",
        "item": item.pk,
        "code": status_code,
        "description": (description or STATUS_TEXT.get(status_code, ""))[:2000],
        "staff": (getattr(actor, "full_name", "") or "")[:255] if actor else "",
    }
    return _put_in_outbox(
        spec=spec,
        error=error,
        kind=OutboxMessage.Kind.STATUS,
        sender_agency=item.agency,
        receiver_code=item.sender_code,
        route=route,
        document_id=item.document_id,
        business_type=item.business_type,
        status_code=status_code,
    )


# ---------------------------------------------------------------------------- the clerk
def _lock_item(item: InboxItem) -> InboxItem:
    locked = InboxItem.objects.select_for_update().filter(pk=item.pk).first()
    if locked is None or locked.kind != InboxItem.Kind.DOCUMENT:
        raise NotFound("Không tìm thấy gói tin.", code=E.NOT_A_DOCUMENT_PACKAGE)
    return locked


def _require_receiver(actor: Any, item: InboxItem) -> None:
    from tinhso.accounts.rules import can

    if not can(actor, "exchange.view_agency", item.agency):
        raise NotFound("Không tìm thấy gói tin.")
    require(actor, "exchange.receive", item.agency)


def _expect_arrived(item: InboxItem) -> None:
    if item.state != InboxItem.State.ARRIVED:
        raise InvalidTransition(
            f"Gói tin đã được xử lý ({item.get_state_display().lower()}).",
            code=E.ALREADY_DECIDED,
        )


@transaction.atomic
def accept_item(*, actor: Any, item: InboxItem) -> InboxItem:
    """Register the document (arrival number, documents app) and answer 03; for a
    revoke/update/replace, apply it and answer 15."""
    item = _lock_item(item)
    _require_receiver(actor, item)
    _expect_arrived(item)
    now = timezone.now()
    if item.business_type in (BusinessType.REVOKE, BusinessType.UPDATE):
        original = item.original
        if original is not None and item.business_type == BusinessType.REVOKE:
            original.state = InboxItem.State.REVOKED
            original.reason = item.reason
            original.save(update_fields=["state", "reason", "updated_at"])
        item.state = InboxItem.State.ACCEPTED
        item.decided_by, item.decided_at = actor, now
        item.save(update_fields=["state", "decided_by", "decided_at", "updated_at"])
        _send_status(item=item, status_code="15", actor=actor)
        record(
            actor=actor,
            action="exchange.accept_business",
            obj=item,
            agency=item.agency,
            summary={"business_type": item.business_type, "document_id": item.related_document_id},
        )
        return item
    incoming = _register(actor=actor, item=item)
    item.state = InboxItem.State.ACCEPTED
    item.incoming = incoming
    item.decided_by, item.decided_at = actor, now
    item.save(update_fields=["state", "incoming", "decided_by", "decided_at", "updated_at"])
    _send_status(
        item=item,
        status_code="03",
        description=f"Đã tiếp nhận, số đến {incoming.arrival_number}",
        actor=actor,
    )
    if item.business_type == BusinessType.REPLACE and item.original is not None:
        original = item.original
        original.state = InboxItem.State.REPLACED
        original.replaced_by = item
        original.save(update_fields=["state", "replaced_by", "updated_at"])
        _send_status(item=item, status_code="15", actor=actor)
    record(
        actor=actor,
        action="exchange.accept",
        obj=item,
        agency=item.agency,
        summary={
            "document_id": item.document_id,
            "arrival_number": incoming.arrival_number,
            "incoming": str(incoming.uid),
        },
    )
    return item


def _register(*, actor: Any, item: InboxItem) -> Any:
    from tinhso.documents.models import IncomingDocument
    from tinhso.documents.services import register_incoming

    package = edxml.read_unsigned(bytes(item.payload), max_bytes=conf.max_bytes())
    assert isinstance(package, edxml.DocumentPackage)
    main = _main_pdf(package)
    others = [
        (a.name, a.data)
        for a in package.attachments
        if a is not main and a.name.lower().endswith(".pdf")
    ]
    today = timezone.localdate()
    return register_incoming(
        actor=actor,
        agency=item.agency,
        pdf=main.data if main else None,
        filename=main.name if main else "van-ban.pdf",
        sender_agency=local_agency(item.sender_code),
        sender_name=package.sender.name or item.sender_code,
        number_notation=package.number_notation,
        issued_on=min(package.promulgation_date, today),
        doc_type=package.doc_type,
        subject=package.subject,
        urgency=package.urgency,
        deadline=package.due_date if package.due_date and package.due_date >= today else None,
        source=IncomingDocument.Source.EXCHANGE,
        allow_duplicate=True,
        attachments=others,
    )


@transaction.atomic
def refuse_item(*, actor: Any, item: InboxItem, reason: str) -> InboxItem:
    """Refuse what arrived, with a reason: 02 for a document, 16 for revoke/update/replace."""
    item = _lock_item(item)
    _require_receiver(actor, item)
    _expect_arrived(item)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("Vui lòng nêu lý do từ chối.", code=E.REASON_REQUIRED)
    item.state = InboxItem.State.REFUSED
    item.reason = reason[:2000]
    item.decided_by, item.decided_at = actor, timezone.now()
    item.save(update_fields=["state", "reason", "decided_by", "decided_at", "updated_at"])
    code = "16" if item.business_type in (BusinessType.REVOKE, BusinessType.UPDATE) else "02"
    _send_status(item=item, status_code=code, description=reason, actor=actor)
    if item.business_type == BusinessType.REPLACE:
        _send_status(item=item, status_code="16", description=reason, actor=actor)
    record(
        actor=actor,
        action="exchange.refuse",
        obj=item,
        agency=item.agency,
        summary={"document_id": item.document_id, "reason": reason[:200], "status": code},
    )
    return item


def report_progress(*, incoming: Any, status_code: str, actor: Any = None) -> None:
    """documents' assign / handle / finish of a document that came over the exchange:
    04 / 05 / 06 to its sender (each once; called inside the documents transaction)."""
    items = InboxItem.objects.filter(
        incoming=incoming, kind=InboxItem.Kind.DOCUMENT, state=InboxItem.State.ACCEPTED
    )
    for item in items:
        if status_code == "06":
            _send_status(item=item, status_code="05", actor=actor)  # completed implies it
        _send_status(item=item, status_code=status_code, actor=actor)


# ---------------------------------------------------------------------------- the admin
@transaction.atomic
def save_endpoint(
    *,
    actor: Any,
    organ_id: str,
    name: str,
    kind: str,
    url: str = "",
    token: str = "",
    is_active: bool = True,
    endpoint: Endpoint | None = None,
) -> Endpoint:
    """Create or change an address-book entry (full QCVN 102 code, or a level-1 code)."""
    from tinhso.directory.codes import LEGACY_RE

    require(actor, "exchange.admin")
    code = (organ_id or "").strip().upper()
    if not (LEGACY_RE.match(code) or (code and code[0].isalpha() and code.isalnum())):
        raise ValidationFailed(
            f"Mã '{organ_id[:35]}' không hợp lệ: dùng mã QCVN 102 (000.00.00.H30) hoặc mã "
            "cấp 1 (H30) cho mọi cơ quan của tỉnh đó.",
            code=E.INVALID_AGENCY_CODE,
        )
    if kind not in Endpoint.Kind.values:
        raise ValidationFailed("Loại địa chỉ không hợp lệ.", code=E.INVALID_AGENCY_CODE)
    url = (url or "").strip()
    if kind != Endpoint.Kind.LOCAL and not url.startswith(("http://", "https://")):
        raise ValidationFailed(
            "Vui lòng nhập địa chỉ nhận gói tin (http/https).", code=E.ENDPOINT_URL_REQUIRED
        )
    name = (name or "").strip()[:255] or code
    clash = Endpoint.objects.filter(organ_id=code)
    if endpoint is not None:
        clash = clash.exclude(pk=endpoint.pk)
    if clash.exists():
        raise ValidationFailed(f"Mã {code} đã có trong danh bạ liên thông.", code=E.ENDPOINT_EXISTS)
    if endpoint is None:
        endpoint = Endpoint(organ_id=code)
    endpoint.organ_id, endpoint.name, endpoint.kind = code, name, kind
    endpoint.url, endpoint.token, endpoint.is_active = url, (token or "").strip(), is_active
    endpoint.save()
    record(
        actor=actor,
        action="exchange.save_endpoint",
        obj=endpoint,
        summary={"organ_id": code, "kind": kind, "url": url},
    )
    return endpoint


@transaction.atomic
def retry_message(*, actor: Any, message: OutboxMessage) -> OutboxMessage:
    """Put a dead (or waiting) package back to be delivered now."""
    require(actor, "exchange.admin")
    message = OutboxMessage.objects.select_for_update().get(pk=message.pk)
    if message.state not in (OutboxMessage.State.DEAD, OutboxMessage.State.PENDING):
        raise InvalidTransition("Gói tin không ở hàng lỗi.", code=E.NOT_DEAD)
    route = resolve(message.receiver_code)  # an address added since: used now
    message.endpoint, message.channel = route.endpoint, route.kind
    message.state = OutboxMessage.State.PENDING
    message.next_attempt_at = None
    message.attempts = 0
    message.save(
        update_fields=["endpoint", "channel", "state", "next_attempt_at", "attempts", "updated_at"]
    )
    if message.transmission_id:
        Transmission.objects.filter(pk=message.transmission_id).update(
            endpoint=route.endpoint, channel=route.kind
        )
    record(
        actor=actor,
        action="exchange.retry",
        obj=message,
        summary={"document_id": message.document_id, "receiver": message.receiver_code},
    )
    from tinhso.exchange.tasks import schedule

    transaction.on_commit(lambda: schedule(message.pk))
    return message


def mark_sent_at_documents(transmissions: list[Transmission]) -> None:
    """The documents app's recipient rows move to "sent over the exchange" (one
    statement for a delivered batch)."""
    from tinhso.documents.models import Recipient
    from tinhso.documents.services import mark_exchange_sent_many

    waiting = [
        t.recipient
        for t in transmissions
        if t.recipient is not None and t.recipient.status == Recipient.Status.EXCHANGE_PENDING
    ]
    if waiting:
        mark_exchange_sent_many(recipients=waiting)


def due_filter(now: dt.datetime) -> Q:
    return Q(state=OutboxMessage.State.PENDING) & (
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    )
