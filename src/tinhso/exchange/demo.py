"""Demo data of the exchange, loaded by `tinhso demo` after documents, through the same
services a clerk uses (idempotent: a second run changes nothing).

- Documents exchanged between demo agencies of the province (local channel), one in each
  state at the sender: arrived (01), accepted (03), assigned (04), processing (05),
  completed (06), refused (02) with its reason, and one revoked (15).
- A neighbouring province (Tỉnh Lam Hà, H98) simulated by an address-book entry served by
  this same process: `H98 → <site>/api/v1/exchange/packages`. What is sent there travels
  over HTTP once the worker runs (`make demo` starts it) and waits in the queue of
  `vanthu.lamha` (the neighbour's clerk); a document the neighbour's finance department
  signs and dispatches (`chuyenvien.lamha`, `lanhdao.lamha`, `vanthu.lamha`), sealed with
  its certificate, waits in the queue of Văn phòng UBND tỉnh, and the statuses sent back
  to H98 find the neighbour's transmission.
- One package to an agency nobody knows: in the dead-letter queue with the reason.
"""

from __future__ import annotations

from django.conf import settings

from tinhso.exchange.models import Endpoint, InboxItem

NEIGHBOUR = "H98"
NEIGHBOUR_NAME = "Tỉnh Lam Hà (tỉnh bạn, mô phỏng)"


def _people(slug: str):
    from tinhso.documents.demo import _people as people

    return people(slug)


def _issue(people, subject: str, receiver: tuple[str, str]):
    from tinhso.documents import services as documents
    from tinhso.documents.pdfs import render_document_pdf

    agency, clerk, leader, specialist, _s2 = people
    pdf = render_document_pdf(
        agency_name=agency.name,
        title="Công văn",
        subject=subject,
        body=[
            "Thực hiện Nghị định 30/2020/NĐ-CP về công tác văn thư, văn bản này được gửi, "
            "nhận qua trục liên thông văn bản dưới dạng gói tin edXML có chữ ký số."
        ],
    )
    doc = documents.create_draft(
        actor=specialist,
        agency=agency,
        doc_type="cv",
        subject=subject,
        pdf=pdf,
        external_recipients=[receiver],
    )
    documents.submit_for_review(actor=specialist, document=doc, signer=leader)
    try:
        documents.sign_outgoing(actor=leader, document=doc, digital=True)
    except Exception:  # noqa: BLE001 - a leader without a certificate signs on paper
        documents.sign_outgoing(actor=leader, document=doc, digital=False)
    documents.number_outgoing(actor=clerk, document=doc)
    documents.seal_outgoing(actor=clerk, document=doc)
    documents.dispatch_outgoing(actor=clerk, document=doc, external=[receiver])
    doc.refresh_from_db()
    return doc


def _neighbour():
    """The neighbouring province's agencies (as its own instance would hold them here:
    same process), their seal certificates and a clerk."""
    from tinhso.accounts import services as accounts
    from tinhso.accounts.demo import DEMO_PASSWORD, demo_secret
    from tinhso.accounts.models import Role, User
    from tinhso.directory import services as directory
    from tinhso.directory.models import Agency
    from tinhso.signing.models import Certificate
    from tinhso.signing.services import ensure_demo_ca, issue_certificate

    ubnd = Agency.objects.filter(code=NEIGHBOUR).first() or directory.create_agency(
        actor=None,
        code=NEIGHBOUR,
        legacy_code=f"000.00.00.{NEIGHBOUR}",
        name="Ủy ban nhân dân tỉnh Lam Hà",
        short_name="UBND",
        kind="peoples_committee",
        address="Số 1 đường Hà Lam, tỉnh Lam Hà",
        email="ubnd@lamha.example.vn",
    )
    stc = Agency.objects.filter(code=f"{NEIGHBOUR}.06").first() or directory.create_agency(
        actor=None,
        code=f"{NEIGHBOUR}.06",
        legacy_code=f"000.00.06.{NEIGHBOUR}",
        name="Sở Tài chính tỉnh Lam Hà",
        short_name="STC",
        kind="department",
        parent=ubnd,
        address="Số 6 đường Hà Lam, tỉnh Lam Hà",
        email="stc@lamha.example.vn",
    )
    _root, issuing = ensure_demo_ca()
    for agency in (ubnd, stc):
        if not Certificate.objects.filter(owner_agency=agency).exists():
            issue_certificate(ca=issuing, kind="agency", owner_agency=agency)
    from tinhso.directory.models import OrgUnit

    budget = OrgUnit.objects.filter(agency=stc, short_name="QLNS").first()
    if budget is None:
        budget = directory.create_org_unit(
            actor=None, agency=stc, name="Phòng Quản lý ngân sách", short_name="QLNS"
        )
    people = {}
    for username, full_name, role in (
        ("vanthu.lamha", "Đinh Thị Văn Thư", Role.CLERK),
        ("lanhdao.lamha", "Hoàng Văn Liên", Role.LEADER),
        ("chuyenvien.lamha", "Mai Thị Chuyên", Role.SPECIALIST),
    ):
        user = User.objects.filter(username=username).first()
        if user is None:
            user = directory.register_official(
                actor=None,
                username=username,
                full_name=full_name,
                agency=stc,
                org_unit=budget if role == Role.SPECIALIST else None,
                roles=[role],
                email=f"{username}@lamha.example.vn",
            ).user
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
            accounts.set_totp_secrets(secrets={user: demo_secret(username)}, reason="demo")
        people[role] = user
    leader = people[Role.LEADER]
    if not Certificate.objects.filter(owner_user=leader).exists():
        issue_certificate(ca=issuing, kind="personal", owner_user=leader)
    return ubnd, stc, (stc, people[Role.CLERK], leader, people[Role.SPECIALIST], None)


