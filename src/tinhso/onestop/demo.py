"""Demo data of the one-stop app, loaded by `tinhso demo` (idempotent).

1. The procedure catalog: `data/procedures.json` through `catalog_io.import_catalog`
   (an idempotent upsert).
2. A few hundred dossiers spread over the past four months across the province's
   departments (received at the public administration service centre) and communes,
   replayed through the real services with the clock set to each moment
   (`services.clock.frozen`), so every invariant holds: codes per agency per day, due dates
   from the working-day calendar, form-05 lines, audit trail, notifications. Every state
   appears, including supplements, extensions, pauses, financial obligations, late
   results, withdrawals, refusals and stops.

The demo officials are the directory demo's (`motcua.ttphvhcc`, `chuyenvien.stc`,
`lanhdao.stc`, `motcua.xanson`...). Running it again changes nothing (a marker row).
"""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from tinhso.accounts.models import Role, RoleGrant, User
from tinhso.core.errors import DomainError
from tinhso.core.progress import report_progress
from tinhso.directory.models import Agency
from tinhso.onestop import demo_forms, services
from tinhso.onestop.models import (
    CodeSequence,
    Dossier,
    DossierState,
    Payment,
    Procedure,
    WalletItem,
)
from tinhso.onestop.payments import sandbox
from tinhso.onestop.payments.services import handle_callback
from tinhso.onestop.services import files as file_store
from tinhso.onestop.services.clock import frozen
from tinhso.workdays.services import VN, Calendar

MARKER = "demo:onestop:v1"
DOSSIERS = 320
DAYS_BACK = 120
CATALOG = Path(__file__).resolve().parent / "data" / "procedures.json"

STREETS = ["Lê Lợi", "Trần Phú", "Quang Trung", "Nguyễn Du", "Hùng Vương", "Phan Bội Châu"]


def _pdf(text: str) -> bytes:
    """A one-page PDF (a real one: citizens open it and the verify page parses it)."""
    from io import BytesIO

    from reportlab.pdfgen import canvas

    from tinhso.core.pdf import register_reportlab_fonts

    register_reportlab_fonts()
    buf = BytesIO()
    page = canvas.Canvas(buf)
    page.setFont("Serif-Bold", 14)
    page.drawString(72, 770, "TỈNH SÔNG LAM (DỮ LIỆU MẪU)")
    page.setFont("Serif", 12)
    page.drawString(72, 740, text)
    page.showPage()
    page.save()
    return buf.getvalue()


def _result_name(procedure: Procedure) -> str:
    """The result's name as the procedure states it ("Giấy khai sinh (bản chính)...")."""
    first = (procedure.result_description or "").split(",")[0].strip()
    return first[:200] or "Kết quả giải quyết"


class _People:
    """Officials by (agency, role), from the directory demo's role grants."""

    def __init__(self) -> None:
        self.by: dict[tuple[int, str], list[User]] = {}
        for grant in RoleGrant.objects.select_related("user").order_by("user__username"):
            self.by.setdefault((grant.agency_id, grant.role), []).append(grant.user)

    def get(self, agency_id: int, role: str, rng: random.Random) -> User | None:
        users = self.by.get((agency_id, role))
        return rng.choice(users) if users else None


def _import_catalog(out) -> None:
    try:
        from tinhso.onestop.catalog_io import import_catalog
    except ImportError:  # pragma: no cover - the catalog module ships with the app
        return
    if CATALOG.exists():
        result = import_catalog(CATALOG, actor=None)
        created = getattr(result, "created", 0)
        created = len(created) if isinstance(created, list | tuple) else created
        if created:
            out.write(f"  thủ tục hành chính: {created} thủ tục được nhập")


