"""Demo data of documents, loaded by `tinhso demo` after signing (idempotent, quick).

For a few demo agencies (Văn phòng UBND tỉnh, Sở Tài chính, Sở Khoa học và Công nghệ, Sở Nội vụ) the
current year's registers get incoming documents in every state (waiting for assignment,
being handled, done on time, done late, overdue, arrived through the platform and waiting
for the clerk) and outgoing documents in every state (draft, in review, waiting for the
leader, signed, numbered, issued, dispatched). Some are digitally signed with the demo
leader's certificate and the agency's seal (created by signing/demo.py). All generated
PDFs are small one-page documents with Vietnamese text. People are the directory demo's
(`vanthu.<slug>`, `lanhdao.<slug>`, `chuyenvien.<slug>`, `chuyenvien2.<slug>`).
"""

from __future__ import annotations

import datetime as dt
import random

from django.utils import timezone

from tinhso.accounts.models import Role, RoleGrant, User
from tinhso.core.progress import report_progress
from tinhso.directory.models import Agency
from tinhso.documents import services
from tinhso.documents.models import Assignment, IncomingDocument, OutgoingDocument
from tinhso.documents.pdfs import render_document_pdf

AGENCY_SLUGS = ["vpubnd", "stc", "skhcn", "snv"]
OUTSIDE_SENDERS = [
    ("Bộ Nội vụ", "BNV"),
    ("Bộ Tài chính", "BTC"),
    ("Bộ Khoa học và Công nghệ", "BKHCN"),
    ("Văn phòng Chính phủ", "VPCP"),
    ("Ủy ban nhân dân thành phố Đà Nẵng", "UBND"),
    ("Bảo hiểm xã hội Việt Nam", "BHXH"),
]
SUBJECTS = [
    ("qd", "Về việc phê duyệt Kế hoạch chuyển đổi số năm {y} của tỉnh"),
    ("cv", "Về việc báo cáo tình hình thực hiện dịch vụ công trực tuyến quý {q}"),
    ("kh", "Kế hoạch tổ chức Hội nghị Ủy ban nhân dân tỉnh mở rộng năm {y}"),
    ("tb", "Thông báo kết luận của Chủ tịch Ủy ban nhân dân tỉnh tại buổi làm việc"),
    ("ct", "Chỉ thị về tăng cường kỷ luật, kỷ cương hành chính trong cơ quan nhà nước"),
    ("bc", "Báo cáo tình hình kinh tế - xã hội quý {q} năm {y}"),
    ("cv", "Về việc góp ý dự thảo Nghị định sửa đổi Nghị định 30/2020/NĐ-CP về công tác văn thư"),
    ("gm", "Giấy mời dự Hội nghị tổng kết công tác cải cách hành chính năm {y}"),
    ("hd", "Hướng dẫn lập hồ sơ công việc và nộp lưu hồ sơ điện tử vào Lưu trữ cơ quan"),
    ("cv", "Về việc phối hợp với thành phố Đà Nẵng triển khai trục liên thông văn bản"),
    ("qd", "Về việc giao chỉ tiêu dự toán ngân sách nhà nước năm {y}"),
    ("ttr", "Tờ trình đề nghị phê duyệt danh mục dữ liệu mở của tỉnh"),
    ("cv", "Về việc tuyển dụng công chức cấp xã năm {y}"),
    ("kh", "Kế hoạch phòng, chống thiên tai và tìm kiếm cứu nạn năm {y}"),
    ("cv", "Về việc triển khai chữ ký số chuyên dùng cho cán bộ, công chức"),
]
BODIES = [
    "Thực hiện chỉ đạo của Thủ tướng Chính phủ về đẩy mạnh chuyển đổi số quốc gia, "
    "đề nghị các cơ quan, đơn vị khẩn trương triển khai các nhiệm vụ được giao.",
    "Căn cứ Nghị định số 30/2020/NĐ-CP ngày 05 tháng 3 năm 2020 của Chính phủ về công tác "
    "văn thư, yêu cầu các cơ quan thực hiện ký số và gửi nhận văn bản điện tử.",
    "Đoàn công tác của thành phố Đà Nẵng sẽ đến làm việc về kinh nghiệm xây dựng chính "
    "quyền số; đề nghị chuẩn bị nội dung báo cáo.",
    "Đề nghị các sở, ban, ngành và Ủy ban nhân dân các xã, phường báo cáo kết quả thực "
    "hiện trước ngày 25 hằng tháng.",
]


