"""One-stop pages: public catalog and lookup, citizen submission, officials' work, roles."""

from __future__ import annotations

import io
import re

import pytest
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from tinhso.accounts.middleware import SESSION_KEY
from tinhso.onestop import services
from tinhso.onestop.models import Dossier, DossierState

from .conftest import PDF, accepted, at_last_step, pdf_file, submit


def login(client, user) -> None:
    client.force_login(user)
    if user.needs_second_factor:
        session = client.session
        session[SESSION_KEY] = True
        session.save()


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


@pytest.mark.django_db
def test_catalog_search_ignores_diacritics_and_htmx_returns_the_table(client, world):
    response = client.get(reverse("onestop:catalog"), {"q": "trich luc ho tich"})
    assert response.status_code == 200
    assert "Cấp bản sao trích lục hộ tịch" in response.content.decode()
    partial = client.get(reverse("onestop:catalog"), {"q": "xay dung"}, HTTP_HX_REQUEST="true")
    body = partial.content.decode()
    assert "<html" not in body and "Không có thủ tục phù hợp" in body


@pytest.mark.django_db
def test_procedure_page_shows_papers_time_and_process(client, world):
    body = client.get(reverse("onestop:procedure", args=[world.procedure.code])).content.decode()
    assert "Tờ khai cấp bản sao trích lục" in body
    assert "5 ngày làm việc" in body
    assert "Thẩm định hồ sơ" in body
    blank = client.get(reverse("onestop:eform_pdf", args=[world.procedure.code]))
    assert blank["Content-Type"] == "application/pdf"
    assert "Họ và tên" in PdfReader(io.BytesIO(blank.content)).pages[0].extract_text()


@pytest.mark.django_db
def test_public_lookup_shows_status_only_with_the_right_digits(client, world):
    from django.core.cache import cache

    cache.clear()  # the lookup's rate limit counts per client across tests
    dossier = accepted(world)
    url = reverse("onestop:lookup")
    ok = client.post(url, {"code": dossier.code.lower(), "secret": "5678"}).content.decode()
    assert "Được tiếp nhận" in ok and dossier.code in ok
    assert "Nguyễn Văn A" not in ok and "0912345678" not in ok
    wrong = client.post(url, {"code": dossier.code, "secret": "0000"}).content.decode()
    assert "Không tìm thấy hồ sơ" in wrong and "Được tiếp nhận" not in wrong


