"""E-receipts (biên lai thu phí, lệ phí điện tử) of confirmed payments.

Numbering (in the payment's own transaction, `number_receipt`): the collecting agency is
the dossier's competent agency; its series (ký hiệu) is one a year, "<letters>-<YY>E"
(PAYMENT_RECEIPT_SERIES letters, "BL" by default; E: electronic) and its numbers run
0000001, 0000002... per agency and series. The number comes from one upsert on
`CodeSequence` inside the transaction that marks the payment paid: concurrent payments
wait on the row lock, and a transaction that rolls back takes its number back with it,
so the numbers have no gaps and never repeat (the series, impl: Decree 123/2020 asks
receipts for a series and a number restarting each year; the exact letters are ours).

Issuing (`issue`, idempotent; a background task after commit, or the first download):
the receipt is rendered once to PDF — the collecting agency's name and code, series and
number, payer, content, amount in figures and in words, date — and sealed with the
agency's seal signature (its agency certificate in the signing app). The file is stored
with its SHA-256 and served as stored. An agency without a usable seal certificate gets
no receipt until it has one: an unsigned file is never handed out as an e-receipt.
"""

from __future__ import annotations

import hashlib
import io
import logging
import uuid
from datetime import datetime
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from tinhso.audit.services import record
from tinhso.core.errors import DomainError
from tinhso.onestop.models import Payment
from tinhso.onestop.payments import conf
from tinhso.onestop.payments.errors import ReceiptNotAvailable
from tinhso.onestop.payments.words import amount_in_words
from tinhso.workdays.services import VN

log = logging.getLogger(__name__)
FOLDER = "receipts"


def series_for(moment: datetime) -> str:
    return f"{conf.receipt_series_letters()}-{moment.astimezone(VN):%y}E"


def dossier_code(dossier: Any) -> str:
    """The code the citizen knows the dossier by: the Circular 01 code once received,
    else the tracking code given at submission."""
    return (getattr(dossier, "code", "") or getattr(dossier, "tracking_code", "") or "").strip()


def money(amount: int | None) -> str:
    return f"{int(amount or 0):,}".replace(",", ".")


def number_receipt(payment: Payment, at: datetime) -> None:
    """Give a payment being confirmed its collecting agency, series and number (in the
    caller's transaction; see the module's docstring)."""
    from tinhso.onestop.codes import next_value

    dossier = payment.dossier
    agency_id = dossier.agency_id
    series = series_for(at)
    seq = next_value(f"receipt:{agency_id}:{series}")
    payment.collecting_agency_id = agency_id
    payment.receipt_series = series
    payment.receipt_number = f"{seq:07d}"


# ---------------------------------------------------------------------------------------
# Rendering


def _content(payment: Payment) -> str:
    dossier = payment.dossier
    code = dossier_code(dossier)
    what = (
        "Phí, lệ phí giải quyết thủ tục"
        if payment.purpose == Payment.Purpose.FEE
        else "Nghĩa vụ tài chính của hồ sơ thủ tục"
    )
    text = f"{what} “{dossier.procedure.name}”"
    return f"{text}, hồ sơ {code}" if code else text


def _method(payment: Payment) -> str:
    if not payment.online:
        return "Tiền mặt tại Bộ phận Một cửa"
    from tinhso.onestop.payments import enabled_providers

    provider = enabled_providers().get(payment.provider)
    label = getattr(provider, "label", "") or payment.provider
    return f"Thanh toán trực tuyến — {label}"


def _collecting_agency(payment: Payment):
    """The agency the receipt is issued by (set when numbered; the competent agency for
    payments numbered before receipts named one)."""
    return payment.collecting_agency or payment.dossier.agency


# The signature area: the bottom of the page, kept free of the text flow.
SEAL_BOX_HEIGHT = 40.0