def _pdf(rng: random.Random, agency_name: str, doc_type: str, subject: str, number: str) -> bytes:
    from tinhso.documents.models import DOC_TYPES

    return render_document_pdf(
        agency_name=agency_name,
        title=DOC_TYPES[doc_type][1],
        subject=subject,
        body=rng.sample(BODIES, 2),
        number_notation=f"Số: {number}",
        place_date="Sông Lam, ngày … tháng … năm …",
        # no signer block: the digital signature's appearance draws title, image and name
    )


def _people(slug: str):
    users = {u.username: u for u in User.objects.filter(username__endswith=f".{slug}")}
    clerk, leader = users.get(f"vanthu.{slug}"), users.get(f"lanhdao.{slug}")
    specialist, specialist2 = users.get(f"chuyenvien.{slug}"), users.get(f"chuyenvien2.{slug}")
    if not (clerk and leader and specialist):
        return None
    grant = RoleGrant.objects.filter(user=clerk, role=Role.CLERK).select_related("agency").first()
    if grant is None:
        return None
    return grant.agency, clerk, leader, specialist, specialist2 or specialist


def _subject(rng: random.Random, year: int) -> tuple[str, str]:
    doc_type, text = rng.choice(SUBJECTS)
    return doc_type, text.format(y=year, q=rng.randint(1, 4))