@pytest.mark.django_db
def test_submit_page_labels_every_input_and_reports_errors_per_field(client, world):
    login(client, world.citizen)
    url = reverse("onestop:submit", args=[world.procedure.code])
    body = client.get(url).content.decode()
    ids = re.findall(r'<(?:input|select|textarea)[^>]* id="([^"]+)"', body)
    labels = set(re.findall(r'<label[^>]* for="([^"]+)"', body))
    assert ids and set(ids) <= labels
    assert 'value="Nguyễn Văn A"' not in body or "ef-ho_ten" in body
    response = client.post(url, {"ef-ho_ten": "", "ef-so_ban": "99", "return_method": "online"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "Trường này là bắt buộc." in body
    assert "Phải nhỏ hơn hoặc bằng 10." in body
    assert Dossier.objects.count() == 0


@pytest.mark.django_db
def test_citizen_submits_with_a_paper_and_sees_the_dossier(client, world):
    from tinhso.onestop.models import RequiredPaper

    copy = RequiredPaper.objects.create(procedure=world.procedure, order=2, name="Bản sao CCCD")
    login(client, world.citizen)
    url = reverse("onestop:submit", args=[world.procedure.code])
    upload = pdf_file("cccd.pdf")
    response = client.post(
        url,
        {
            "ef-ho_ten": "Nguyễn Văn A",
            "ef-so_ban": "2",
            "return_method": "online",
            f"paper-{copy.pk}": upload,
        },
    )
    dossier = Dossier.objects.get()
    assert response.status_code == 302 and str(dossier.uid) in response["Location"]
    assert dossier.form_data == {"ho_ten": "Nguyễn Văn A", "so_ban": 2}
    assert dossier.files.get().sha256
    page = client.get(response["Location"]).content.decode()
    assert "Mới đăng ký" in page and "Nguyễn Văn A" in page
    mine = client.get(reverse("onestop:my_dossiers")).content.decode()
    assert dossier.tracking_code in mine  # looked up by its tracking code until received


@pytest.mark.django_db
def test_a_wrong_file_type_changes_nothing(client, world):
    from tinhso.onestop.models import RequiredPaper

    copy = RequiredPaper.objects.create(procedure=world.procedure, order=2, name="Bản sao CCCD")
    login(client, world.citizen)
    fake = io.BytesIO(b"MZ\x90\x00 not a pdf")
    fake.name = "virus.exe"
    response = client.post(
        reverse("onestop:submit", args=[world.procedure.code]),
        {"ef-ho_ten": "Nguyễn Văn A", "return_method": "online", f"paper-{copy.pk}": fake},
    )
    assert response.status_code == 200
    assert any("không được chấp nhận" in m for m in _messages(response))
    assert Dossier.objects.count() == 0


@pytest.mark.django_db
def test_officer_accepts_from_the_queue_and_prints_form_01(client, world):
    dossier = submit(world)
    login(client, world.officer)
    queue = client.get(reverse("onestop:queue"), {"q": "to_receive"}).content.decode()
    assert str(dossier.uid) in queue
    page = client.get(reverse("onestop:dossier", args=[dossier.uid])).content.decode()
    assert "Tiếp nhận hồ sơ" in page and "Từ chối tiếp nhận" in page
    response = client.post(
        reverse("onestop:official_action", args=[dossier.uid, "accept"]),
        {"version": dossier.version},
        follow=True,
    )
    dossier.refresh_from_db()
    assert dossier.state == DossierState.ACCEPTED and dossier.code
    assert "Đã tiếp nhận hồ sơ" in " ".join(_messages(response))
    slip = client.get(reverse("onestop:dossier_form", args=[dossier.uid, "01"]))
    text = " ".join(PdfReader(io.BytesIO(slip.content)).pages[0].extract_text().split())
    assert dossier.code in text and "GIẤY TIẾP NHẬN HỒ SƠ" in text


@pytest.mark.django_db
def test_reception_supplement_lists_everything_and_citizen_answers(client, world):
    dossier = submit(world)
    login(client, world.officer)
    client.post(
        reverse("onestop:official_action", args=[dossier.uid, "reception_supplement"]),
        {"version": dossier.version, "items": "Bản sao căn cước\nGiấy ủy quyền"},
    )
    dossier.refresh_from_db()
    assert dossier.state == DossierState.RECEPTION_SUPPLEMENT
    form02 = client.get(reverse("onestop:dossier_form", args=[dossier.uid, "02"]))
    text = " ".join(PdfReader(io.BytesIO(form02.content)).pages[0].extract_text().split())
    assert "1. Bản sao căn cước" in text and "2. Giấy ủy quyền" in text
    client.logout()
    login(client, world.citizen)
    page = client.get(reverse("onestop:dossier", args=[dossier.uid])).content.decode()
    assert "Cơ quan yêu cầu bổ sung hồ sơ" in page and "Giấy ủy quyền" in page
    client.post(
        reverse("onestop:citizen_action", args=[dossier.uid, "answer_supplement"]),
        {"version": dossier.version, "note": "Đã bổ sung", "files": [pdf_file("cccd.pdf", b"1")]},
    )
    dossier.refresh_from_db()
    assert dossier.state == DossierState.SUBMITTED


@pytest.mark.django_db
def test_official_of_another_agency_gets_the_permission_page(client, world):
    dossier = accepted(world)
    login(client, world.outsider)
    response = client.get(reverse("onestop:dossier", args=[dossier.uid]))
    assert response.status_code == 403
    assert "hồ sơ thuộc cơ quan khác" in response.content.decode()
    action = client.post(
        reverse("onestop:official_action", args=[dossier.uid, "approve"]),
        {"version": dossier.version},
    )
    assert action.status_code == 403
    dossier.refresh_from_db()
    assert dossier.state == DossierState.ACCEPTED


@pytest.mark.django_db
def test_a_stale_page_gets_the_conflict_message_and_changes_nothing(client, world):
    dossier = accepted(world)
    stale_version = dossier.version
    services.forward_to_next_step(official=world.officer, dossier=dossier, to_user=world.specialist)
    login(client, world.leader)
    response = client.post(
        reverse("onestop:official_action", args=[dossier.uid, "forward"]),
        {"version": stale_version},
        follow=True,
    )
    assert any("vừa được người khác xử lý" in m for m in _messages(response))
    dossier.refresh_from_db()
    assert dossier.current_step == world.steps[1]


@pytest.mark.django_db
def test_leader_approves_officer_returns_citizen_downloads_and_rates(client, world):
    dossier = at_last_step(world)
    login(client, world.leader)
    page = client.get(reverse("onestop:dossier", args=[dossier.uid])).content.decode()
    assert "Phê duyệt kết quả" in page
    client.post(
        reverse("onestop:official_action", args=[dossier.uid, "attach_result"]),
        {"file": pdf_file("ket-qua.pdf", b"kq"), "name": "Bản sao trích lục"},
    )
    dossier.refresh_from_db()
    approve = reverse("onestop:official_action", args=[dossier.uid, "approve"])
    form = {"version": dossier.version, "result_summary": "Cấp 1 bản sao", "signing": "certificate"}
    confirmation = client.post(approve, form).content.decode()
    assert "Xác nhận phê duyệt và ký số" in confirmation  # nothing signed yet
    dossier.refresh_from_db()
    assert dossier.state == DossierState.PROCESSING
    client.post(approve, {**form, "confirm": "1"})
    dossier.refresh_from_db()
    assert dossier.state == DossierState.APPROVED
    client.logout()
    login(client, world.officer)
    client.post(
        reverse("onestop:official_action", args=[dossier.uid, "return_result"]),
        {"version": dossier.version, "method": "online"},
    )
    dossier.refresh_from_db()
    assert dossier.state == DossierState.RETURNED
    slip = client.get(reverse("onestop:dossier_form", args=[dossier.uid, "05"]))
    text = " ".join(PdfReader(io.BytesIO(slip.content)).pages[0].extract_text().split())
    assert "PHIẾU KIỂM SOÁT" in text and "Phê duyệt" in text
    client.logout()
    login(client, world.citizen)
    page = client.get(reverse("onestop:dossier", args=[dossier.uid])).content.decode()
    result = dossier.files.get(kind="result")
    url = reverse("onestop:dossier_file", args=[dossier.uid, result.uid])
    assert url in page
    assert b"".join(client.get(url).streaming_content).startswith(PDF[:8])
    client.post(
        reverse("onestop:citizen_action", args=[dossier.uid, "rate"]),
        {"score": "5", "comment": "Nhanh"},
    )
    assert dossier.rating.score == 5


@pytest.mark.django_db
def test_queues_and_statistics_per_role(client, world):
    dossier = accepted(world)
    login(client, world.specialist)
    assert client.get(reverse("onestop:statistics")).status_code == 403
    client.logout()
    login(client, world.leader)
    body = client.get(reverse("onestop:queue"), {"q": "due_soon"}).content.decode()
    assert "Sắp đến hạn" in body
    stats = client.get(reverse("onestop:statistics")).content.decode()
    assert "Cách tính: trước hạn, đúng hạn, quá hạn" in stats
    assert "sau ngày hẹn → quá hạn" in stats
    xlsx = client.get(reverse("onestop:statistics_xlsx"))
    wb = load_workbook(io.BytesIO(xlsx.content))
    assert wb["Thong ke"]["A1"].value.startswith("THỐNG KÊ")
    reg = client.get(reverse("onestop:register_xlsx"))
    ws = load_workbook(io.BytesIO(reg.content))["So theo doi"]
    codes = [row[1] for row in ws.iter_rows(min_row=5, values_only=True)]
    assert dossier.code in codes


@pytest.mark.django_db
def test_dossier_lists_cost_the_same_queries_for_two_rows_or_six(client, world):
    """The queue and "my dossiers" read each row's procedure, step and assignee in the list's
    own statement: no statement per row (a field the list defers, read by the template,
    would add one)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries(user, url: str, **params) -> tuple[int, str]:
        client.logout()
        login(client, user)
        client.get(url, params)  # the session's first read
        with CaptureQueriesContext(connection) as captured:
            body = client.get(url, params).content.decode()
        return len(captured), body

    for _ in range(2):
        submit(world)
    few = queries(world.officer, reverse("onestop:queue"), q="to_receive")
    mine = queries(world.citizen, reverse("onestop:my_dossiers"))
    for _ in range(4):
        submit(world)
    many = queries(world.officer, reverse("onestop:queue"), q="to_receive")
    assert many[0] == few[0]
    assert many[1].count("Cấp bản sao trích lục hộ tịch") == 6
    more_mine = queries(world.citizen, reverse("onestop:my_dossiers"))
    assert more_mine[0] == mine[0]
    assert more_mine[1].count("Cấp bản sao trích lục hộ tịch") == 6


@pytest.mark.django_db
def test_citizen_cannot_open_official_pages_and_withdraws(client, world):
    dossier = submit(world)
    login(client, world.citizen)
    assert client.get(reverse("onestop:queue")).status_code == 403
    client.post(
        reverse("onestop:citizen_action", args=[dossier.uid, "withdraw"]),
        {"version": dossier.version, "reason": "Nộp nhầm"},
    )
    dossier.refresh_from_db()
    assert dossier.state == DossierState.WITHDRAWN
    other = submit(world, user=world.citizen2)
    assert client.get(reverse("onestop:dossier", args=[other.uid])).status_code == 403


@pytest.mark.django_db
def test_catalog_admin_import_errors_and_export(client, world):
    login(client, world.admin)
    bad = io.BytesIO(b'{"procedures": [{"code": "abc", "name": ""}]}')
    bad.name = "bad.json"
    body = client.post(reverse("onestop:catalog_admin"), {"file": bad}).content.decode()
    assert "Mã thủ tục &#x27;abc&#x27; không đúng dạng" in body or "không đúng dạng" in body
    exported = client.get(reverse("onestop:catalog_export", args=["json"]))
    assert b'"1.001193"' in exported.content
    edit = client.get(reverse("onestop:procedure_edit", args=[world.procedure.code]))
    assert edit.status_code == 200 and "Xem trước tờ khai" in edit.content.decode()


@pytest.mark.django_db
def test_officer_enters_a_counter_dossier_for_a_citizen(client, world):
    login(client, world.officer)
    pick = client.get(reverse("onestop:counter"), {"q": "trich luc"}).content.decode()
    assert world.procedure.code in pick
    response = client.post(
        reverse("onestop:counter"),
        {
            "procedure": world.procedure.code,
            "applicant_name": "Lê Văn Cường",
            "applicant_id_number": "001090009999",
            "applicant_phone": "0901234567",
            "return_method": "counter",
            "ef-ho_ten": "Lê Văn Cường",
            "ef-so_ban": "1",
            f"paper-{world.paper.pk}": pdf_file("scan.pdf"),
        },
    )
    dossier = Dossier.objects.get()
    assert response.status_code == 302
    assert dossier.channel == "counter" and dossier.state == DossierState.ACCEPTED
    assert dossier.code and dossier.applicant_name == "Lê Văn Cường"
    assert dossier.submitted_by == world.officer
    # A specialist cannot enter counter dossiers.
    client.logout()
    login(client, world.specialist)
    assert client.get(reverse("onestop:counter")).status_code == 403


@pytest.mark.django_db
def test_procedure_edit_checks_budgets_and_keeps_the_catalog_unchanged(client, world):
    login(client, world.admin)
    url = reverse("onestop:procedure_edit", args=[world.procedure.code])
    form = client.get(url).context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None}
    data["levels"] = ["province"]
    data["is_active"] = "on"
    data["steps"] = "Tiếp nhận | onestop_officer | 1\nXử lý | specialist | 1"
    data["name"] = "Tên mới"
    response = client.post(url, data)
    assert any("phải bằng thời hạn giải quyết" in m for m in _messages(response))
    world.procedure.refresh_from_db()
    assert world.procedure.name == "Cấp bản sao trích lục hộ tịch"
    data["steps"] = "Tiếp nhận | onestop_officer | 1\nXử lý | specialist | 3\nDuyệt | leader | 1"
    paper_ids = list(world.procedure.papers.values_list("pk", flat=True))
    client.post(url, data)
    # Papers not edited keep their rows (past dossiers' files stay linked to them).
    assert list(world.procedure.papers.values_list("pk", flat=True)) == paper_ids
    world.procedure.refresh_from_db()
    assert world.procedure.name == "Tên mới"
    assert [s.budget_days for s in world.procedure.active_process().steps.order_by("order")] == [
        1,
        3,
        1,
    ]


@pytest.mark.django_db
def test_a_demo_procedure_e_form_with_groups_dates_pledge_and_wallet(client, world):
    import json

    from tinhso.directory.models import Agency
    from tinhso.onestop import catalog_io
    from tinhso.onestop.models import WalletItem

    Agency.objects.create(code="H99.04", name="Sở Tư pháp", short_name="STP")
    Agency.objects.create(
        code="H99.16", name="Trung tâm Phục vụ hành chính công", short_name="TTPVHCC"
    )
    catalog = json.loads(catalog_io.DEFAULT_CATALOG.read_text(encoding="utf-8"))
    catalog["procedures"] = [p for p in catalog["procedures"] if p["code"] == "2.000488"]
    stream = io.BytesIO(json.dumps(catalog).encode())
    catalog_io.import_catalog(stream)
    login(client, world.citizen)
    item = services.add_to_wallet(
        user=world.citizen, file=pdf_file("cccd.pdf", b"cccd"), name="CCCD"
    )
    url = reverse("onestop:submit", args=["2.000488"])
    page = client.get(url).content.decode()
    assert 'value="Nguyễn Văn A"' in page  # declared once: prefilled from the account
    assert "<legend" in page and "Người yêu cầu cấp phiếu" in page
    base = {
        "ef-applicant.full_name": "Nguyễn Văn A",
        "ef-applicant.birth_date": "1990-02-03",
        "ef-applicant.citizen_id": "001090001234",
        "ef-applicant.address": "Số 1 đường Lam Giang",
        "ef-applicant.phone": "0912345678",
        "ef-form_type": "1",
        "ef-extra_copies": "2",
        "ef-purpose": "Xin việc",
        "ef-delivery.method": "post",
        "ef-delivery.post_address": "Số 1 đường Lam Giang",
    }
    papers = list(world.procedure.__class__.objects.get(code="2.000488").papers.all())
    files = {f"wallet-{papers[1].pk}": str(item.uid), f"paper-{papers[2].pk}": pdf_file("uq.pdf")}
    response = client.post(url, {**base, **files})
    assert "Cần xác nhận lời cam đoan." in response.content.decode()
    assert Dossier.objects.count() == 0
    files = {f"wallet-{papers[1].pk}": str(item.uid), f"paper-{papers[2].pk}": pdf_file("uq.pdf")}
    response = client.post(url, {**base, **files, "ef-pledge": "on"})
    assert response.status_code == 302, _messages(response)
    dossier = Dossier.objects.get()
    assert dossier.form_data["applicant"]["birth_date"] == "1990-02-03"
    assert dossier.return_method == "post" and dossier.postal_address == "Số 1 đường Lam Giang"
    assert dossier.applicant_phone == "0912345678"
    assert dossier.files.filter(wallet_item=item).exists()
    assert WalletItem.objects.filter(owner=world.citizen).count() >= 1
    assert dossier.receiving_agency.code == "H99.16" and dossier.fee_vnd == 200000


@pytest.mark.django_db
def test_lookup_page_is_rate_limited_like_the_api(client, world, settings):
    from django.core.cache import cache

    from tinhso.onestop.api import LookupThrottle

    cache.clear()
    settings.ONESTOP_LOOKUP_CODE_RATE = "1000/day"  # this test is about the per-IP limit
    dossier = accepted(world)
    url = reverse("onestop:lookup")
    statuses = [
        client.post(url, {"code": dossier.code, "secret": f"{i:04d}"}).status_code
        for i in range(LookupThrottle().num_requests + 1)
    ]
    assert statuses[-1] == 429 and set(statuses[:-1]) == {200}
    last = client.post(url, {"code": dossier.code, "secret": "5678"})
    assert last.status_code == 429 and "Được tiếp nhận" not in last.content.decode()
    cache.clear()
