"""Counter reception as one form: the citizen looked up by ID number, the applicant and the
delivery asked once (in the e-form), the procedure's papers ticked as handed in with their
originals and copies, required papers enforced by name, and form 01 printing them."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader
from rest_framework.test import APIClient

from tinhso.accounts.middleware import SESSION_KEY
from tinhso.accounts.models import Role
from tinhso.audit.models import AuditEntry
from tinhso.core.errors import PermissionDenied, ValidationFailed
from tinhso.onestop import services
from tinhso.onestop.models import (
    Dossier,
    IssuedForm,
    Procedure,
    ProcessStep,
    ProcessTemplate,
    ReceivedPaper,
    RequiredPaper,
)
from tinhso.onestop.services.forms_issued import render_issued_form

from .conftest import pdf_file, submit

pytestmark = pytest.mark.django_db

ID = "001090001234"  # world.citizen's ID number

SCHEMA = {
    "type": "object",
    "required": ["applicant", "delivery"],
    "properties": {
        "applicant": {
            "type": "object",
            "title": "Người yêu cầu",
            "required": ["full_name", "citizen_id"],
            "properties": {
                "full_name": {"type": "string", "title": "Họ và tên", "minLength": 2},
                "citizen_id": {
                    "type": "string",
                    "title": "Số định danh cá nhân",
                    "pattern": "^[0-9]{12}$",
                },
                "phone": {"type": "string", "title": "Số điện thoại"},
                "address": {"type": "string", "title": "Nơi cư trú"},
            },
        },
        "delivery": {
            "type": "object",
            "title": "Nhận kết quả",
            "required": ["method"],
            "properties": {
                "method": {
                    "type": "string",
                    "title": "Hình thức nhận kết quả",
                    "enum": ["counter", "online", "post"],
                    "x-enum-titles": ["Tại Bộ phận Một cửa", "Trực tuyến", "Qua bưu chính"],
                },
                "post_address": {"type": "string", "title": "Địa chỉ nhận qua bưu chính"},
            },
        },
    },
}


class Birth:
    pass


@pytest.fixture
def birth(world) -> Birth:
    """A birth registration: a declaration (the e-form), a required birth certificate and
    an optional ID copy, at the justice department of the small province."""
    b = Birth()
    b.w = world
    b.procedure = Procedure.objects.create(
        code="1.001194",
        name="Đăng ký khai sinh",
        field=world.field,
        agency=world.dept,
        processing_days=Decimal("3"),
        form_schema=SCHEMA,
    )
    b.declaration = RequiredPaper.objects.create(
        procedure=b.procedure, order=1, name="Tờ khai đăng ký khai sinh", is_eform=True
    )
    b.certificate = RequiredPaper.objects.create(
        procedure=b.procedure, order=2, name="Giấy chứng sinh", copies_original=1
    )
    b.id_copy = RequiredPaper.objects.create(
        procedure=b.procedure,
        order=3,
        name="Giấy tờ tùy thân của người yêu cầu",
        is_required=False,
        copies_original=0,
        copies_copy=1,
    )
    template = ProcessTemplate.objects.create(procedure=b.procedure, name="QT")
    for order, (name, role, days) in enumerate(
        [("Tiếp nhận", Role.ONESTOP_OFFICER, "0.5"), ("Xử lý", Role.SPECIALIST, "2.5")], start=1
    ):
        ProcessStep.objects.create(
            template=template, order=order, name=name, role=role, budget_days=Decimal(days)
        )
    return b


def _form(name="Lê Thị Hoa", method="counter", **applicant) -> dict:
    person = {"full_name": name, "citizen_id": "001190007777", "phone": "0905111222"}
    person.update(applicant)
    return {"applicant": person, "delivery": {"method": method}}


def _login(client: Client, user) -> None:
    client.force_login(user)
    if user.needs_second_factor:
        session = client.session
        session[SESSION_KEY] = True
        session.save()


def _form_01_text(dossier) -> str:
    form = IssuedForm.objects.get(dossier=dossier, number="01")
    render_issued_form(form.pk)
    form.refresh_from_db()
    reader = PdfReader(io.BytesIO(form.file.read()))
    return " ".join(" ".join(p.extract_text() for p in reader.pages).split())


# ---------------------------------------------------------------------------------------
# The service


def test_the_papers_ticked_with_their_copies_are_recorded_and_printed_on_form_01(birth):
    b = birth
    dossier = services.receive_counter_dossier(
        officer=b.w.officer,
        procedure=b.procedure,
        applicant_name="",
        form_data=_form(),
        papers_received=[
            services.PaperReceived(b.declaration, 1, 0),
            services.PaperReceived(b.certificate, 1, 2),
            services.PaperReceived(b.id_copy, 0, 1),
        ],
    )
    assert dossier.state == "accepted"
    rows = list(
        ReceivedPaper.objects.filter(dossier=dossier).values_list("name", "originals", "copies")
    )
    assert rows == [
        ("Tờ khai đăng ký khai sinh", 1, 0),
        ("Giấy chứng sinh", 1, 2),
        ("Giấy tờ tùy thân của người yêu cầu", 0, 1),
    ]
    text = _form_01_text(dossier)
    assert "1) Tờ khai đăng ký khai sinh — 1 bản chính" in text
    assert "2) Giấy chứng sinh — 1 bản chính, 2 bản sao" in text
    assert "3) Giấy tờ tùy thân của người yêu cầu — 1 bản sao" in text


def test_a_required_paper_not_handed_in_is_named_and_nothing_is_received(birth):
    b = birth
    with pytest.raises(ValidationFailed) as err:
        services.receive_counter_dossier(
            officer=b.w.officer,
            procedure=b.procedure,
            applicant_name="",
            form_data=_form(),
            papers_received=[services.PaperReceived(b.id_copy, 0, 1)],
            attachments=[services.Attachment(file=pdf_file(), paper=b.id_copy)],
        )
    assert err.value.code == "missing_papers"
    assert err.value.details == {"missing": ["Giấy chứng sinh"]}
    assert "“Giấy chứng sinh”" in err.value.message and "Mẫu 02" in err.value.message
    assert not Dossier.objects.exists() and not ReceivedPaper.objects.exists()
    # a scan of the paper counts as the paper handed in (its usual number of copies)
    dossier = services.receive_counter_dossier(
        officer=b.w.officer,
        procedure=b.procedure,
        applicant_name="",
        form_data=_form(),
        attachments=[services.Attachment(file=pdf_file(), paper=b.certificate)],
    )
    assert dossier.received_papers.get().originals == 1


def test_entered_without_every_paper_the_dossier_cannot_be_accepted_until_completed(birth):
    b = birth
    dossier = services.receive_counter_dossier(
        officer=b.w.officer,
        procedure=b.procedure,
        applicant_name="",
        form_data=_form(),
        accept=False,
    )
    with pytest.raises(ValidationFailed) as err:
        services.accept_dossier(officer=b.w.officer, dossier=dossier)
    assert err.value.code == "missing_papers" and "Giấy chứng sinh" in err.value.message
    dossier.refresh_from_db()
    assert dossier.state == "submitted" and not dossier.code


@pytest.mark.parametrize(("originals", "copies"), [(0, 0), (100, 0), (1, -1), ("một", 0)], ids=str)
def test_paper_counts_are_bounded_and_the_error_names_the_paper(birth, originals, copies):
    b = birth
    with pytest.raises(ValidationFailed) as err:
        services.receive_counter_dossier(
            officer=b.w.officer,
            procedure=b.procedure,
            applicant_name="",
            form_data=_form(),
            papers_received=[services.PaperReceived(b.certificate, originals, copies)],
        )
    assert err.value.code == "paper_count_invalid"
    assert "“Giấy chứng sinh”" in err.value.message
    assert not Dossier.objects.exists()


def test_a_paper_of_another_procedure_or_listed_twice_is_refused(birth):
    b = birth
    for papers, code in (
        ([services.PaperReceived(b.w.paper)], "paper_not_in_procedure"),
        (
            [services.PaperReceived(b.certificate), services.PaperReceived(b.certificate)],
            "paper_listed_twice",
        ),
    ):
        with pytest.raises(ValidationFailed) as err:
            services.receive_counter_dossier(
                officer=b.w.officer,
                procedure=b.procedure,
                applicant_name="",
                form_data=_form(),
                papers_received=papers,
            )
        assert err.value.code == code


def test_the_e_form_is_the_one_answer_for_the_applicant_and_the_delivery(birth):
    b = birth
    dossier = services.receive_counter_dossier(
        officer=b.w.officer,
        procedure=b.procedure,
        applicant_name="",
        form_data=_form(method="post", address="12 Lê Lợi, phường Sông Lam"),
        return_method="counter",  # an old client's second answer does not win
        papers_received=[services.PaperReceived(b.certificate)],
    )
    assert (dossier.applicant_name, dossier.applicant_id_number, dossier.applicant_phone) == (
        "Lê Thị Hoa",
        "001190007777",
        "0905111222",
    )
    assert dossier.return_method == "post"
    assert dossier.applicant_address == "12 Lê Lợi, phường Sông Lam"
    text = _form_01_text(dossier)
    assert "Hình thức nhận kết quả: Nhận qua dịch vụ bưu chính" in text
    assert "Lê Thị Hoa" in text and "001190007777" in text


# ---------------------------------------------------------------------------------------
# Looking the citizen up by ID number


def test_looking_up_a_citizen_finds_their_account_and_is_audited(birth):
    w = birth.w
    found = services.look_up_citizen(officer=w.officer, id_number=f" {ID} ")
    assert (found.name, found.phone, found.account) == ("Nguyễn Văn A", "0912345678", w.citizen)
    entry = AuditEntry.objects.get(action="onestop.look_up_citizen")
    assert entry.actor_id == w.officer.pk and ID not in str(entry.summary) + entry.object_id
    # an earlier dossier at this desk gives the address too
    submit(w, applicant_address="5 Lam Giang, phường Sông Lam")
    assert services.look_up_citizen(officer=w.officer, id_number=ID).address == (
        "5 Lam Giang, phường Sông Lam"
    )
    assert services.look_up_citizen(officer=w.officer, id_number="099999999999") is None


def test_only_one_stop_officers_look_citizens_up_and_only_by_a_12_digit_number(birth):
    w = birth.w
    with pytest.raises(PermissionDenied):
        services.look_up_citizen(officer=w.specialist, id_number=ID)
    with pytest.raises(PermissionDenied):
        services.look_up_citizen(officer=w.citizen2, id_number=ID)
    for bad in ("12345", "00109000123x", "0010900012345"):
        with pytest.raises(ValidationFailed) as err:
            services.look_up_citizen(officer=w.officer, id_number=bad)
        assert err.value.code == "invalid_citizen_id"


def test_a_counter_dossier_is_linked_to_an_account_only_with_the_same_id_number(birth):
    b = birth
    with pytest.raises(ValidationFailed) as err:
        services.receive_counter_dossier(
            officer=b.w.officer,
            procedure=b.procedure,
            applicant_name="",
            applicant=b.w.citizen2,  # someone else's account
            form_data=_form(name="Nguyễn Văn A", citizen_id=ID),
            papers_received=[services.PaperReceived(b.certificate)],
        )
    assert err.value.code == "applicant_account_mismatch"
    dossier = services.receive_counter_dossier(
        officer=b.w.officer,
        procedure=b.procedure,
        applicant_name="",
        applicant=b.w.citizen,
        form_data=_form(name="Nguyễn Văn A", citizen_id=ID),
        papers_received=[services.PaperReceived(b.certificate)],
    )
    assert dossier.applicant == b.w.citizen


# ---------------------------------------------------------------------------------------
# The page


def _post(b, **extra) -> dict:
    data = {
        "procedure": b.procedure.code,
        "ef-applicant.full_name": "Lê Thị Hoa",
        "ef-applicant.citizen_id": "001190007777",
        "ef-applicant.phone": "0905111222",
        "ef-delivery.method": "counter",
        f"recv-{b.declaration.pk}": "1",
        f"orig-{b.declaration.pk}": "1",
        f"copy-{b.declaration.pk}": "0",
    }
    data.update(extra)
    return data


def test_the_counter_form_asks_the_applicant_and_the_delivery_once(client, birth):
    b = birth
    _login(client, b.w.officer)
    page = client.get(reverse("onestop:counter"), {"procedure": b.procedure.code}).content.decode()
    assert 'name="ef-applicant.full_name"' in page and 'name="ef-delivery.method"' in page
    assert 'name="applicant_name"' not in page and 'name="applicant_id_number"' not in page
    assert 'name="return_method"' not in page
    assert 'name="applicant_email"' in page  # the e-form does not ask it
    # the checklist: every paper of the procedure, the declaration already ticked
    for paper in (b.declaration, b.certificate, b.id_copy):
        assert f'name="recv-{paper.pk}"' in page and f'name="copy-{paper.pk}"' in page
    assert f'id="recv-{b.declaration.pk}" checked' in page
    assert f'id="recv-{b.certificate.pk}" checked' not in page


def test_a_missing_paper_is_named_on_the_page_and_what_was_typed_is_kept(client, birth):
    b = birth
    _login(client, b.w.officer)
    response = client.post(
        reverse("onestop:counter"),
        _post(b, **{f"recv-{b.id_copy.pk}": "1", f"copy-{b.id_copy.pk}": "2"}),
    )
    assert response.status_code == 200 and not Dossier.objects.exists()
    page = response.content.decode()
    assert "Chưa nhận đủ giấy tờ bắt buộc: “Giấy chứng sinh”" in page
    assert f'id="recv-{b.certificate.pk}-error"' in page
    assert 'value="Lê Thị Hoa"' in page  # the e-form kept
    assert f'id="recv-{b.id_copy.pk}" checked' in page and 'value="2"' in page


def test_the_officer_receives_with_the_checklist_and_gets_form_01(client, birth):
    b = birth
    _login(client, b.w.officer)
    response = client.post(
        reverse("onestop:counter"),
        _post(
            b,
            **{
                f"recv-{b.certificate.pk}": "1",
                f"orig-{b.certificate.pk}": "1",
                f"copy-{b.certificate.pk}": "1",
                f"paper-{b.certificate.pk}": pdf_file("chung-sinh.pdf"),
            },
        ),
    )
    dossier = Dossier.objects.get()
    assert response.status_code == 302 and dossier.state == "accepted"
    assert dossier.applicant_name == "Lê Thị Hoa" and dossier.return_method == "counter"
    assert list(dossier.received_papers.values_list("name", "originals", "copies")) == [
        ("Tờ khai đăng ký khai sinh", 1, 0),
        ("Giấy chứng sinh", 1, 1),
    ]
    assert "Giấy chứng sinh — 1 bản chính, 1 bản sao" in _form_01_text(dossier)


def test_a_bad_count_on_the_page_marks_the_paper(client, birth):
    b = birth
    _login(client, b.w.officer)
    response = client.post(
        reverse("onestop:counter"),
        _post(b, **{f"recv-{b.certificate.pk}": "1", f"orig-{b.certificate.pk}": "abc"}),
    )
    assert response.status_code == 200 and not Dossier.objects.exists()
    assert f'id="recv-{b.certificate.pk}-error"' in response.content.decode()


def test_the_look_up_fills_the_form_and_links_the_dossier_to_the_citizen(client, birth):
    b = birth
    _login(client, b.w.officer)
    page = client.get(
        reverse("onestop:counter"), {"procedure": b.procedure.code, "cccd": ID}
    ).content.decode()
    assert 'data-testid="citizen-found"' in page
    assert 'value="Nguyễn Văn A"' in page and f'value="{ID}"' in page
    assert f'name="applicant_account" value="{b.w.citizen.uid}"' in page
    client.post(
        reverse("onestop:counter"),
        _post(
            b,
            applicant_account=str(b.w.citizen.uid),
            **{
                "ef-applicant.full_name": "Nguyễn Văn A",
                "ef-applicant.citizen_id": ID,
                f"recv-{b.certificate.pk}": "1",
            },
        ),
    )
    dossier = Dossier.objects.get()
    assert dossier.applicant == b.w.citizen
    _login(client, b.w.citizen)
    assert dossier.code in client.get(reverse("onestop:my_dossiers")).content.decode()


def test_a_bad_id_number_in_the_look_up_is_shown_on_the_field(client, birth):
    b = birth
    _login(client, b.w.officer)
    page = client.get(
        reverse("onestop:counter"), {"procedure": b.procedure.code, "cccd": "12ab"}
    ).content.decode()
    assert "phải gồm đúng 12 chữ số" in page
    assert not AuditEntry.objects.filter(action="onestop.look_up_citizen").exists()


def test_the_api_receives_with_the_paper_checklist(birth):
    b = birth
    api = APIClient()
    api.force_authenticate(b.w.officer)
    body = {"procedure": b.procedure.code, "form_data": _form()}
    missing = api.post("/api/v1/onestop/counter-dossiers/", body, format="json")
    assert missing.status_code == 400 and missing.json()["code"] == "missing_papers"
    body["papers_received"] = [{"paper": b.certificate.pk, "originals": 1, "copies": 2}]
    created = api.post("/api/v1/onestop/counter-dossiers/", body, format="json")
    assert created.status_code == 201, created.json()
    dossier = Dossier.objects.get(uid=created.json()["uid"])
    assert dossier.received_papers.get().copies == 2