class _Replay:
    def __init__(self, out) -> None:
        self.out = out
        self.rng = random.Random(2026)
        self.cal = Calendar()
        self.people = _People()
        self.now = timezone.now()
        self.errors = 0
        self.citizens = list(
            User.objects.filter(kind__in=[User.Kind.CITIZEN, User.Kind.BUSINESS]).order_by(
                "username"
            )
        )
        self.wallets: dict[int, WalletItem] = {}
        self.communes = list(
            Agency.objects.filter(kind=Agency.Kind.PEOPLES_COMMITTEE, status=Agency.Status.ACTIVE)
            .exclude(parent=None)
            .filter(role_grants__role=Role.ONESTOP_OFFICER)
            .distinct()
            .order_by("code")
        )
        self.procedures = [
            p
            for p in Procedure.objects.filter(is_active=True)
            .select_related("agency", "receiving_agency")
            .prefetch_related("papers")
            .order_by("code")
            if p.active_process() is not None
        ]

    # ------------------------------------------------------------------ helpers
    def phone(self) -> str:
        return "09" + "".join(str(self.rng.randint(0, 9)) for _ in range(8))

    def office_time(self, day) -> datetime:
        minutes = self.rng.randint(0, 7 * 60)
        hour = 7 * 60 + 30 + minutes + (90 if minutes > 240 else 0)
        return datetime.combine(day, time(hour // 60 % 24, hour % 60), tzinfo=VN)

    def later(self, moment: datetime, working_days: float) -> datetime:
        """A moment about `working_days` working days after `moment`, in office hours."""
        whole = int(working_days)
        day = moment.astimezone(VN).date()
        for _ in range(whole):
            day = self.cal.next_working_day(day)
        result = (
            self.office_time(day)
            if whole
            else moment + timedelta(minutes=self.rng.randint(20, 180))
        )
        return max(result, moment + timedelta(minutes=5))

    def wallet_item(self, citizen: User) -> WalletItem:
        item = self.wallets.get(citizen.pk)
        if item is None:
            item = WalletItem.objects.filter(owner=citizen).first()
            if item is None:
                stored = file_store.store_bytes(
                    _pdf(f"CCCD {citizen.username}"), folder="wallet", filename="cccd.pdf"
                )
                item = WalletItem.objects.create(
                    owner=citizen,
                    name="Căn cước (bản điện tử)",
                    file=stored.name,
                    original_name="cccd.pdf",
                    sha256=stored.sha256,
                    size=stored.size,
                    content_type="application/pdf",
                )
            self.wallets[citizen.pk] = item
        return item

    # ------------------------------------------------------------------ one dossier
    def one(self, index: int) -> None:
        r = self.rng
        procedure = r.choice(self.procedures)
        competent = procedure.agency or r.choice(self.communes)
        receiving = procedure.receiving_agency or competent
        # recent dossiers are more numerous; ages 0..DAYS_BACK days
        age = int(DAYS_BACK * (r.random() ** 1.3))
        day = (self.now - timedelta(days=age)).astimezone(VN).date()
        if not self.cal.is_working_day(day):
            day = self.cal.next_working_day(day)
        start = self.office_time(day)
        if start >= self.now:
            return
        officer = self.people.get(receiving.pk, Role.ONESTOP_OFFICER, r)
        if officer is None:
            return
        online = r.random() < 0.62
        citizen = r.choice(self.citizens) if online and self.citizens else None
        form_rng = random.Random(f"demo-form-{index}")  # the people in the e-form
        business = citizen is not None and citizen.kind == User.Kind.BUSINESS
        if business and "tổ chức" not in procedure.applicant_description:
            citizen, online = None, False  # a company files only what organisations may
        if citizen is None or business:  # a counter applicant, or a company's representative
            applicant = demo_forms.adult(form_rng, on=day)
        else:
            applicant = demo_forms.person_from(
                citizen.full_name, citizen.citizen_id or "", form_rng
            )
        name = applicant.name
        phone = self.phone()
        return_method = r.choice(["online", "online", "counter", "post"])
        with frozen(start):
            if citizen is not None:
                attachments = [
                    services.Attachment(wallet_item=self.wallet_item(citizen), paper=paper)
                    for paper in procedure.papers.all()
                    if paper.is_required and not paper.is_eform  # the e-form is the tờ khai
                ]
                dossier = services.submit_dossier(
                    user=citizen,
                    procedure=procedure,
                    form_data=form_data(
                        procedure.form_schema, applicant, day, form_rng, return_method
                    ),
                    attachments=attachments,
                    agency=competent if procedure.agency is None else None,
                    applicant_phone=phone,
                    applicant_address=f"{r.randint(1, 300)} {r.choice(STREETS)}",
                    return_method=return_method,
                    postal_address=f"{r.randint(1, 300)} {r.choice(STREETS)}",
                )
            else:
                dossier = services.receive_counter_dossier(
                    officer=officer,
                    procedure=procedure,
                    applicant_name=name,
                    form_data=form_data(procedure.form_schema, applicant, day, form_rng, "counter"),
                    agency=competent if procedure.agency is None else None,
                    applicant_phone=phone,
                    applicant_id_number=applicant.id_number,
                    applicant_address=f"{r.randint(1, 300)} {r.choice(STREETS)}",
                    channel="post" if r.random() < 0.08 else "counter",
                    accept=False,
                    fee_paid_cash=procedure.fee_vnd > 0,
                    # the officer ticks the papers handed in (printed on form 01)
                    papers_received=[
                        services.PaperReceived(
                            paper,
                            paper.copies_original,
                            paper.copies_copy or (0 if paper.copies_original else 1),
                        )
                        for paper in procedure.papers.all()
                        if paper.is_required or paper.order % 2 == 0
                    ],
                )
        self.run(dossier, officer, start, online)

    def at(self, moment: datetime) -> bool:
        return moment < self.now

    def run(self, dossier: Dossier, officer: User, moment: datetime, online: bool) -> None:
        r = self.rng
        # pay online fees (most citizens pay right away)
        if online and dossier.fee_vnd and r.random() < 0.8:
            self.pay(dossier, moment + timedelta(minutes=5))
        moment = self.later(moment, 0 if r.random() < 0.7 else 1)
        if not self.at(moment):
            return
        with frozen(moment):
            roll = r.random()
            if roll < 0.04:
                services.refuse_reception(
                    officer=officer,
                    dossier=dossier,
                    reasons="Hồ sơ không thuộc thẩm quyền giải quyết của cơ quan.",
                )
                return
            if roll < 0.10:
                services.request_supplement(
                    official=officer,
                    dossier=dossier,
                    items=["Bản sao có chứng thực giấy tờ tùy thân", "Tờ khai có chữ ký"],
                )
                moment = self.later(moment, r.choice([1, 2, 3]))
                if not self.at(moment) or r.random() < 0.2:
                    return  # still waiting for the citizen
                with frozen(moment):
                    services.answer_supplement(
                        user=dossier.applicant or officer,
                        dossier=dossier,
                        note="Đã bổ sung đầy đủ giấy tờ theo yêu cầu.",
                    )
                moment = self.later(moment, 0)
                if not self.at(moment):
                    return
            with frozen(moment):
                services.accept_dossier(officer=officer, dossier=dossier)
        if dossier.applicant_id and r.random() < 0.04 and self.at(moment + timedelta(hours=2)):
            with frozen(moment + timedelta(hours=2)):
                services.withdraw(
                    user=dossier.applicant, dossier=dossier, reason="Tôi muốn nộp lại hồ sơ khác."
                )
            return
        self.process(dossier, moment)

    def pay(self, dossier: Dossier, moment: datetime) -> None:
        payment = Payment.objects.filter(dossier=dossier, status="pending", online=True).first()
        if payment is None or payment.provider != "sandbox" or not self.at(moment):
            return  # without PAYMENT_SANDBOX=1 the demo's fees stay to be paid
        params = sandbox.SandboxProvider().callback_params(
            reference=payment.reference,
            amount=payment.amount_vnd,
            order=str(dossier.uid),
            success=True,
            txn=f"SBXDEMO{payment.pk}",
        )
        with frozen(moment):
            handle_callback(provider="sandbox", params=params)
        dossier.refresh_from_db()  # paying moved the dossier on (a new version)

    def process(self, dossier: Dossier, moment: datetime) -> None:
        r = self.rng
        steps = list(dossier.process_template.steps.all()) if dossier.process_template else []
        slow = r.random() < 0.18  # this dossier will run late
        extended = False
        supplemented = False
        for index, step in enumerate(steps):
            if step.kind == "return":
                break
            agency_id = (step.agency_id or dossier.agency_id) if step else dossier.agency_id
            actor = (
                self.people.get(agency_id, step.role, r)
                or self.people.get(agency_id, Role.LEADER, r)
                or self.people.get(dossier.receiving_agency_id, Role.ONESTOP_OFFICER, r)
            )
            if actor is None:
                return
            budget = float(step.budget_days)
            spent = budget * r.uniform(1.5, 3.0) + 1 if slow else budget * r.uniform(0.2, 1.0)
            # occasional detours on the specialist's step
            if step.role == Role.SPECIALIST and not supplemented and r.random() < 0.06:
                supplemented = True
                with frozen(self.later(moment, 0)):
                    try:
                        services.request_supplement(
                            official=actor, dossier=dossier, items=["Giấy tờ chứng minh bổ sung"]
                        )
                    except DomainError:
                        supplemented = False
                if supplemented:
                    moment = self.later(moment, r.choice([1, 2, 4]))
                    if not self.at(moment) or r.random() < 0.15:
                        return
                    with frozen(moment):
                        services.answer_supplement(
                            user=dossier.applicant
                            or self.people.get(
                                dossier.receiving_agency_id, Role.ONESTOP_OFFICER, r
                            ),
                            dossier=dossier,
                            note="Đã bổ sung.",
                        )
            if step.role == Role.SPECIALIST and r.random() < 0.04:
                pause_at = self.later(moment, 0)
                if not self.at(pause_at):
                    return
                with frozen(pause_at):
                    services.pause(
                        official=actor, dossier=dossier, reason="Chờ ý kiến cơ quan liên quan"
                    )
                moment = self.later(pause_at, r.choice([1, 2, 3]))
                if not self.at(moment) or r.random() < 0.3:
                    return
                with frozen(moment):
                    services.resume(official=actor, dossier=dossier)
            if (
                step.role == Role.SPECIALIST
                and dossier.procedure.fee_vnd == 0
                and r.random() < 0.03
            ):
                ask = self.later(moment, 0)
                if not self.at(ask):
                    return
                with frozen(ask):
                    services.request_financial_obligation(
                        official=actor,
                        dossier=dossier,
                        amount_vnd=r.choice([250000, 500000]),
                        note="Nộp lệ phí theo thông báo của cơ quan thuế.",
                    )
                moment = self.later(ask, r.choice([1, 2]))
                if not self.at(moment) or r.random() < 0.3:
                    return
                self.pay(dossier, moment)
                dossier.refresh_from_db()
            if slow and not extended and r.random() < 0.5 and dossier.due_at:
                propose = self.later(moment, 0)
                due_day = dossier.due_at.astimezone(VN).date()
                if (
                    self.at(propose)
                    and self.cal.working_days_between(propose.astimezone(VN).date(), due_day) >= 1
                ):
                    new_day = due_day
                    for _ in range(3):
                        new_day = self.cal.next_working_day(new_day)
                    with frozen(propose):
                        services.propose_extension(
                            official=actor,
                            dossier=dossier,
                            new_due_date=new_day,
                            reason="Cần xác minh thực địa, lấy ý kiến cơ quan liên quan.",
                            apology="Cơ quan thành thật xin lỗi Ông/Bà vì sự chậm trễ này.",
                        )
                    extended = True
            moment = self.later(moment, spent)
            if not self.at(moment):
                return
            is_last = index + 1 >= len(steps) or steps[index + 1].kind == "return"
            with frozen(moment):
                if is_last:
                    if r.random() < 0.03:
                        services.reject(
                            official=actor,
                            dossier=dossier,
                            reasons="Hồ sơ không đủ điều kiện theo quy định.",
                        )
                        return
                    # the leader signs the draft (with the certificate `tinhso pki
                    # init-demo` gave them) and the agency's seal follows: the user's steps
                    services.approve(official=actor, dossier=dossier, signing="certificate")
                else:
                    nxt = steps[index + 1]
                    after = steps[index + 2] if index + 2 < len(steps) else None
                    if dossier.return_method == "online" and (
                        after is None or after.kind == "return"
                    ):
                        # before the approval step: the result draft the leader will sign
                        services.attach_result(
                            official=actor,
                            dossier=dossier,
                            file=_named(
                                _pdf(f"Kết quả giải quyết hồ sơ {dossier.code}"), "ket-qua.pdf"
                            ),
                            name=_result_name(dossier.procedure),
                        )
                    next_agency = nxt.agency_id or dossier.agency_id
                    to_user = self.people.get(next_agency, nxt.role, r)
                    services.forward_to_next_step(official=actor, dossier=dossier, to_user=to_user)
        if dossier.state != DossierState.APPROVED:
            return
        moment = self.later(moment, r.choice([0, 0, 1]))
        if not self.at(moment) or r.random() < 0.1:
            return
        officer = self.people.get(dossier.receiving_agency_id, Role.ONESTOP_OFFICER, r)
        with frozen(moment):
            services.return_result(officer=officer, dossier=dossier)
            if dossier.applicant_id and r.random() < 0.6:
                services.rate(
                    user=dossier.applicant,
                    dossier=dossier,
                    score=r.choices([5, 4, 3, 2, 1], weights=[55, 30, 8, 4, 3])[0],
                    comment=r.choice(["", "Cán bộ nhiệt tình", "Nhanh, đúng hẹn", ""]),
                )


def _named(data: bytes, name: str):
    import io

    stream = io.BytesIO(data)
    stream.name = name
    return stream


def form_data(
    schema: dict | None,
    applicant: demo_forms.Person,
    submitted,
    rng: random.Random,
    delivery: str | None = None,
) -> dict:
    """A demo dossier's e-form: every required field, people and dates that fit."""
    schema = schema or {}
    return demo_forms.make_consistent(
        schema,
        _fill(schema, applicant.name, rng),
        applicant=applicant,
        submitted=submitted,
        rng=rng,
        delivery=delivery,
    )


def _fill(schema: dict, name: str, rng: random.Random) -> dict:
    """Minimal valid data for a JSON Schema object (required properties)."""
    result: dict = {}
    props = schema.get("properties") or {}
    for key in schema.get("required") or []:
        prop = props.get(key) or {}
        result[key] = _value(prop, key, name, rng)
    return result


def _value(prop: dict, key: str, name: str, rng: random.Random):
    kind = prop.get("type")
    if "enum" in prop:
        return prop["enum"][0]
    if "const" in prop:
        return prop["const"]
    if kind == "object":
        return _fill(prop, name, rng)
    if kind == "integer":
        return max(int(prop.get("minimum", 1)), 1) if prop.get("minimum", 1) >= 0 else 1
    if kind == "number":
        return float(max(prop.get("minimum", 1), 1))
    if kind == "boolean":
        return True
    if kind == "array":
        item = prop.get("items") or {"type": "string"}
        return [_value(item, key, name, rng) for _ in range(max(int(prop.get("minItems", 1)), 1))]
    fmt = prop.get("format")
    if fmt == "date":
        return "1990-05-17"
    if fmt == "email":
        return "congdan@songlam.example"
    pattern = prop.get("pattern", "")
    if pattern:
        return _from_pattern(pattern, rng)
    low = "name" in key or "ten" in key
    text = name if low else "Theo hồ sơ đính kèm"
    max_len = prop.get("maxLength")
    min_len = prop.get("minLength", 0)
    text = text.ljust(min_len, ".")
    return text[:max_len] if max_len else text


def _from_pattern(pattern: str, rng: random.Random) -> str:
    """A string matching a simple regex: literals, [classes], \\d, with {m,n} ? + *."""
    import re

    pattern = re.sub(r"\([^()]*\)[?*]", "", pattern).replace("(", "").replace(")", "")
    atoms = re.findall(r"(\[[^\]]+\]|\\d|\\.|[^\[\\{}?+*^$])(\{\d+(?:,\d*)?\}|[?+*])?", pattern)
    out = []
    for atom, quant in atoms:
        if atom == "\\d":
            chars = "0123456789"
        elif atom.startswith("["):
            body = atom[1:-1]
            chars = ""
            for a, b in re.findall(r"(.)-(.)", body):
                chars += "".join(chr(c) for c in range(ord(a), ord(b) + 1))
            chars += "".join(c for c in re.sub(r".-.", "", body) if c not in "-")
            if body.endswith("-"):
                chars += "-"
            chars = chars or "A"
        else:
            chars = atom[-1]
        if quant.startswith("{"):
            count = int(quant[1:-1].split(",")[0])
        elif quant == "+":
            count = 1
        elif quant in ("?", "*"):
            count = 0
        else:
            count = 1
        out.append("".join(rng.choice(chars) for _ in range(count)))
    return "".join(out)


def load(out) -> None:
    """Create this app's demo data; running it twice changes nothing."""
    _import_catalog(out)
    if CodeSequence.objects.filter(key=MARKER).exists():
        return
    replay = _Replay(out)
    if not replay.procedures or not replay.communes:
        return
    created = 0
    for index in range(DOSSIERS):
        report_progress(out, index, DOSSIERS)
        try:
            with transaction.atomic():
                replay.one(index)
                created += 1
        except DomainError as err:  # a generated case the rules refuse: skip it, keep going
            replay.errors += 1
            if replay.errors <= 5:
                out.write(f"  (bỏ qua một hồ sơ mẫu: {err.code}: {err.message})")
    report_progress(out, DOSSIERS, DOSSIERS)
    CodeSequence.objects.create(key=MARKER, last=created)
    from tinhso.onestop.tasks import refresh_statistics

    refresh_statistics()
    total = Dossier.objects.count()
    out.write(f"  một cửa: {total} hồ sơ mẫu ({replay.errors} trường hợp bỏ qua)")
