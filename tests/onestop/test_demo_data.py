"""The demo's catalogue and dossiers make sense: fields match subjects, people and dates fit.

The demo files every dossier's e-form with `tinhso.onestop.demo.form_data`; these tests run
it for every procedure of the catalogue the demo imports, for the demo citizens and for a
counter applicant, and check what a reader of the dossier would check.
"""

from __future__ import annotations

import json
import random
import re
from datetime import date, timedelta

import pytest

from tinhso.core.text import fold
from tinhso.onestop import demo, demo_forms, eforms

CATALOG = json.loads(demo.CATALOG.read_text())
PROCEDURES = CATALOG["procedures"]
SUBMITTED = date(2026, 11, 20)

# What a procedure filed under each field is about (words of its name, without accents).
SUBJECTS = {
    "HT": ["khai sinh", "ket hon", "khai tu", "hon nhan", "ho tich", "nhan cha", "giam ho"],
    "CT": ["chung thuc"],
    "LLTP": ["ly lich tu phap"],
    "HKD": ["ho kinh doanh"],
    "DN": ["cong ty", "doanh nghiep"],
    "XD": ["xay dung"],
    "DD": ["dat"],
    "GD": ["van bang", "truong", "giao duc"],
    "LD": ["lao dong", "that nghiep"],
    "BTXH": ["bao tro xa hoi"],
    "YT": ["kham benh", "phong kham"],
    "DUOC": ["duoc"],
    "GTDB": ["lai xe", "xe", "quoc lo", "duong tinh"],
    "VH": ["quang cao", "le hoi", "karaoke"],
    "DL": ["du lich"],
    "TCTN": ["nuoc"],
    "NCC": ["nguoi co cong"],
    "TG": ["tin nguong", "ton giao"],
    "MT": ["moi truong"],
    "QLCL": ["an toan thuc pham", "nong lam thuy san"],
    "CN": ["chan nuoi"],
    "CTRU": ["cu tru"],
    "GN": ["muc song", "ngheo"],
}


def _about(name: str, words: list[str]) -> bool:
    folded = fold(name)
    return any(re.search(rf"\b{re.escape(word)}\b", folded) for word in words)


def test_every_field_of_the_catalogue_says_what_its_procedures_are_about():
    assert {f["code"] for f in CATALOG["fields"]} == set(SUBJECTS)


@pytest.mark.parametrize("procedure", PROCEDURES, ids=lambda p: p["code"])
def test_every_procedure_is_filed_under_the_field_of_its_subject(procedure):
    field = procedure["field"]
    assert _about(procedure["name"], SUBJECTS[field]), (
        f"{procedure['code']} {procedure['name']!r} is filed under {field}"
    )


def test_the_food_safety_certificate_is_not_a_water_resources_procedure():
    food = next(p for p in PROCEDURES if p["code"] == "1.008004")
    fields = {f["code"]: f["name"] for f in CATALOG["fields"]}
    assert fields[food["field"]] == "Quản lý chất lượng nông lâm sản và thủy sản"


# --- the people and dates of the demo's e-forms

CITIZEN_AN = ("Lữ Văn An", "099090000001")  # the demo citizens (directory demo)
CITIZEN_BINH = ("Tôn Thị Bình", "099190000002")


def _applicants():
    rng = random.Random(1)
    return [
        demo_forms.person_from(*CITIZEN_AN, rng),
        demo_forms.person_from(*CITIZEN_BINH, rng),
        demo_forms.adult(rng, on=SUBMITTED, female=True),
        demo_forms.adult(rng, on=SUBMITTED, female=False),
    ]


def _day(value: str) -> date:
    return date.fromisoformat(value)


def _years(older: date, younger: date) -> float:
    return (younger - older).days / 365.25


def test_identity_numbers_say_the_sex_and_birth_year_of_the_demo_citizens():
    an, binh, *_ = _applicants()
    assert an.birth_date.year == 1990 and not an.female
    assert binh.birth_date.year == 1990 and binh.female


@pytest.mark.parametrize("procedure", PROCEDURES, ids=lambda p: p["code"])
@pytest.mark.parametrize("who", range(4), ids=["An", "Binh", "counter-f", "counter-m"])
def test_demo_e_forms_are_valid_and_their_people_and_dates_fit(procedure, who):
    applicant = _applicants()[who]
    schema = procedure["form_schema"]
    rng = random.Random(f"{procedure['code']}-{who}")
    data = demo.form_data(schema, applicant, SUBMITTED, rng, "post")
    eforms.validate_form_data(schema, data)  # raises when a field is not valid

    people = {k: v for k, v in data.items() if isinstance(v, dict) and "full_name" in v}
    for key, part in people.items():
        if "birth_date" in part:
            assert _day(part["birth_date"]) < SUBMITTED, key
        if key in demo_forms.APPLICANT_ROLES:
            assert part["full_name"] == applicant.name, key
            if "citizen_id" in part:
                assert part["citizen_id"] == applicant.id_number, key
    if "delivery" in data:
        assert data["delivery"]["method"] == "post"

    if "child" in data:  # birth registration
        child = data["child"]
        born = _day(child["birth_date"])
        assert child["full_name"] != applicant.name
        assert _years(applicant.birth_date, born) >= 16  # born after the parent, not 1990
        assert SUBMITTED - timedelta(days=60) <= born < SUBMITTED
        parents = data["parents"]
        if data["relationship"] == "cha":
            assert not applicant.female and parents.get("father_name") == applicant.name
            assert parents["mother_name"] != applicant.name
        else:
            assert data["relationship"] == "me"
            assert applicant.female and parents["mother_name"] == applicant.name

    if "deceased" in data:  # death registration, funeral support
        deceased = data["deceased"]
        died = _day(deceased["death_date"])
        assert deceased["full_name"] != applicant.name
        assert died < SUBMITTED
        if "birth_date" in deceased:
            assert _day(deceased["birth_date"]) < died

    if "husband" in data and "wife" in data:  # marriage: the applicant and someone else
        husband, wife = data["husband"], data["wife"]
        assert applicant.name in (husband["full_name"], wife["full_name"])
        assert husband["full_name"] != wife["full_name"]
        assert (wife if applicant.female else husband)["full_name"] == applicant.name
        for spouse in (husband, wife):
            assert _years(_day(spouse["birth_date"]), SUBMITTED) >= 18

    if "other_party" in data:  # recognising a child
        child = data["other_party"]
        assert child["full_name"] != applicant.name
        assert _years(applicant.birth_date, _day(child["birth_date"])) >= 18
        assert data["relationship"] == ("me_con" if applicant.female else "cha_con")

    if "student" in data:
        assert 15 <= _years(_day(data["student"]["birth_date"]), SUBMITTED) < 19

    for key in ("ward", "beneficiary", "transferor", "new_representative"):
        if key in data:
            assert data[key]["full_name"] != applicant.name, key
