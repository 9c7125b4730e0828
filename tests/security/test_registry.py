"""The registry of information systems: the level the Decree 85 criteria suggest, the
generated dossier documents carry the registry's data (DOCX and PDF), the approval
decision sets the review date, and the review reminder goes once."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from pypdf import PdfReader

from tinhso.core.errors import DomainError
from tinhso.notify.models import Message
from tinhso.security import services
from tinhso.security.dossier import docx_text


@pytest.mark.parametrize(
    ("criteria", "personal", "subjects", "level"),
    [
        ([], False, 0, 1),
        (["internal-public-only"], False, 0, 1),
        (["internal-private"], False, 0, 2),
        ([], True, 9_999, 2),
        ([], True, 10_000, 3),
        (["online-service-l3"], False, 0, 3),
        (["internal-private", "national-24x7"], False, 0, 4),
        (["unknown-criterion"], False, 0, 1),
    ],
)
@pytest.mark.django_db
def test_the_level_the_criteria_suggest(criteria, personal, subjects, level):
    found, held = services.suggested_level(
        criteria=criteria, holds_personal_data=personal, personal_data_subjects=subjects
    )
    assert found == level


@pytest.mark.django_db
def test_saving_a_system_proposes_the_suggested_level(soc):
    assert soc.portal.proposed_level == 3
    with pytest.raises(DomainError) as err:
        services.save_system(actor=soc.stc_admin, owner=soc.stc, code="stc-dvc", name="Trùng mã")
    assert err.value.code == "security_system_code_taken"
    with pytest.raises(DomainError) as err:
        services.save_system(actor=soc.syt_admin, owner=soc.stc, code="X-1", name="Của người khác")
    assert err.value.code == "permission_denied"


@pytest.mark.django_db
def test_the_generated_dossier_documents_contain_the_registrys_data(soc):
    system = services.save_system(
        actor=soc.stc_admin,
        owner=soc.stc,
        code="STC-DVC",
        system=soc.portal,
        name="Cổng dịch vụ tài chính",
        operator="Trung tâm Công nghệ thông tin tài chính",
        purpose="Tiếp nhận hồ sơ thủ tục tài chính trực tuyến",
        data_held="Hồ sơ, giấy tờ của công dân và doanh nghiệp",
        users="Công dân, doanh nghiệp, cán bộ Sở Tài chính",
        user_count=48_000,
        criteria=["online-service-l3"],
    )
    docs = services.generate_dossier(actor=soc.stc_admin, system=system, fmt="docx")
    assert [d.kind for d in docs] == ["description", "design", "level", "plan"]
    texts = {d.kind: docx_text(d.file.read()) for d in docs}
    for text in texts.values():
        assert "Cổng dịch vụ tài chính" in text and "sở tài chính" in text.lower()
    assert "Trung tâm Công nghệ thông tin tài chính" in texts["description"]
    assert "48.000" in texts["description"]
    assert "dịch vụ công trực tuyến mức độ 3" in texts["level"]
    assert "thuộc cấp độ 3" in texts["level"]
    assert "Tường lửa ứng dụng web (WAF)" in texts["plan"]
    pdfs = services.generate_dossier(actor=soc.stc_admin, system=system, fmt="pdf")
    reader = PdfReader(io.BytesIO(pdfs[2].file.read()))
    text = " ".join(page.extract_text() for page in reader.pages)
    assert "Cổng dịch vụ tài chính" in text and "cấp độ 3" in text


@pytest.mark.django_db
def test_approval_sets_the_level_and_the_review_date_and_the_reminder_goes_once(soc):
    system = services.propose_level(actor=soc.stc_admin, system=soc.portal, level=3)
    assert system.status == "proposed"
    with pytest.raises(DomainError):
        services.approve_level(
            actor=soc.stc_admin,
            system=system,
            level=3,
            decision_number="12/QĐ-UBND",
            decision_date=dt.date(2026, 1, 5),
        )
    system = services.approve_level(
        actor=soc.analyst,
        system=system,
        level=3,
        decision_number="12/QĐ-UBND",
        decision_date=dt.date(2024, 12, 20),
    )
    assert system.status == "approved" and system.approved_level == 3
    assert system.next_review_on == dt.date(2026, 12, 20)
    services.save_system(
        actor=soc.stc_admin,
        owner=soc.stc,
        code="STC-DVC",
        system=system,
        name=system.name,
        security_contact=soc.stc_admin,
    )
    assert services.remind_reviews(today=dt.date(2026, 12, 1)) == 1
    assert services.remind_reviews(today=dt.date(2026, 12, 2)) == 0
    assert Message.objects.filter(recipient=soc.stc_admin, template="security_review_due").exists()


@pytest.mark.django_db
def test_an_independent_assessment_puts_layer_three_in_place(soc):
    services.record_assessment(
        actor=soc.stc_admin,
        system=soc.portal,
        assessor="Công ty kiểm định ATTT độc lập",
        assessed_on=dt.date(2026, 6, 1),
        result="findings",
        findings="Cần bật WAF cho trang quản trị.",
    )
    soc.portal.refresh_from_db()
    assert soc.portal.layer_assessment
    assert soc.portal.assessments.get().result == "findings"
