"""E-forms: accessible rendering and Vietnamese validation messages per field."""

from __future__ import annotations

import re

import pytest
from django.http import QueryDict

from tinhso.core.errors import ValidationFailed
from tinhso.onestop.eforms import (
    normalise_schema,
    parse_form_data,
    render_form,
    schema_problems,
    summarise,
    validate_form_data,
)

SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "title": "Tờ khai đăng ký khai sinh",
    "properties": {
        "applicant": {
            "type": "object",
            "title": "Người đi đăng ký",
            "properties": {
                "full_name": {
                    "type": "string",
                    "title": "Họ, chữ đệm, tên",
                    "minLength": 2,
                    "maxLength": 100,
                },
                "citizen_id": {
                    "type": "string",
                    "title": "Số định danh cá nhân",
                    "description": "Gồm 12 chữ số trên căn cước",
                    "pattern": "^[0-9]{12}$",
                },
            },
            "required": ["full_name", "citizen_id"],
        },
        "child_birth_date": {"type": "string", "format": "date", "title": "Ngày sinh"},
        "gender": {
            "type": "string",
            "title": "Giới tính",
            "enum": ["nam", "nu"],
            "x-enum-titles": ["Nam", "Nữ"],
        },
        "copies": {"type": "integer", "title": "Số bản sao", "minimum": 0, "maximum": 10},
        "weight_kg": {"type": "number", "title": "Cân nặng (kg)", "minimum": 0.5},
        "agree": {"type": "boolean", "title": "Tôi cam đoan nội dung khai là đúng sự thật"},
        "notes": {"type": "array", "title": "Ghi chú", "items": {"type": "string"}},
    },
    "required": ["applicant", "child_birth_date", "gender", "agree"],
}


def _html_ids(html: str) -> set[str]:
    return set(re.findall(r'<(?:input|select|textarea)[^>]* id="([^"]+)"', html))


def test_every_input_has_a_label_and_groups_are_fieldsets():
    html = str(render_form(SCHEMA))
    ids = _html_ids(html)
    assert len(ids) == 8
    labels = set(re.findall(r'<label[^>]* for="([^"]+)"', html))
    assert ids <= labels
    assert "<fieldset" in html and "Người đi đăng ký</legend>" in html
    assert 'name="ef-applicant.full_name"' in html
    assert 'type="date"' in html and 'type="number"' in html and "<select" in html
    assert "Nữ</option>" in html


def test_help_and_errors_are_announced_through_aria_describedby():
    html = str(
        render_form(
            SCHEMA,
            {"applicant": {"full_name": "A"}},
            {"applicant.full_name": ["Phải có ít nhất 2 ký tự."]},
        )
    )
    field = re.search(r'<input[^>]*id="ef-applicant-full_name"[^>]*>', html).group(0)
    assert 'aria-describedby="ef-applicant-full_name-error"' in field
    assert 'aria-invalid="true"' in field
    assert 'id="ef-applicant-full_name-error"' in html
    cid = re.search(r'<input[^>]*id="ef-applicant-citizen_id"[^>]*>', html).group(0)
    assert 'aria-describedby="ef-applicant-citizen_id-help"' in cid
    assert 'value="A"' in field


def test_missing_required_fields_get_vietnamese_messages_per_field():
    with pytest.raises(ValidationFailed) as exc:
        validate_form_data(SCHEMA, {"applicant": {"full_name": "  "}})
    fields = exc.value.details["fields"]
    assert fields["applicant.full_name"] == ["Trường này là bắt buộc."]
    assert fields["applicant.citizen_id"] == ["Trường này là bắt buộc."]
    assert fields["child_birth_date"] == ["Trường này là bắt buộc."]
    assert exc.value.code == "eform_invalid"


def test_length_pattern_date_range_and_type_messages():
    with pytest.raises(ValidationFailed) as exc:
        validate_form_data(
            SCHEMA,
            {
                "applicant": {"full_name": "A", "citizen_id": "12345"},
                "child_birth_date": "2024-02-30",
                "gender": "khac",
                "copies": 11,
                "weight_kg": "nặng",
                "agree": True,
            },
        )
    fields = exc.value.details["fields"]
    assert fields["applicant.full_name"] == ["Phải có ít nhất 2 ký tự."]
    assert fields["applicant.citizen_id"] == ["Không đúng định dạng."]
    assert fields["child_birth_date"] == ["Ngày không hợp lệ (định dạng ngày/tháng/năm)."]
    assert fields["gender"] == ["Giá trị không nằm trong danh sách được chọn."]
    assert fields["copies"] == ["Phải nhỏ hơn hoặc bằng 10."]
    assert fields["weight_kg"] == ["Phải là số."]


