"""Lists for people are sorted the Vietnamese way: a ă â b c d đ e ê …, tones second."""

from __future__ import annotations

import random

import pytest
from django.urls import reverse

from tinhso.accounts.models import User
from tinhso.core.collation import vi
from tinhso.core.text import vi_sort_key, vi_sorted
from tinhso.directory import selectors as directory
from tinhso.directory.models import Agency, Membership, Position
from tinhso.onestop.models import Field, Procedure

# The order ICU's Vietnamese collation gives (PostgreSQL "vi-x-icu"), and dictionaries.
VIETNAMESE_ORDER = [
    "An",
    "Ăn",
    "Âm",
    "Bảo",
    "Du lịch",
    "Dược phẩm",
    "Đất đai",
    "Ho",
    "Hò",
    "Hỏ",
    "Hõ",
    "Hó",
    "Họ",
    "Hoạt động",
    "Hô",
    "Hộ tịch",
    "Hơ",
    "Tài nguyên nước",
    "Thành lập và hoạt động của doanh nghiệp",
    "Ương",
    "Ưu đãi",
    "Y tế",
]


def shuffled(items: list[str]) -> list[str]:
    copy = list(items)
    random.Random(8).shuffle(copy)
    return copy


def test_the_sort_key_orders_letters_then_tones_as_vietnamese_dictionaries_do():
    assert sorted(shuffled(VIETNAMESE_ORDER), key=vi_sort_key) == VIETNAMESE_ORDER
    # code-point order is what people complained about
    assert sorted(["Thành lập", "Tài nguyên nước"]) == ["Thành lập", "Tài nguyên nước"]
    assert vi_sorted(["Thành lập", "Tài nguyên nước"]) == ["Tài nguyên nước", "Thành lập"]
    assert vi_sorted(["Đà Nẵng", "Yên Bái", "Dak Lak"]) == ["Dak Lak", "Đà Nẵng", "Yên Bái"]


def test_decomposed_input_sorts_like_composed_input():
    import unicodedata

    nfd = [unicodedata.normalize("NFD", s) for s in VIETNAMESE_ORDER]
    assert [unicodedata.normalize("NFC", s) for s in sorted(nfd, key=vi_sort_key)] == (
        VIETNAMESE_ORDER
    )


@pytest.mark.django_db
def test_the_database_orders_by_the_same_collation():
    """SQLite through the registered "vi" collation, PostgreSQL through ICU "vi-x-icu"."""
    for i, name in enumerate(shuffled(VIETNAMESE_ORDER)):
        Field.objects.create(code=f"F{i}", name=name)
    assert list(Field.objects.order_by(vi("name")).values_list("name", flat=True)) == (
        VIETNAMESE_ORDER
    )
    descending = Field.objects.order_by(vi("name", descending=True))
    assert list(descending.values_list("name", flat=True)) == VIETNAMESE_ORDER[::-1]


@pytest.mark.django_db
def test_catalogue_filters_list_fields_in_vietnamese_order_and_no_closed_agency(client):
    ubnd = Agency.objects.create(code="H99", name="UBND tỉnh")
    open_dept = Agency.objects.create(
        code="H99.06", name="Sở Nông nghiệp và Môi trường", parent=ubnd
    )
    also_open = Agency.objects.create(code="H99.03", name="Sở Tài chính", parent=ubnd)
    closed = Agency.objects.create(
        code="H99.19", name="Sở Kế hoạch và Đầu tư", parent=ubnd, status=Agency.Status.CLOSED
    )
    for i, (field_name, agency) in enumerate(
        [
            ("Thành lập và hoạt động của doanh nghiệp", also_open),
            ("Tài nguyên nước", open_dept),
            ("Đất đai", open_dept),
            ("Dược phẩm", closed),
        ]
    ):
        field = Field.objects.create(code=f"F{i}", name=field_name)
        Procedure.objects.create(
            code=f"1.00000{i}", name=f"Thủ tục {i}", field=field, agency=agency, processing_days=5
        )
    html = client.get(reverse("onestop:catalog")).content.decode()
    positions = [
        html.index(name)
        for name in ["Dược phẩm", "Đất đai", "Tài nguyên nước", "Thành lập và hoạt động"]
    ]
    assert positions == sorted(positions)
    filter_html = html[html.index('name="agency"') :]
    filter_html = filter_html[: filter_html.index("</select>")]
    assert "Sở Nông nghiệp và Môi trường" in filter_html and "Sở Tài chính" in filter_html
    assert "Sở Kế hoạch và Đầu tư" not in filter_html  # closed on 1 July 2025
    assert filter_html.index("Sở Nông nghiệp") < filter_html.index("Sở Tài chính")


@pytest.mark.django_db
def test_directory_people_are_listed_in_vietnamese_order():
    agency = Agency.objects.create(code="H99", name="UBND tỉnh")
    position = Position.objects.create(name="Chuyên viên", rank=50)
    for username, name in [("a", "Đỗ Văn An"), ("b", "Dương Thị Bình"), ("c", "Bùi Văn Chí")]:
        user = User.objects.create_user(username=username, full_name=name, password=None)
        Membership.objects.create(user=user, agency=agency, position=position)
    people = [m.user.full_name for m in directory.agency_people(agency)]
    assert people == ["Bùi Văn Chí", "Dương Thị Bình", "Đỗ Văn An"]
