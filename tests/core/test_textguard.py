"""Every string a tinhso model stores is cleaned and measured before the write, whatever
the path (save, create, bulk_create), so SQLite and PostgreSQL store the same thing."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.core import checks
from django.db import models, transaction

from tests.onestop.conftest import submit, world  # noqa: F401 (the fixture)
from tinhso.core import textguard
from tinhso.core.errors import ValidationFailed
from tinhso.core.text import clean_json, clean_text
from tinhso.directory.models import Agency, OrgUnit

HOSTILE = "Nguyễn\x0bVăn\x00 A\x1b[31m\ud800\ufffe\x85"


# ---------------------------------------------------------------------------------------
# The cleaner


@pytest.mark.parametrize(
    ("raw", "single_line", "multi_line"),
    [
        ("Nguyễn\x0bVăn A", "Nguyễn Văn A", "Nguyễn\nVăn A"),  # Word's manual line break
        ("a\x00b\x07c\x7fd\x9fe", "abcde", "abcde"),  # C0/C1 controls, DEL, NUL
        ("dòng 1\r\ndòng 2\rdòng 3", "dòng 1 dòng 2 dòng 3", "dòng 1\ndòng 2\ndòng 3"),
        ("cột\tcột", "cột cột", "cột\tcột"),
        ("x\ud800y\udfffz", "xyz", "xyz"),  # lone surrogates: not encodable as UTF-8
        ("a\ufffeb\uffffc", "abc", "abc"),  # non-characters, illegal in XML
        ("a\u2028b", "a b", "a\nb"),
        ("  giữ khoảng trắng  ", "  giữ khoảng trắng  ", "  giữ khoảng trắng  "),
    ],
)
def test_clean_text_removes_controls_and_keeps_line_breaks_only_in_multiline(
    raw, single_line, multi_line
):
    assert clean_text(raw) == single_line
    assert clean_text(raw, multiline=True) == multi_line


def test_clean_text_composes_vietnamese_typed_decomposed():
    decomposed = "Nguye\u0302\u0303n"  # "Nguyễn" as macOS sends it
    assert clean_text(decomposed) == "Nguyễn"
    assert len(clean_text(decomposed)) == 6


@pytest.mark.parametrize("raw", [HOSTILE, "\r\n\x0b\x0c\x1c\x1d\x1e\x1f", "ệ\u0301\t\n"])
def test_clean_text_is_idempotent(raw):
    for multiline in (False, True):
        once = clean_text(raw, multiline=multiline)
        assert clean_text(once, multiline=multiline) == once
        assert once.encode("utf-8")  # always encodable


def test_clean_json_cleans_keys_and_strings_at_any_depth():
    data = {"ho\x0bten": ["Trần\x00 B", {"địa chỉ": "Số 1\r\nđường 2"}], "so_ban": 2, "x": None}
    assert clean_json(data) == {
        "ho ten": ["Trần B", {"địa chỉ": "Số 1\nđường 2"}],
        "so_ban": 2,
        "x": None,
    }


# ---------------------------------------------------------------------------------------
# The guard on models


@pytest.mark.django_db
def test_a_control_character_in_a_name_is_cleaned_when_saved():
    agency = Agency.objects.create(code="H97", name=HOSTILE, short_name="X\x0bY")
    agency.refresh_from_db()
    assert agency.name == "Nguyễn Văn A[31m "  # NEL (\x85) is a line break: a space
    assert agency.short_name == "X Y"


@pytest.mark.django_db
def test_too_long_a_name_is_refused_with_the_field_named_and_nothing_is_written():
    with pytest.raises(ValidationFailed) as err:
        Agency.objects.create(code="H97", name="Sở " * 200)
    assert err.value.code == "text_too_long"
    assert err.value.details == {"field": "name", "length": 600, "max_length": 255}
    assert "255" in err.value.message
    assert not Agency.objects.filter(code="H97").exists()


@pytest.mark.django_db
def test_an_update_that_is_too_long_changes_nothing():
    agency = Agency.objects.create(code="H97", name="Sở Tư pháp")
    agency.name = "x" * 256
    with pytest.raises(ValidationFailed):
        agency.save(update_fields=["name"])
    assert Agency.objects.get(pk=agency.pk).name == "Sở Tư pháp"


@pytest.mark.django_db
def test_bulk_create_is_guarded_too():
    agency = Agency.objects.create(code="H97", name="Sở Tư pháp")
    OrgUnit.objects.bulk_create([OrgUnit(agency=agency, name="Phòng\x0bHành chính")])
    assert OrgUnit.objects.get(agency=agency).name == "Phòng Hành chính"
    with pytest.raises(ValidationFailed) as err, transaction.atomic():
        OrgUnit.objects.bulk_create([OrgUnit(agency=agency, name="P" * 256)])
    assert err.value.code == "text_too_long"
    assert OrgUnit.objects.filter(agency=agency).count() == 1


def test_every_text_field_of_every_tinhso_model_is_guarded():
    unguarded = [
        f"{model._meta.label}.{field.name}"
        for model in apps.get_models(include_auto_created=True)
        if textguard.is_guarded(model)
        for field in textguard.text_fields(model)
        if not getattr(field, "_tinhso_text_guard", False)
    ]
    assert unguarded == []
    assert len(textguard.text_fields(apps.get_model("onestop.Dossier"))) > 10


def test_every_text_field_has_a_limit_unless_listed_as_computed():
    unbounded = {
        f"{model._meta.label}.{field.name}"
        for model in apps.get_models()
        if textguard.is_guarded(model)
        for field in textguard.text_fields(model)
        if not isinstance(field, models.JSONField) and textguard.field_limit(field) is None
    }
    assert unbounded == {k for k, v in textguard.TEXT_LIMITS.items() if v is None}
    subject = apps.get_model("documents.IncomingDocument")._meta.get_field("subject")
    assert textguard.field_limit(subject) == 2_000


def test_the_limit_table_names_only_real_text_fields(monkeypatch):
    assert textguard.check_text_limits() == []
    monkeypatch.setitem(textguard.TEXT_LIMITS, "documents.IncomingDocument.nope", 5)
    monkeypatch.setitem(textguard.TEXT_LIMITS, "nowhere.Model.field", 5)
    errors = textguard.check_text_limits()
    assert [e.id for e in errors] == ["tinhso.E010", "tinhso.E010"]
    assert all(isinstance(e, checks.Error) for e in errors)


@pytest.mark.django_db
def test_a_machine_written_subject_line_is_cut_instead_of_refused():
    from tinhso.notify.models import Message

    message = Message.objects.create(
        channel="email", address="a@example.vn", template="t", subject="S" * 400, body="b" * 50_000
    )
    message.refresh_from_db()
    assert len(message.subject) == 255 and message.subject.endswith("…")
    assert len(message.body) == 50_000


# ---------------------------------------------------------------------------------------
# JSON (e-form data)


@pytest.mark.django_db
def test_json_strings_are_cleaned_and_each_is_measured(world_dossier):
    dossier = world_dossier
    dossier.form_data = {"ho_ten": "Lê\x0bThị\x00 C", "ghi_chu": ["a\r\nb"]}
    dossier.save(update_fields=["form_data"])
    dossier.refresh_from_db()
    assert dossier.form_data == {"ho_ten": "Lê\nThị C", "ghi_chu": ["a\nb"]}
    dossier.form_data = {"ho_ten": "A", "ghi_chu": ["ok", "x" * 10_001]}
    with pytest.raises(ValidationFailed) as err:
        dossier.save(update_fields=["form_data"])
    assert err.value.code == "text_too_long"
    assert err.value.details["path"] == "ghi_chu[1]"
    dossier.refresh_from_db()
    assert dossier.form_data["ho_ten"] == "Lê\nThị C"


@pytest.mark.django_db
def test_json_nested_too_deep_is_refused_not_a_crash(world_dossier):
    deep: list = []
    for _ in range(5_000):
        deep = [deep]
    world_dossier.form_data = {"x": deep}
    with pytest.raises(ValidationFailed) as err:
        world_dossier.save(update_fields=["form_data"])
    assert err.value.code == "json_too_deep"


@pytest.fixture
def world_dossier(world):  # noqa: F811
    return submit(world)
