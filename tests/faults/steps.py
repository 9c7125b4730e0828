"""Steps of the kill -9 tests, run inside the instance's environment (its DATABASE_URL and
TINHSO_VAR_DIR): `python -m tests.faults.steps <step> [args]`. Each prints one JSON
object. The data is made through the same services a person's actions go through."""

from __future__ import annotations

import json
import os
import sys
from decimal import Decimal

import django

AGENCY = "H41.15"  # the one-stop department
PROCEDURE = "1.001193"


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tinhso.settings")
    django.setup()


def _official(username: str, agency, *roles: str):
    from tinhso.accounts.models import RoleGrant, User

    user = User.objects.create_user(
        username=username, full_name=username, kind=User.Kind.OFFICIAL, password=None
    )
    for role in roles:
        RoleGrant.objects.create(user=user, agency=agency, role=role)
    return user


def _token(user) -> str:
    from tinhso.accounts.services import issue_token

    return issue_token(user=user, days=1, name="kill-test")


def seed() -> dict:
    """The one-stop department with its officer, specialist and leader, a procedure with a
    three-step process, and two offices (H99.10, H99.20) with clerks; API tokens."""
    from tests.documents.conftest import make_office
    from tinhso.accounts.models import Role
    from tinhso.directory.models import Agency
    from tinhso.onestop.models import Field, Procedure, ProcessStep, ProcessTemplate, RequiredPaper

    province = Agency.objects.create(code="H41", legacy_code="000.00.00.H41", name="UBND tỉnh")
    dept = Agency.objects.create(
        code=AGENCY, legacy_code="000.00.15.H41", name="Sở Tư pháp", parent=province
    )
    officer = _official("motcua.stp", dept, Role.ONESTOP_OFFICER)
    specialist = _official("chuyenvien.stp", dept, Role.SPECIALIST)
    _official("lanhdao.stp", dept, Role.LEADER)
    field = Field.objects.create(code="HT", name="Hộ tịch")
    procedure = Procedure.objects.create(
        code=PROCEDURE,
        name="Cấp bản sao trích lục hộ tịch",
        field=field,
        agency=dept,
        processing_days=Decimal("5"),
        fee_vnd=0,
        online_type="full",
        form_schema={
            "type": "object",
            "required": ["ho_ten"],
            "properties": {"ho_ten": {"type": "string", "title": "Họ và tên", "minLength": 2}},
        },
    )
    paper = RequiredPaper.objects.create(
        procedure=procedure, order=1, name="Tờ khai", is_required=True, is_eform=True
    )
    template = ProcessTemplate.objects.create(procedure=procedure, name="QT")
    for order, (name, kind, role, days) in enumerate(
        [
            ("Tiếp nhận, chuyển hồ sơ", "reception", Role.ONESTOP_OFFICER, "0.5"),
            ("Thẩm định hồ sơ", "processing", Role.SPECIALIST, "3.5"),
            ("Phê duyệt", "approval", Role.LEADER, "1"),
        ],
        start=1,
    ):
        ProcessStep.objects.create(
            template=template, order=order, name=name, kind=kind, role=role, budget_days=days
        )
    tokens = {"officer": _token(officer), "specialist": _token(specialist)}
    for code, short, prefix in (("H99.10", "STTTT", "s1"), ("H99.20", "STC", "s2")):
        office = make_office(code, f"Sở {short}", short, prefix)
        tokens[f"clerk_{code}"] = _token(office.clerk)
    return {"tokens": tokens, "paper": paper.pk}


def dossiers(count: str, label: str) -> dict:
    """`count` dossiers submitted online by citizens (with e-mail and phone), waiting at
    the one-stop desk; returns their UIDs."""
    import io

    from pypdf import PdfWriter

    from tinhso.accounts.models import User
    from tinhso.onestop import services
    from tinhso.onestop.models import Procedure

    procedure = Procedure.objects.get(code=PROCEDURE)
    paper = procedure.papers.get()
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    uids = []
    for i in range(int(count)):
        citizen = User.objects.create_user(
            username=f"{label}{i}",
            full_name=f"Nguyễn Văn {label.upper()} {i}",
            phone=f"09{len(label):02d}{i:06d}",
            email=f"{label}{i}@example.vn",
        )
        upload = io.BytesIO(buffer.getvalue())
        upload.name = "to-khai.pdf"
        dossier = services.submit_dossier(
            user=citizen,
            procedure=procedure,
            form_data={"ho_ten": citizen.full_name},
            attachments=[services.Attachment(file=upload, paper=paper)],
        )
        uids.append(str(dossier.uid))
    return {"dossiers": uids}


def signed(agency_code: str, count: str) -> dict:
    """`count` outgoing documents of the office, drafted, reviewed and signed by its leader:
    ready for the clerk to number. Returns their UIDs."""
    from tests.documents.conftest import make_pdf
    from tinhso.accounts.models import User
    from tinhso.directory.models import Agency
    from tinhso.documents import services

    agency = Agency.objects.get(code=agency_code)
    prefix = {"H99.10": "s1", "H99.20": "s2"}[agency_code]
    specialist = User.objects.get(username=f"{prefix}_specialist")
    leader = User.objects.get(username=f"{prefix}_leader")
    pdf = make_pdf("Về việc thử nghiệm cấp số khi tiến trình bị dừng đột ngột")
    uids = []
    for i in range(int(count)):
        doc = services.create_draft(
            actor=specialist,
            agency=agency,
            doc_type="cv",
            subject=f"Về việc thử nghiệm cấp số {i}",
            pdf=pdf,
            external_recipients=[("Ủy ban nhân dân tỉnh", "000.00.00.H41")],
        )
        services.submit_for_review(actor=specialist, document=doc, signer=leader)
        services.sign_outgoing(actor=leader, document=doc, digital=False)
        uids.append(str(doc.uid))
    return {"documents": uids}


def messages(count: str, label: str) -> dict:
    """`count` SMS messages put in the outbox, each in its own transaction (as the
    use-cases that cause them do); delivery is the worker's."""
    from django.db import transaction

    from tinhso.notify.services import enqueue

    uids = []
    for i in range(int(count)):
        with transaction.atomic():
            message = enqueue(
                channel="sms",
                address=f"09{i:08d}",
                template="kill-test",
                context={"text": f"Tin nhắn {label} số {i}"},
                related_object=label,
            )
        uids.append(str(message.uid))
    return {"messages": uids}


def file_columns() -> dict:
    """(table, column) of every FileField of every installed model: where rows name the
    files they own."""
    from django.apps import apps
    from django.db import models

    columns = []
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        for f in model._meta.concrete_fields:
            if isinstance(f, models.FileField):
                columns.append((model._meta.db_table, f.column))
    return {"columns": columns}


STEPS = {
    "seed": seed,
    "dossiers": dossiers,
    "signed": signed,
    "messages": messages,
    "file_columns": file_columns,
}


if __name__ == "__main__":
    _setup()
    print(json.dumps(STEPS[sys.argv[1]](*sys.argv[2:])))