def render_pdf(payment: Payment) -> bytes:
    """The receipt's PDF (A5), before sealing."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A5
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    from tinhso.onestop.pdf import _header, _styles, _t

    s = _styles()
    dossier = payment.dossier
    agency = _collecting_agency(payment)
    parent = agency.parent.name if agency.parent else ""
    width = A5[0] - 24 * mm
    paid = timezone.localtime(payment.paid_at or timezone.now(), VN)
    rows = [
        ("Đơn vị thu", f"<b>{_t(agency.name)}</b>"),
        ("Mã đơn vị", _t(agency.code)),
        ("Người nộp", f"<b>{_t(payment.payer_name or dossier.applicant_name)}</b>"),
    ]
    if dossier.applicant_id_number:
        rows.append(("Số định danh/MST", _t(dossier.applicant_id_number)))
    if dossier.applicant_address:
        rows.append(("Địa chỉ", _t(dossier.applicant_address)))
    rows += [
        ("Nội dung thu", _t(_content(payment))),
        ("Số tiền", f"<b>{money(payment.amount_vnd)} đồng</b>"),
        ("Bằng chữ", f"<i>{_t(amount_in_words(payment.amount_vnd))}</i>"),
        ("Hình thức", _t(_method(payment))),
        ("Mã giao dịch", _t(" / ".join(x for x in (payment.reference, payment.provider_ref) if x))),
    ]
    table = Table(
        [[Paragraph(_t(k), s["cell_bold"]), Paragraph(v, s["cell"])] for k, v in rows],
        colWidths=[width * 0.28, width * 0.72],
    )
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    story: list = [
        _header(s, agency.name, parent, width=width),
        Spacer(1, 3 * mm),
        Paragraph("BIÊN LAI THU PHÍ, LỆ PHÍ", s["title"]),
        Paragraph("(Bản thể hiện của biên lai điện tử)", s["subtitle"]),
        Paragraph(
            f"Ký hiệu: <b>{_t(payment.receipt_series)}</b> &nbsp;&nbsp; "
            f"Số: <b>{_t(payment.receipt_number)}</b>",
            s["center"],
        ),
        Paragraph(f"Ngày {paid.day:02d} tháng {paid.month:02d} năm {paid.year}", s["subtitle"]),
        Spacer(1, 3 * mm),
        table,
    ]
    if payment.provider == conf.SANDBOX:
        story += [
            Spacer(1, 2 * mm),
            Paragraph(
                "<b>THANH TOÁN THỬ NGHIỆM</b> — không thu tiền thật; biên lai chỉ có giá "
                "trị minh họa.",
                s["small"],
            ),
        ]

    def signature_area(canvas, doc) -> None:
        # the frame the seal signature's appearance is placed in (see _seal_box)
        x1, y1, x2, y2 = _seal_box()
        canvas.saveState()
        canvas.setFont("Serif-Bold", 9.5)
        canvas.drawCentredString((x1 + x2) / 2, y2 + 16, "ĐƠN VỊ THU")
        canvas.setFont("Serif-Italic", 8)
        canvas.drawCentredString((x1 + x2) / 2, y2 + 6, "(chữ ký số của cơ quan thu)")
        canvas.setStrokeColorRGB(0.6, 0.6, 0.6)
        canvas.setLineWidth(0.5)
        canvas.rect(x1 - 3, y1 - 3, x2 - x1 + 6, y2 - y1 + 6)
        canvas.restoreState()

    buffer = io.BytesIO()
    title = f"Biên lai {payment.receipt_series} {payment.receipt_number}"
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A5,
        leftMargin=12 * mm,
        rightMargin=12 * mm,
        topMargin=10 * mm,
        bottomMargin=40 * mm + SEAL_BOX_HEIGHT,
        title=title,
        author="tinhso",
        subject=title,
    )
    doc.build(story, onFirstPage=signature_area, onLaterPages=signature_area)
    return buffer.getvalue()


def _seal_box() -> tuple[int, int, int, int]:
    from reportlab.lib.pagesizes import A5
    from reportlab.lib.units import mm

    from tinhso.signing import appearance

    x2 = A5[0] - 12 * mm
    y1 = 20 * mm
    return (int(x2 - appearance.SEAL_TEXT_W), int(y1), int(x2), int(y1 + SEAL_BOX_HEIGHT))


def seal(pdf: bytes, payment: Payment) -> tuple[bytes, Any]:
    """Sign the receipt with the collecting agency's seal certificate (server-held or
    PKCS#11, as the signing app keeps it). Raises the signing app's DomainError when the
    agency has no usable certificate."""
    from tinhso.signing import appearance
    from tinhso.signing.services import sign

    agency = _collecting_agency(payment)
    cert = sign.select_certificate(owner_agency=agency)
    writer = sign.open_pdf(pdf)
    signed_at = timezone.localtime(timezone.now(), VN)
    app = appearance.seal_text(
        lines=[
            f"Ký bởi: {agency.name}",
            f"Ký hiệu: {payment.receipt_series}  Số: {payment.receipt_number}",
            f"Ký ngày: {signed_at:%d/%m/%Y %H:%M}",
        ]
    )
    last_page = sign.page_count(writer.prev) - 1
    placement = sign.Placement("Sig-seal-1", last_page, _seal_box(), app)
    signed = sign.sign_with_certificate(
        writer=writer,
        cert=cert,
        placement=placement,
        reason=f"Biên lai điện tử {payment.receipt_series} số {payment.receipt_number}",
        location=agency.name,
    )
    return signed, cert


# ---------------------------------------------------------------------------------------
# Issuing and serving


def issue(*, payment_id: int) -> Payment:
    """Render, seal and store the payment's e-receipt once; later calls return it as
    issued. ReceiptNotAvailable for a payment that is not paid or has no number; the
    signing app's error (no certificate...) when the agency cannot seal yet."""
    with transaction.atomic():
        payment = (
            Payment.objects.select_for_update(of=("self",))
            .select_related("dossier__procedure", "dossier__agency", "collecting_agency__parent")
            .get(pk=payment_id)
        )
        if payment.receipt_file:
            return payment
        if payment.status != Payment.Status.PAID or not payment.receipt_number:
            raise ReceiptNotAvailable()
        if payment.collecting_agency is None:  # numbered before receipts had an agency
            payment.collecting_agency = payment.dossier.agency
        signed, cert = seal(render_pdf(payment), payment)
        digest = hashlib.sha256(signed).hexdigest()
        name = default_storage.save(f"onestop/{FOLDER}/{uuid.uuid4().hex}.pdf", ContentFile(signed))
        try:
            _keep(payment, name, digest, cert)
        except BaseException:
            default_storage.delete(name)  # nothing refers to it
            raise
        return payment


