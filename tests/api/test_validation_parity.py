"""Item 9 of the hardening issue: the API accepted what the pages refuse. One validation
path now serves both (the service checks the agency and the e-mail; the API's inputs
have the bounds of the columns, as the forms do)."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

from tinhso.core.errors import ValidationFailed
from tinhso.onestop import services
from tinhso.onestop.models import Dossier

pytestmark = pytest.mark.django_db


def _client(world, who: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {world.tokens[who]}")
    return client


def _refused_field(response) -> str:
    """The field a 400 names: `details.field` (text too long, as the service says it) or
    the key of a field-by-field validation error."""
    assert response.status_code == 400, response.content[:300]
    details = response.json()["details"]
    return details["field"] if "field" in details else next(iter(details))


def _submit(world, **body):
    data = {"procedure": "2.000001", "form_data": {}, **body}
    return _client(world, "citizen").post("/api/v1/onestop/dossiers/", data, format="json")


def test_a_commune_procedure_sent_to_a_department_is_refused_by_the_api(api_world):
    before = Dossier.objects.count()
    response = _submit(api_world, agency="H57.01")
    assert response.status_code == 400, response.json()
    assert response.json()["code"] == "agency_mismatch"
    assert Dossier.objects.count() == before
    # the commune itself is accepted
    assert _submit(api_world, agency="H57.02.01").status_code == 201


def test_a_commune_procedure_sent_to_a_department_is_refused_by_the_service(api_world):
    with pytest.raises(ValidationFailed) as refused:
        services.submit_dossier(
            user=api_world.citizen,
            procedure=api_world.objects["commune_procedure"],
            form_data={},
            agency=api_world.dept,
        )
    assert refused.value.code == "agency_mismatch"


def test_the_submit_page_offers_the_same_agencies_the_service_accepts(api_world):
    from tinhso.onestop.selectors import competent_agencies

    client = Client()
    client.force_login(api_world.citizen)
    html = client.get("/onestop/thu-tuc/2.000001/nop-ho-so/").content.decode()
    assert "H57.02.01" in html and 'value="H57.01"' not in html
    assert list(competent_agencies(api_world.objects["commune_procedure"])) == [api_world.commune]
    response = client.post("/onestop/thu-tuc/2.000001/nop-ho-so/", {"agency": "H57.01"})
    assert response.status_code == 200  # the form again, with the error
    assert not Dossier.objects.filter(procedure__code="2.000001").exists()


@pytest.mark.parametrize("email", ["not-an-email", "a@b", "x" * 300 + "@example.com"])
def test_an_invalid_email_is_refused_by_the_api_and_the_service(api_world, email):
    response = _submit(api_world, agency="H57.02.01", applicant_email=email)
    assert _refused_field(response) == "applicant_email"
    with pytest.raises(ValidationFailed) as refused:
        services.submit_dossier(
            user=api_world.citizen,
            procedure=api_world.objects["commune_procedure"],
            form_data={},
            agency=api_world.commune,
            applicant_email=email,
        )
    assert refused.value.code in ("invalid_email", "text_too_long")


def test_names_longer_than_the_column_are_refused_by_the_api_as_by_the_counter_form(api_world):
    from tinhso.onestop.forms import CounterApplicantForm

    long_name = "Nguyễn " * 20_000  # 140,000 characters
    response = _client(api_world, "official").post(
        "/api/v1/onestop/counter-dossiers/",
        {"procedure": "1.001193", "applicant_name": long_name},
        format="json",
    )
    assert _refused_field(response) == "applicant_name"
    assert response.json()["code"] == "text_too_long"  # the service's own code for it
    assert not CounterApplicantForm(
        {"applicant_name": long_name, "return_method": "counter"}
    ).is_valid()
    response = _submit(api_world, agency="H57.02.01", applicant_address="x" * 100_000)
    assert _refused_field(response) == "applicant_address"


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/api/v1/onestop/procedures/", {"online_type": "AAA"}),
        ("/api/v1/onestop/procedures/", {"level": "galaxy"}),
        ("/api/v1/onestop/dossiers/", {"queue": "everything"}),
        ("/api/v1/documents/incoming", {"status": "burnt"}),
        ("/api/v1/directory/admin-units", {"level": ""}),
        ("/api/v1/documents/registers", {"year": "null"}),
    ],
)
def test_choice_parameters_outside_their_enum_are_refused(api_world, path, params):
    response = _client(api_world, "admin").get(path, params)
    assert response.status_code == 400, response.content[:300]
    assert response.json()["code"] == "validation_failed"
    assert set(params) <= set(response.json()["details"])
