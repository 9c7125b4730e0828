"""Citizens' contributions and the data officer's review; who may manage what."""

from __future__ import annotations

import pytest

from tests.opendata.conftest import csv_file
from tinhso.core.errors import InvalidTransition
from tinhso.notify.models import Message
from tinhso.opendata import services
from tinhso.opendata.errors import OpendataNotAuthorized, OpendataValidation
from tinhso.opendata.models import Contribution, Dataset, DatasetState

pytestmark = pytest.mark.django_db


def test_a_proposed_dataset_accepted_becomes_a_draft_crediting_the_contributor(world):
    proposal = services.propose(
        actor=world.citizen,
        kind=Contribution.Kind.NEW_DATASET,
        agency=world.finance,
        title="Giá vé xe buýt nội tỉnh",
        comment="Bảng giá vé tôi tổng hợp.",
        upload=csv_file("Tuyến,Giá\n01,7000\n", name="gia-ve.csv"),
    )
    accepted = services.accept_contribution(
        actor=world.officer, contribution=proposal, title="Giá vé xe buýt nội tỉnh 2026"
    )
    assert accepted.status == Contribution.Status.ACCEPTED
    dataset = accepted.dataset
    assert dataset.title == "Giá vé xe buýt nội tỉnh 2026"
    assert dataset.state == DatasetState.DRAFT and dataset.agency == world.finance
    assert dataset.source == Dataset.Source.CONTRIBUTION
    assert "Nguyễn Văn An" in dataset.notes
    assert dataset.resources.get().sha256 == proposal.sha256
    message = Message.objects.get(recipient=world.citizen)
    assert "Đã tiếp nhận" in message.subject


def test_a_correction_is_declined_with_a_reason_and_the_contributor_told(world):
    correction = services.propose(
        actor=world.citizen,
        kind=Contribution.Kind.CORRECTION,
        dataset=world.datasets["hospitals"],
        title="Sai số giường",
        comment="Bệnh viện tỉnh có 800 giường.",
    )
    assert correction.agency == world.health
    with pytest.raises(OpendataValidation) as err:
        services.decline_contribution(actor=world.other_officer, contribution=correction, reason="")
    assert err.value.code == "reason_required"
    services.decline_contribution(
        actor=world.other_officer,
        contribution=correction,
        reason="Số liệu đã đúng theo quyết định.",
    )
    correction.refresh_from_db()
    assert correction.status == Contribution.Status.DECLINED
    assert "Số liệu đã đúng" in Message.objects.get(recipient=world.citizen).body
    with pytest.raises(OpendataValidation):
        services.accept_contribution(actor=world.other_officer, contribution=correction)


def test_only_the_owning_agencys_officer_reviews(world):
    proposal = services.propose(
        actor=world.citizen,
        kind=Contribution.Kind.NEW_DATASET,
        agency=world.finance,
        title="Đề xuất",
        comment="Nội dung",
    )
    with pytest.raises(OpendataNotAuthorized):
        services.accept_contribution(actor=world.other_officer, contribution=proposal)
    proposal.refresh_from_db()
    assert proposal.status == Contribution.Status.PENDING


def test_an_empty_contribution_is_refused(world):
    with pytest.raises(OpendataValidation) as err:
        services.propose(
            actor=world.citizen,
            kind=Contribution.Kind.NEW_DATASET,
            agency=world.finance,
            title="Trống",
        )
    assert err.value.code == "contribution_empty"
    assert not Contribution.objects.exists()


def test_an_officer_cannot_edit_another_agencys_dataset(world):
    hospitals = world.datasets["hospitals"]
    with pytest.raises(OpendataNotAuthorized):
        services.update_dataset(actor=world.officer, dataset=hospitals, title="Đổi")
    with pytest.raises(OpendataNotAuthorized):
        services.add_resource(
            actor=world.officer, dataset=hospitals, url="https://example.org/x.csv"
        )
    with pytest.raises(OpendataNotAuthorized):
        services.create_dataset(actor=world.officer, agency=world.health, title="Không được")
    with pytest.raises(OpendataNotAuthorized):
        services.create_dataset(actor=world.citizen, agency=world.finance, title="Không được")
    hospitals.refresh_from_db()
    assert hospitals.title == "Danh sách bệnh viện và trạm y tế"
    assert not hospitals.resources.exists()


def test_publication_goes_through_review(world):
    draft = world.datasets["draft"]
    with pytest.raises(InvalidTransition):
        services.transition(actor=world.officer, dataset=draft, action="approve")
    services.transition(actor=world.officer, dataset=draft, action="submit")
    with pytest.raises(OpendataValidation):
        services.transition(actor=world.officer, dataset=draft, action="reject", reason="")
    back = services.transition(
        actor=world.officer, dataset=draft, action="reject", reason="Thiếu nguồn"
    )
    assert back.state == DatasetState.DRAFT and back.review_note == "Thiếu nguồn"


def test_extras_follow_the_dcat_vn_schema(world):
    with pytest.raises(OpendataValidation):
        services.create_dataset(
            actor=world.officer, agency=world.finance, title="X", extras={"khong_co": "1"}
        )
    with pytest.raises(OpendataValidation):
        services.create_dataset(
            actor=world.officer,
            agency=world.finance,
            title="X",
            extras={"temporal_start": "hôm qua"},
        )
    dataset = services.create_dataset(
        actor=world.officer, agency=world.finance, title="Có mặc định"
    )
    assert dataset.extras["language"] == "vi" and dataset.extras["access_level"] == "public"


def test_platform_datasets_hold_no_personal_data(world):
    from tinhso.opendata.models import DatastoreTable
    from tinhso.opendata.platform import (
        PERSONAL,
        PersonalDataRefused,
        check_public,
        publish_platform_data,
    )

    datasets = publish_platform_data()
    assert {d.platform_key for d in datasets} == {
        "onestop-dossiers",
        "documents-electronic",
        "procedure-catalogue",
        "agency-directory",
    }
    assert all(d.state == DatasetState.PUBLISHED for d in datasets)
    for table in DatastoreTable.objects.filter(resource__dataset__in=datasets):
        assert not [f["id"] for f in table.fields if PERSONAL.search(f["id"])]
    directory = DatastoreTable.objects.get(resource__dataset__platform_key="agency-directory")
    assert directory.total == 3
    with pytest.raises(PersonalDataRefused):
        check_public([{"id": "so_dinh_danh", "type": "text"}])
    again = publish_platform_data()
    assert [d.pk for d in again] == [d.pk for d in datasets]  # refreshed, not duplicated