def _keep(payment: Payment, name: str, digest: str, cert) -> None:
    payment.receipt_file.name = name
    payment.receipt_sha256 = digest
    payment.receipt_issued_at = timezone.now()
    payment.receipt_sealed_by = cert.serial_hex
    payment.save(
        update_fields=[
            "collecting_agency",
            "receipt_file",
            "receipt_sha256",
            "receipt_issued_at",
            "receipt_sealed_by",
        ]
    )
    record(
        actor=None,
        action="onestop.receipt_issued",
        obj=payment,
        object_id=payment.reference,
        agency=payment.collecting_agency_id,
        summary={
            "receipt": payment.receipt_reference,
            "amount_vnd": payment.amount_vnd,
            "sha256": digest,
            "certificate": cert.serial_hex,
        },
    )


def try_issue(payment_id: int) -> Payment | None:
    """`issue`, or None when the agency cannot seal yet (logged; tried again later)."""
    try:
        return issue(payment_id=payment_id)
    except ReceiptNotAvailable:
        return None
    except DomainError as exc:
        log.warning("receipt of payment %s not issued yet: %s (%s)", payment_id, exc, exc.code)
        return None


@task()
def issue_receipt_task(payment_id: int) -> bool:
    return try_issue(payment_id) is not None


def schedule_issue(payment_id: int) -> None:
    """After the payment's transaction commits, issue its receipt in the background."""

    def enqueue() -> None:
        try:
            issue_receipt_task.enqueue(payment_id)
        except Exception:  # the first download issues it anyway; never fail the payer
            log.exception("could not enqueue the receipt of payment %s", payment_id)

    transaction.on_commit(enqueue)


def stored_pdf(payment: Payment) -> bytes:
    """The receipt exactly as issued (issued now if it was not yet). ReceiptNotAvailable
    when it cannot be issued yet or the stored file no longer matches its SHA-256."""
    if not payment.receipt_file:
        issued = try_issue(payment.pk)
        if issued is None:
            raise ReceiptNotAvailable(
                "Biên lai điện tử chưa được phát hành (đang chờ cơ quan thu ký số). "
                "Vui lòng thử lại sau."
            )
        payment = issued
    with default_storage.open(str(payment.receipt_file.name), "rb") as handle:
        data = handle.read()
    if hashlib.sha256(data).hexdigest() != payment.receipt_sha256:
        log.error("stored receipt of payment %s does not match its SHA-256", payment.pk)
        raise ReceiptNotAvailable(
            "Tệp biên lai đã lưu không còn nguyên vẹn; vui lòng báo cơ quan thu."
        )
    return data