def test_valid_data_is_cleaned_of_unknown_keys_and_blanks():
    data = validate_form_data(
        SCHEMA,
        {
            "applicant": {"full_name": " Nguyễn Văn An ", "citizen_id": "001203004567"},
            "child_birth_date": "2025-06-01",
            "gender": "nu",
            "agree": True,
            "copies": 2,
            "notes": ["", "  a  "],
            "injected": "<script>",
        },
    )
    assert data["applicant"]["full_name"] == "Nguyễn Văn An"
    assert "injected" not in data
    assert data["notes"] == ["a"]


def test_html_post_is_coerced_to_schema_types():
    post = QueryDict(mutable=True)
    post.update(
        {
            "ef-applicant.full_name": "Trần Thị Bình",
            "ef-applicant.citizen_id": "001203004567",
            "ef-child_birth_date": "2025-06-01",
            "ef-gender": "nam",
            "ef-copies": "3",
            "ef-weight_kg": "3,2",
            "ef-agree": "on",
            "ef-notes": "dòng 1\r\ndòng 2",
        }
    )
    data = validate_form_data(SCHEMA, parse_form_data(SCHEMA, post))
    assert data["copies"] == 3 and data["weight_kg"] == 3.2 and data["agree"] is True
    assert data["notes"] == ["dòng 1", "dòng 2"]
    rows = dict(summarise(SCHEMA, data))
    assert rows["Người đi đăng ký — Họ, chữ đệm, tên"] == "Trần Thị Bình"
    assert rows["Giới tính"] == "Nam" and rows["Ngày sinh"] == "01/06/2025"


def test_unchecked_checkbox_is_false_and_an_empty_group_reports_its_fields():
    post = QueryDict("ef-gender=nam&ef-child_birth_date=2025-01-01")
    with pytest.raises(ValidationFailed) as exc:
        validate_form_data(SCHEMA, parse_form_data(SCHEMA, post))
    fields = exc.value.details["fields"]
    assert "agree" not in fields
    assert fields["applicant.full_name"] == ["Trường này là bắt buộc."]


def test_a_schema_is_checked_against_the_meta_schema_once_and_each_caller_gets_its_own_list(
    monkeypatch,
):
    from jsonschema import Draft202012Validator

    from tinhso.onestop.eforms import _problems_of_text

    _problems_of_text.cache_clear()  # what earlier tests had checked
    checked = []
    real = Draft202012Validator.check_schema
    monkeypatch.setattr(
        Draft202012Validator, "check_schema", lambda s: (checked.append(s), real(s))[1]
    )
    bad = {"type": "object", "properties": {"photo": {"type": "null"}, "ok": {"type": "string"}}}
    first = schema_problems(bad)
    first.append("the caller's own note")
    again = schema_problems(dict(bad))
    assert again == ["photo: kiểu 'null' không được hỗ trợ."]
    assert len(checked) == 1
    # another text is checked afresh, a meta-schema error included
    assert schema_problems({"type": "object", "properties": {}, "minProperties": -1})[0].startswith(
        "Lược đồ JSON không hợp lệ"
    )
    assert len(checked) == 2 and checked[-1]["minProperties"] == -1


def test_schema_problems_and_order_survives_key_sorting():
    assert schema_problems(SCHEMA) == []
    assert schema_problems({"type": "object", "properties": {"x": {"type": "file"}}})
    assert schema_problems({"type": "object", "properties": {}, "required": ["a"]})
    normal = normalise_schema(SCHEMA)
    assert normal["x-order"][0] == "applicant"
    # Simulate PostgreSQL jsonb: keys come back sorted; x-order restores display order.
    shuffled = dict(sorted(normal.items()))
    shuffled["properties"] = dict(sorted(normal["properties"].items()))
    html = str(render_form(shuffled))
    assert html.index("ef-applicant-full_name") < html.index("ef-child_birth_date")


def test_every_demo_procedure_form_is_usable_and_fully_labelled():
    import json

    from tinhso.onestop.catalog_io import DEFAULT_CATALOG

    catalog = json.loads(DEFAULT_CATALOG.read_text(encoding="utf-8"))
    assert len(catalog["procedures"]) >= 50
    for procedure in catalog["procedures"]:
        schema = procedure["form_schema"]
        assert schema_problems(schema) == [], procedure["code"]
        html = str(render_form(schema))
        ids = _html_ids(html)
        labels = set(re.findall(r'<label[^>]* for="([^"]+)"', html))
        assert ids and ids <= labels, procedure["code"]
        with pytest.raises(ValidationFailed) as exc:
            validate_form_data(schema, {})
        assert "Trường này là bắt buộc." in str(exc.value.details["fields"])
