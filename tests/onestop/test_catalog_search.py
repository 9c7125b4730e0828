"""Catalogue search with the words people use: synonyms as data, the obvious procedure first."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tinhso.accounts.middleware import SESSION_KEY
from tinhso.accounts.models import Role, RoleGrant, User
from tinhso.audit.models import AuditEntry
from tinhso.core.errors import PermissionDenied, ValidationFailed
from tinhso.directory.models import Agency
from tinhso.onestop import catalog_io, search, selectors, services
from tinhso.onestop.models import SearchSynonym

DEPARTMENTS = ["H99.02", "H99.03", "H99.04", "H99.05", "H99.06", "H99.07", "H99.08", "H99.11"]


@pytest.fixture
def catalogue(db):
    """The demo catalogue (63 procedures), as `tinhso demo` imports it."""
    ubnd = Agency.objects.create(code="H99", name="UBND tỉnh Sông Lam")
    for code in [*DEPARTMENTS, "H99.16"]:
        Agency.objects.create(code=code, name=f"Cơ quan {code}", parent=ubnd)
    catalog_io.import_catalog(catalog_io.DEFAULT_CATALOG)
    return ubnd


def codes(q: str, **filters) -> list[str]:
    return list(selectors.search_procedures(q=q, **filters).values_list("code", flat=True))


def names(q: str) -> list[str]:
    return list(selectors.search_procedures(q=q).values_list("name", flat=True))


def test_giay_khai_sinh_finds_birth_registration_first(catalogue):
    found = codes("giay khai sinh")
    assert found[0] == "1.001193"  # Thủ tục đăng ký khai sinh
    assert found[1] == "1.001005"  # … có yếu tố nước ngoài: a variant comes after
    assert set(found[:2]) == {"1.001193", "1.001005"}


def test_so_do_finds_the_land_use_right_certificate(catalogue):
    found = selectors.search_procedures(q="so do")[:3]
    assert found, "'sổ đỏ' must find the land-use right certificate"
    for procedure in found:
        assert procedure.field.code == "DD", procedure.name
    assert "giấy chứng nhận quyền sử dụng đất" in found[0].name.lower()
    assert codes("Sổ hồng")[:3] == [p.code for p in found]


def test_gpxd_finds_the_building_permit_for_a_house_first(catalogue):
    # the default synonym: GPXD = cấp giấy phép xây dựng đối với nhà ở riêng lẻ; giấy phép xây dựng
    found = names("GPXD")
    assert found[0] == "Thủ tục cấp giấy phép xây dựng đối với nhà ở riêng lẻ"
    assert all("giấy phép xây dựng" in name for name in found)
    assert len(found) == 5  # the five building-permit procedures, and nothing else


def test_khai_tu_finds_death_registration_and_nothing_unrelated(catalogue):
    found = names("khai tu")
    assert found == ["Thủ tục đăng ký khai tử"]


def test_a_phrase_in_the_name_ranks_above_scattered_words_and_the_description(catalogue):
    # "chung thuc": the authentication procedures, not the food-safety "chứng nhận … thực phẩm"
    found = selectors.search_procedures(q="chung thuc")
    assert {p.field.code for p in found[:4]} == {"CT"}
    assert all("chứng thực" in p.name for p in found[:4])


def test_name_matches_rank_above_description_matches():
    entries = [
        search.Entry(key="d", code="1", name="Cấp phiếu khác", description="giấy phép lái xe"),
        search.Entry(key="n", code="2", name="Cấp lại giấy phép lái xe"),
    ]
    assert search.rank("giay phep lai xe", entries) == ["n", "d"]


def test_search_still_ignores_accents_and_accepts_codes_and_typing(catalogue):
    assert codes("trich luc ho tich")[0] == "2.000635"
    assert codes("1.001193") == ["1.001193"]
    assert "1.001193" in codes("dang ky khai si")  # the last word is being typed


def test_filters_still_apply_to_ranked_results(catalogue):
    assert codes("giay phep", field="XD") and all(
        c.startswith("1.0099") or c.startswith("1.0100") for c in codes("giay phep", field="XD")
    )


# --- the synonyms are data the platform administrator edits


def _login(client, user):
    client.force_login(user)
    session = client.session
    session[SESSION_KEY] = True
    session.save()


def _admin(catalogue) -> User:
    admin = User.objects.create_user(
        username="qtnt", full_name="Quản trị", kind=User.Kind.OFFICIAL, password=None
    )
    RoleGrant.objects.create(user=admin, agency=catalogue, role=Role.PLATFORM_ADMIN)
    return admin


def test_the_defaults_come_with_the_database(db):
    terms = {t for s in SearchSynonym.objects.all() for t in s.term_list}
    assert {"sổ đỏ", "GPXD", "giấy khai sinh"} <= terms


def test_the_platform_admin_edits_the_synonyms_and_search_follows(client, catalogue):
    admin = _admin(catalogue)
    _login(client, admin)
    page = client.get(reverse("onestop:catalog_admin")).content.decode()
    assert "sổ đỏ, sổ hồng" in page and 'name="synonyms"' in page
    assert codes("cuoi vo") == []  # "cưới vợ" is not known yet
    response = client.post(
        reverse("onestop:catalog_synonyms"),
        {"synonyms": "cưới vợ, lấy chồng = đăng ký kết hôn\nGPXD = giấy phép xây dựng"},
    )
    assert response.status_code == 302
    assert codes("cuoi vo") == ["1.000894"]  # đăng ký kết hôn
    assert [s.terms for s in SearchSynonym.objects.all()] == ["cưới vợ, lấy chồng", "GPXD"]
    entry = AuditEntry.objects.get(action="onestop.save_search_synonyms")
    assert entry.summary["count"] == 2


def test_a_bad_line_is_refused_and_changes_nothing(client, catalogue):
    admin = _admin(catalogue)
    _login(client, admin)
    before = list(SearchSynonym.objects.values_list("terms", "meaning"))
    response = client.post(
        reverse("onestop:catalog_synonyms"), {"synonyms": "sổ đỏ = giấy chứng nhận\nchỉ một vế"}
    )
    assert response.status_code == 400
    assert "dòng 2" in response.content.decode()
    assert list(SearchSynonym.objects.values_list("terms", "meaning")) == before
    with pytest.raises(ValidationFailed) as exc:
        services.save_search_synonyms(actor=admin, text="= thiếu cách gọi")
    assert exc.value.code == "invalid_synonyms"


def test_only_the_platform_admin_may_edit_the_synonyms(client, catalogue):
    agency_admin = User.objects.create_user(
        username="qtcq", full_name="QT cơ quan", kind=User.Kind.OFFICIAL, password=None
    )
    RoleGrant.objects.create(
        user=agency_admin, agency=Agency.objects.get(code="H99.03"), role=Role.AGENCY_ADMIN
    )
    _login(client, agency_admin)
    before = SearchSynonym.objects.count()
    response = client.post(reverse("onestop:catalog_synonyms"), {"synonyms": "x = y"})
    assert response.status_code == 403
    assert SearchSynonym.objects.count() == before
    with pytest.raises(PermissionDenied):
        services.save_search_synonyms(actor=agency_admin, text="x = y")


# --- the ranked catalogue is kept per process


def test_a_search_reads_the_catalogue_once_and_a_change_at_once(catalogue):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tinhso.onestop.models import Procedure

    assert codes("khai sinh")
    with CaptureQueriesContext(connection) as again:
        assert codes("khai tu")
    assert len(again) == 1  # the ranked procedures themselves: no catalogue, no synonyms
    procedure = Procedure.objects.get(code="1.001193")
    procedure.name = "Thủ tục đăng ký khai sinh lưu động tại nhà"
    procedure.save()
    assert "1.001193" in codes("luu dong tai nha")


def test_the_kept_catalogue_filters_as_the_database_does(catalogue):
    from tinhso.onestop.models import Procedure

    assert not Procedure.objects.filter(is_active=False).exists()
    some = Procedure.objects.select_related("agency").exclude(agency=None).first()
    combos = [
        {},
        {"field": "XD"},
        {"field": some.field},
        {"agency": some.agency},
        {"level": "province"},
        {"level": "commune"},
        {"online_type": "full"},
        {"online_type": "partial", "level": "district"},
    ]
    index = selectors._kept_search_index.get()
    for filters in combos:
        kept = {entry.key for entry, where in index.entries if where.keeps(**_all(filters))}
        assert kept == set(selectors.search_procedures(**filters).values_list("pk", flat=True))
    for q in ("giay phep", "dang ky", "cap", "so do", "khai sinh"):
        for filters in combos:
            kept = codes(q, **filters)
            queried = list(
                selectors.search_procedures(q=q, active_only=False, **filters).values_list(
                    "code", flat=True
                )
            )
            assert kept == queried, (q, filters)


def _all(filters: dict) -> dict:
    return {"field": None, "agency": None, "level": "", "online_type": "", **filters}
