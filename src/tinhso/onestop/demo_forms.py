"""Plausible e-form data for the demo's dossiers (used by onestop/demo.py).

The demo's filler gives every required field of a procedure's JSON Schema a valid value;
`make_consistent` then makes the people and dates of a dossier agree with each other:

- the applicant's roles (applicant, owner, investor, representative, parent, organiser,
  the transferee of a land transfer, the husband or wife of a marriage) carry the
  applicant's name, identity number and birth date (read from the number: digit 4 gives
  sex and century, digits 5–6 the year, as on a citizen identity card);
- everyone else (the child of a birth registration, the deceased, the ward, the
  student...) is another person, with a birth or death date that fits: a newborn was
  born after its parent came of age and at most 60 days before the registration, the
  deceased died before it, a student is 15–17, a beneficiary is elderly;
- the applicant's relationship matches the parents' names ("Cha" is the father);
- the result delivery of the form is the one chosen at submission.

`tests/onestop/test_demo_data.py` checks these rules for every procedure of the catalogue.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Phan", "Vũ", "Đặng", "Bùi", "Đỗ", "Hồ"]
MALE_MIDDLE = ["Văn", "Hữu", "Đức", "Minh"]
FEMALE_MIDDLE = ["Thị", "Thu", "Ngọc"]
MALE_GIVEN = ["Dũng", "Hải", "Khoa", "Long", "Bình", "An", "Tuấn", "Quân"]
FEMALE_GIVEN = ["Chi", "Giang", "Hà", "Hạnh", "Lan", "Mai", "Hương", "Yến"]
PROVINCE_ID_PREFIX = "099"  # the demo province's code in identity numbers

APPLICANT_ROLES = {"applicant", "owner", "investor", "representative", "parent", "organiser"}


@dataclass(frozen=True)
class Person:
    name: str
    id_number: str
    birth_date: date
    female: bool


def is_female_name(name: str) -> bool:
    words = name.split()
    return len(words) >= 3 and (words[1] in FEMALE_MIDDLE or words[-1] in FEMALE_GIVEN)


def birth_year(id_number: str) -> int | None:
    """The birth year written in a 12-digit identity number (None if it is not one)."""
    if len(id_number) != 12 or not id_number.isdigit():
        return None
    century = {0: 1900, 1: 1900, 2: 2000, 3: 2000}.get(int(id_number[3]))
    return None if century is None else century + int(id_number[4:6])


def person_from(name: str, id_number: str, rng: random.Random) -> Person:
    """The person a demo account or a counter applicant is (birth date from the number)."""
    year = birth_year(id_number) or 1980
    born = date(year, 1, 1) + timedelta(days=rng.randint(0, 364))
    female = int(id_number[3]) % 2 == 1 if birth_year(id_number) else is_female_name(name)
    return Person(name, id_number, born, female)


def new_person(rng: random.Random, *, female: bool, born: date, surname: str = "") -> Person:
    middle = rng.choice(FEMALE_MIDDLE if female else MALE_MIDDLE)
    given = rng.choice(FEMALE_GIVEN if female else MALE_GIVEN)
    name = f"{surname or rng.choice(SURNAMES)} {middle} {given}"
    return Person(name, id_number(rng, female=female, born=born), born, female)


def id_number(rng: random.Random, *, female: bool, born: date) -> str:
    code = (0 if born.year < 2000 else 2) + (1 if female else 0)
    serial = "".join(str(rng.randint(0, 9)) for _ in range(6))
    return f"{PROVINCE_ID_PREFIX}{code}{born.year % 100:02d}{serial}"


def adult(rng: random.Random, *, on: date, female: bool | None = None) -> Person:
    """A person aged 25–60 on `on`, for the counter."""
    born = on - timedelta(days=rng.randint(25 * 365, 60 * 365))
    return new_person(rng, female=rng.random() < 0.5 if female is None else female, born=born)


def _days_ago(on: date, low: int, high: int, rng: random.Random) -> date:
    return on - timedelta(days=rng.randint(low, high))


def _set_person(node: dict, schema: dict, who: Person) -> None:
    props = schema.get("properties") or {}
    values = {
        "full_name": who.name,
        "citizen_id": who.id_number,
        "birth_date": who.birth_date.isoformat(),
        "gender": "nu" if who.female else "nam",
    }
    for key, value in values.items():
        if key in props and (key in node or key == "birth_date"):
            node[key] = value


def make_consistent(
    schema: dict,
    data: dict,
    *,
    applicant: Person,
    submitted: date,
    rng: random.Random,
    delivery: str | None = None,
) -> dict:
    """Give the filled form `data` one applicant and people and dates that fit (see above)."""
    props = schema.get("properties") or {}

    def node(key: str) -> dict | None:
        value = data.get(key)
        return value if isinstance(value, dict) and key in props else None

    for key in APPLICANT_ROLES | {"transferee"}:
        if (part := node(key)) is not None:
            _set_person(part, props[key], applicant)

    # a marriage: the applicant and a partner of the other sex, both adults
    if node("husband") is not None and node("wife") is not None:
        partner = new_person(
            rng,
            female=not applicant.female,
            born=applicant.birth_date + timedelta(days=rng.randint(-5 * 365, 5 * 365)),
        )
        husband, wife = (partner, applicant) if applicant.female else (applicant, partner)
        _set_person(data["husband"], props["husband"], husband)
        _set_person(data["wife"], props["wife"], wife)

    # a birth registration: the applicant is the father or the mother of a newborn
    if (child := node("child")) is not None:
        born = _days_ago(submitted, 1, 55, rng)
        surname = applicant.name.split()[0]
        baby = new_person(rng, female=rng.random() < 0.5, born=born, surname=surname)
        _set_person(child, props["child"], baby)
        if "relationship" in props:
            data["relationship"] = "me" if applicant.female else "cha"
        parents = node("parents")
        if parents is not None:
            other = new_person(
                rng,
                female=not applicant.female,
                born=applicant.birth_date + timedelta(days=rng.randint(-3 * 365, 3 * 365)),
                surname=surname if applicant.female else "",
            )
            mother, father = (applicant, other) if applicant.female else (other, applicant)
            parents["mother_name"] = mother.name
            parent_props = props["parents"].get("properties") or {}
            if "father_name" in parent_props:
                parents["father_name"] = father.name

    # someone who died (death registration, funeral support): days before the dossier
    if (deceased := node("deceased")) is not None:
        died = _days_ago(submitted, 1, 14, rng)
        born = died - timedelta(days=rng.randint(60 * 365, 90 * 365))
        _set_person(
            deceased, props["deceased"], new_person(rng, female=rng.random() < 0.5, born=born)
        )
        deceased["death_date"] = died.isoformat()
        if "relationship" in props:
            data["relationship"] = "nguoi_than"

    ages = {  # (youngest, oldest) in years on the day of the dossier
        "other_party": None,  # recognising a child: born after the applicant came of age
        "ward": (3, 15),
        "student": (15, 17),
        "beneficiary": (80, 90),
        "transferor": (30, 70),
        "new_representative": (25, 60),
    }
    for key, span in ages.items():
        if (part := node(key)) is None:
            continue
        if span is None:
            earliest = applicant.birth_date + timedelta(days=18 * 365)
            born = earliest + timedelta(days=rng.randint(0, max(1, (submitted - earliest).days)))
            born = min(born, submitted - timedelta(days=30))
        else:
            born = submitted - timedelta(days=rng.randint(span[0] * 365 + 1, span[1] * 365 + 300))
        surname = applicant.name.split()[0] if key in ("other_party", "student") else ""
        _set_person(
            part, props[key], new_person(rng, female=rng.random() < 0.5, born=born, surname=surname)
        )
    if node("other_party") is not None and "relationship" in props:
        data["relationship"] = "me_con" if applicant.female else "cha_con"

    if delivery and (part := node("delivery")) is not None:
        allowed = ((props["delivery"].get("properties") or {}).get("method") or {}).get("enum")
        if not allowed or delivery in allowed:
            part["method"] = delivery
    return data