def load(step) -> None:
    from tinhso.documents import services as documents
    from tinhso.exchange import services
    from tinhso.exchange.tasks import deliver_due

    if InboxItem.objects.exists():
        step.write("  liên thông: đã nạp từ trước")
        return
    offices = {slug: _people(slug) for slug in ("vpubnd", "stc", "skhcn", "snv")}
    if not all(offices.values()):
        step.write("  (liên thông: thiếu cơ quan mẫu; bỏ qua)")
        return
    _ubnd_lh, stc_lh, lamha = _neighbour()
    site = str(getattr(settings, "TINHSO_SITE_URL", "http://127.0.0.1:8000")).rstrip("/")
    if not Endpoint.objects.filter(organ_id=NEIGHBOUR).exists():
        Endpoint.objects.create(
            organ_id=NEIGHBOUR,
            name=NEIGHBOUR_NAME,
            kind=Endpoint.Kind.INSTANCE,
            url=f"{site}/api/v1/exchange/packages",
        )
    code = services.organ_id_of
    stc, skhcn, snv, vp = offices["stc"], offices["skhcn"], offices["snv"], offices["vpubnd"]
    to_skhcn = (skhcn[0].name, code(skhcn[0]))
    to_snv = (snv[0].name, code(snv[0]))
    plan = [
        ("arrived", stc, to_skhcn, "Về việc cung cấp số liệu dự toán ngân sách năm sau"),
        ("accepted", stc, to_skhcn, "Về việc rà soát danh mục dịch vụ công trực tuyến"),
        ("assigned", stc, to_snv, "Về việc góp ý dự thảo quy chế phối hợp liên ngành"),
        ("processing", skhcn, to_snv, "Về việc triển khai nền tảng tích hợp, chia sẻ dữ liệu"),
        ("completed", skhcn, (stc[0].name, code(stc[0])), "Về việc báo cáo chuyển đổi số quý"),
        ("refused", snv, to_skhcn, "Về việc cử cán bộ dự tập huấn văn thư lưu trữ"),
        ("revoked", snv, (stc[0].name, code(stc[0])), "Về việc tổ chức hội nghị (đã thu hồi)"),
    ]
    sent = []
    for state, sender, receiver, subject in plan:
        sent.append((state, _issue(sender, subject, receiver), receiver))
    deliver_due()
    people_by_code = {code(p[0]): p for p in offices.values()}
    for state, doc, receiver in sent:
        if state == "arrived":
            continue
        item = InboxItem.objects.get(
            kind="document", document_id=services.document_id_of(doc), business_type=0
        )
        _agency, clerk, leader, specialist, _s2 = people_by_code[receiver[1]]
        if state == "refused":
            services.refuse_item(
                actor=clerk, item=item, reason="Văn bản không thuộc thẩm quyền của cơ quan."
            )
            continue
        item = services.accept_item(actor=clerk, item=item)
        if state in ("assigned", "processing", "completed") and item.incoming is not None:
            [lead] = documents.assign_incoming(
                actor=leader, document=item.incoming, lead=specialist
            )
            if state in ("processing", "completed"):
                documents.add_note(actor=specialist, assignment=lead, text="Đang tổng hợp.")
            if state == "completed":
                documents.finish_assignment(
                    actor=specialist, assignment=lead, result="Đã báo cáo đúng hạn."
                )
        if state == "revoked":
            deliver_due()
            services.revoke_document(
                actor=snv[1], document=doc, reason="Văn bản ban hành chưa đúng thể thức."
            )
            deliver_due()
            request = InboxItem.objects.get(kind="document", business_type=1, agency=item.agency)
            services.accept_item(actor=clerk, item=request)
    # From the neighbouring province: its clerk dispatches a signed document to the
    # Văn phòng UBND (the neighbour's statuses then find its transmission).
    _issue(
        lamha,
        "Về việc đề nghị phối hợp quản lý tuyến đường liên tỉnh",
        (vp[0].name, code(vp[0])),
    )
    # Nobody knows this address: a dead letter with its reason.
    _issue(stc, "Về việc gửi báo cáo (nơi nhận chưa có trong danh bạ)", ("Bộ X", "000.00.00.G99"))
    deliver_due()
    # To the neighbouring province: over HTTP to this same process, when the worker runs.
    _issue(vp, "Về việc phối hợp liên thông văn bản giữa hai tỉnh", (stc_lh.name, code(stc_lh)))
    step.write(
        f"  liên thông: {len(sent) + 3} văn bản gửi, {InboxItem.objects.count()} gói tin nhận; "
        f"tỉnh bạn {NEIGHBOUR} → {site}/api/v1/exchange/packages"
    )