def load(out) -> None:
    offices = [p for p in (_people(slug) for slug in AGENCY_SLUGS) if p]
    if not offices:
        out.write("  (văn bản: không có cơ quan mẫu nào có văn thư; bỏ qua)")
        return
    if IncomingDocument.objects.filter(agency=offices[0][0]).exists():
        out.write("  văn bản: đã nạp từ trước")
        return
    rng = random.Random(30)  # Decree 30/2020
    now = timezone.now()
    today = timezone.localdate()
    year = today.year
    day_of_year = (today - dt.date(year, 1, 1)).days
    can_sign = _signing_ready()
    signed_budget = 8
    counts = {"incoming": 0, "outgoing": 0, "signed": 0}
    for position, (agency, clerk, leader, specialist, specialist2) in enumerate(offices):
        report_progress(out, position, len(offices))
        # Incoming: spread over the year, in order of arrival.
        n_in = 12
        offsets = sorted(rng.sample(range(1, max(day_of_year, n_in + 2)), n_in), reverse=True)
        for i, days_ago in enumerate(offsets):
            arrived = now - dt.timedelta(days=days_ago, hours=rng.randint(0, 5))
            sender, abbr = rng.choice(OUTSIDE_SENDERS)
            doc_type, subject = _subject(rng, year)
            number = f"{rng.randint(1, 900)}/{'BC' if doc_type == 'bc' else abbr}-VP"
            issued = timezone.localdate(arrived) - dt.timedelta(days=rng.randint(0, 3))
            deadline = timezone.localdate(arrived) + dt.timedelta(days=rng.choice([5, 10, 15]))
            doc = services.register_incoming(
                actor=clerk,
                agency=agency,
                pdf=_pdf(rng, sender, doc_type, subject, number),
                filename=f"van-ban-den-{i + 1}.pdf",
                sender_name=sender,
                number_notation=number,
                issued_on=issued,
                doc_type=doc_type,
                subject=subject,
                urgency=rng.choice(["normal", "normal", "urgent"]),
                deadline=deadline,
                arrived_at=arrived,
                source=rng.choice(["upload", "paper"]),
                allow_duplicate=True,
            )
            counts["incoming"] += 1
            state = i % 6
            if state == 5:
                continue  # waiting for the leader's assignment
            assignments = services.assign_incoming(
                actor=leader,
                document=doc,
                lead=specialist if i % 2 else specialist2,
                cooperate=[specialist2 if i % 2 else specialist],
                info=[clerk],
                instruction="Đề nghị tham mưu xử lý theo quy định.",
            )
            lead = assignments[0]
            if state in (1, 2, 3):
                services.add_note(
                    actor=lead.assignee, assignment=lead, text="Đã nghiên cứu, đang dự thảo."
                )
            if state in (2, 3):
                services.finish_assignment(
                    actor=lead.assignee, assignment=lead, result="Đã tham mưu văn bản trả lời."
                )
                # Backdate the finish: on time (state 2) or two days late (state 3).
                late = 2 if state == 3 else -1
                finished = timezone.make_aware(
                    dt.datetime.combine(deadline + dt.timedelta(days=late), dt.time(10, 0))
                )
                finished = min(finished, now)
                IncomingDocument.objects.filter(pk=doc.pk).update(finished_at=finished)
                Assignment.objects.filter(pk=lead.pk).update(finished_at=finished)

        # Outgoing: one in every state; the issued ones also dispatched to the next office.
        states = ["draft", "in_review", "reviewed", "signed", "numbered", "issued"]
        states += ["dispatched"] * 4
        for j, target in enumerate(states):
            doc_type, subject = _subject(rng, year)
            # The draft leaves the number blank ("Số:      /STC-QLNS"); the clerk's
            # numbering writes it, with the date, into the PDF before the seal.
            suffix = services.notation_suffix(
                doc_type=doc_type,
                agency=agency,
                drafting_unit=services.drafter_unit(specialist, agency),
            )
            # Nơi nhận are part of the draft; dispatch sends to them.
            others = [o[0] for o in offices if o[0] != agency]
            to_agencies = others[:1] if j % 2 else others[:2]
            to_outside = [("Bộ Nội vụ", "G09")] if j % 3 == 0 or not to_agencies else []
            answered = (
                IncomingDocument.objects.filter(agency=agency, status="done").first()
                if j == 0
                else None
            )
            out_doc = services.create_draft(
                actor=specialist,
                agency=agency,
                doc_type=doc_type,
                subject=subject,
                pdf=_pdf(rng, agency.name, doc_type, subject, f"     /{suffix}"),
                filename=f"du-thao-{j + 1}.pdf",
                recipients=to_agencies,
                external_recipients=to_outside,
                in_reply_to=answered,
            )
            counts["outgoing"] += 1
            if target == "draft":
                continue
            services.submit_for_review(
                actor=specialist, document=out_doc, reviewers=[specialist2], signer=leader
            )
            if target == "in_review":
                continue
            services.review_draft(actor=specialist2, document=out_doc, approve=True, comment="")
            if target == "reviewed":
                continue
            digital = can_sign and signed_budget > 0 and target != "numbered"
            try:
                services.sign_outgoing(actor=leader, document=out_doc, digital=digital)
            except Exception as exc:  # a missing certificate must not break the demo
                out.write(f"  documents: digital signing unavailable ({exc}); paper signature")
                can_sign = digital = False
                services.sign_outgoing(actor=leader, document=out_doc, digital=False)
            if target == "signed":
                continue
            services.number_outgoing(actor=clerk, document=out_doc)
            if target == "numbered":
                continue
            try:
                services.seal_outgoing(actor=clerk, document=out_doc)
            except Exception as exc:
                out.write(f"  documents: seal unavailable ({exc})")
                continue
            if digital:
                signed_budget -= 1
                counts["signed"] += 1
            if target == "issued":
                continue
            services.dispatch_outgoing(
                actor=clerk,
                document=out_doc,
                agencies=list(out_doc.planned_agencies.all()),
                external=services.parse_external(out_doc.planned_external),
            )
        # A saved recipient group: every department, picked at once when dispatching.
        departments = list(
            Agency.objects.active().filter(kind=Agency.Kind.DEPARTMENT).exclude(pk=agency.pk)
        )
        if departments:
            services.create_recipient_group(
                actor=clerk,
                agency=agency,
                name="Các sở, ban, ngành tỉnh",
                members=departments,
            )
        record = services.create_work_record(
            actor=specialist,
            agency=agency,
            title="Chuyển đổi số trong công tác văn thư năm " + str(year),
        )
        for doc in IncomingDocument.objects.filter(agency=agency, status="done")[:3]:
            services.file_document(actor=specialist, work_record=record, incoming=doc)
        for out_doc in OutgoingDocument.objects.filter(agency=agency, status="dispatched")[:2]:
            services.file_document(actor=specialist, work_record=record, outgoing=out_doc)
    # Agencies accept part of what they received through the platform.
    for agency, clerk, *_rest in offices:
        pending = IncomingDocument.objects.filter(agency=agency, status="pending").order_by("id")
        for doc in list(pending)[:1]:
            services.accept_incoming(actor=clerk, document=doc)
    out.write(
        f"  văn bản: {counts['incoming']} văn bản đến, {counts['outgoing']} văn bản đi "
        f"({counts['signed']} đã ký số và đóng dấu số) ở {len(offices)} cơ quan"
    )


def _signing_ready() -> bool:
    try:
        from tinhso.signing.services import sign_pdf  # noqa: F401
    except ImportError:
        return False
    return True
