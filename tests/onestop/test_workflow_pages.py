"""What people see of the state machine: a tracking code from the moment of submission,
one status text everywhere (no step once finished, no label said twice), the next
expected action first, and every hand-over saying who has the dossier now."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.urls import reverse
from rest_framework.test import APIClient

from tinhso.accounts.models import Role
from tinhso.directory.models import Agency
from tinhso.onestop import codes, selectors, services
from tinhso.onestop.models import Dossier, Procedure, ProcessStep, ProcessTemplate, RequiredPaper

from .conftest import _official, accepted, at_last_step, pdf_file, submit
from .test_web_pages import _messages, login

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media_and_limits(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()  # the lookup's rate limits count across tests


# ---------------------------------------------------------------------------------------
# Item 2: a tracking code at submission; the Circular 01 code at reception


def test_an_online_dossier_has_a_tracking_code_the_moment_it_is_submitted(world, client):
    w = world
    dossier = submit(w)
    assert dossier.code is None
    assert codes.looks_like_tracking_code(dossier.tracking_code)
    assert not codes.looks_like_dossier_code(dossier.tracking_code)
    login(client, w.citizen)
    page = client.get(reverse("onestop:dossier", args=[dossier.uid])).content.decode()
    assert dossier.tracking_code in page and "(chưa cấp mã)" not in page
    mine = client.get(reverse("onestop:my_dossiers")).content.decode()
    assert dossier.tracking_code in mine
    # anyone with the last 4 digits looks it up by the tracking code at once
    client.logout()
    found = client.post(
        reverse("onestop:lookup"), {"code": dossier.tracking_code.lower(), "secret": "5678"}
    ).content.decode()
    assert "Mới đăng ký" in found and dossier.tracking_code in found
    assert services.get_dossier(code=dossier.tracking_code) == dossier


def test_the_circular_01_code_is_still_issued_at_reception_and_both_codes_find_it(world):
    w = world
    waiting = [submit(w) for _ in range(3)]  # submissions take no number of the sequence
    dossier = services.accept_dossier(officer=w.officer, dossier=waiting[1])
    assert codes.looks_like_dossier_code(dossier.code) and dossier.code.endswith("-0001")
    assert dossier.tracking_code == waiting[1].tracking_code  # it never changes
    api = APIClient()
    for code in (dossier.code, dossier.tracking_code):
        body = api.get("/api/v1/onestop/lookup/", {"code": code, "secret": "5678"}).json()
        assert body["code"] == dossier.code and body["tracking_code"] == dossier.tracking_code


def test_the_officers_queue_shows_the_tracking_code_and_the_submission_date(world, client):
    w = world
    dossier = submit(w)
    login(client, w.officer)
    body = client.get(reverse("onestop:queue"), {"q": "to_receive"}).content.decode()
    assert dossier.tracking_code in body and "(chưa cấp mã)" not in body
    local = dossier.submitted_at.astimezone(__import__("zoneinfo").ZoneInfo("Asia/Ho_Chi_Minh"))
    assert local.strftime("%d/%m/%Y") in body
    found = client.get(reverse("onestop:queue"), {"q": "to_receive", "s": dossier.tracking_code})
    assert dossier.tracking_code in found.content.decode()


# ---------------------------------------------------------------------------------------
# Item 6: one status text


def test_a_returned_dossier_names_no_step_anywhere(world, client):
    w = world
    dossier = at_last_step(w)
    services.approve(official=w.leader, dossier=dossier)
    services.return_result(officer=w.officer, dossier=dossier, method="online")
    assert dossier.current_step is not None  # the process ended at its last step...
    status = dossier.status_text
    assert status.label == "Đã trả kết quả" and status.step == "" and status.detail == ""
    login(client, w.citizen)
    page = client.get(reverse("onestop:dossier", args=[dossier.uid])).content.decode()
    mine = client.get(reverse("onestop:my_dossiers")).content.decode()
    client.logout()
    looked_up = client.post(
        reverse("onestop:lookup"), {"code": dossier.code, "secret": "5678"}
    ).content.decode()
    for body in (page, mine, looked_up):
        assert "Đã trả kết quả" in body
    # ...which nobody is working on: no step named (the page's history still lists them)
    assert 'data-testid="status-step"' not in page
    assert dossier.current_step.name not in mine and dossier.current_step.name not in looked_up
    assert "Bước đang xử lý" not in looked_up
    api = APIClient()
    body = api.get("/api/v1/onestop/lookup/", {"code": dossier.code, "secret": "5678"}).json()
    assert body["step"] == "" and body["status_label"] == "Đã trả kết quả"
    api.force_authenticate(w.citizen)
    listed = api.get("/api/v1/onestop/dossiers/").json()["results"][0]
    assert listed["current_step"] == "" and listed["status_label"] == "Đã trả kết quả"


def test_no_label_is_said_twice(world, client):
    w = world
    dossier = submit(w)
    login(client, w.citizen)
    page = client.get(reverse("onestop:dossier", args=[dossier.uid])).content.decode()
    assert "Mới đăng ký" in page and "Mới nộp, chờ tiếp nhận" not in page
    accepted_one = accepted(w)
    assert accepted_one.status_text.full == "Được tiếp nhận"
    services.pause(official=w.officer, dossier=accepted_one, reason="Chờ xác minh")
    assert accepted_one.status_text.full == "Đang xử lý (tạm dừng)"
    assert accepted_one.status_text.step == "Tiếp nhận, chuyển hồ sơ"


def test_every_state_has_one_status_text():
    from tinhso.onestop.models import DossierState

    for state in DossierState.values:
        status = selectors.status_text(state, "Bước X")
        assert status.label and status.detail != status.label
        assert (status.step == "Bước X") == (state in ("accepted", "processing", "paused"))


# ---------------------------------------------------------------------------------------
# Item 11: the next action first; every hand-over says who has the dossier


@pytest.fixture
def centre(world):
    """A procedure received at the public administration centre for the department."""
    w = world
    w.centre = Agency.objects.create(
        code="H41.50", legacy_code="000.00.50.H41", name="Trung tâm PVHCC", parent=w.province
    )
    w.centre_officer = _official("motcua.ttpvhcc", w.centre, Role.ONESTOP_OFFICER)
    w.centre_procedure = Procedure.objects.create(
        code="1.009999",
        name="Cấp phiếu lý lịch tư pháp",
        field=w.field,
        agency=w.dept,
        receiving_agency=w.centre,
        processing_days=Decimal("5"),
        online_type="full",
        result_needs_seal=False,
    )
    RequiredPaper.objects.create(procedure=w.centre_procedure, order=1, name="Tờ khai")
    template = ProcessTemplate.objects.create(procedure=w.centre_procedure, name="QT")
    for order, (name, kind, role, days) in enumerate(
        [
            ("Tiếp nhận, chuyển hồ sơ", "reception", Role.ONESTOP_OFFICER, "0.5"),
            ("Thẩm định", "processing", Role.SPECIALIST, "3.5"),
            ("Phê duyệt", "approval", Role.LEADER, "1"),
        ],
        start=1,
    ):
        ProcessStep.objects.create(
            template=template, order=order, name=name, kind=kind, role=role,
            budget_days=Decimal(days),
        )  # fmt: skip
    return w


def _centre_dossier(w):
    paper = w.centre_procedure.papers.get()
    return services.submit_dossier(
        user=w.citizen,
        procedure=w.centre_procedure,
        attachments=[services.Attachment(file=pdf_file(), paper=paper)],
    )


def test_the_desk_that_receives_keeps_the_dossier_until_it_hands_it_over(centre, client):
    from tinhso.onestop.selectors import to_process

    w = centre
    dossier = services.accept_dossier(officer=w.centre_officer, dossier=_centre_dossier(w))
    # not silently moved to the department's desk, which would "receive" it again
    assert dossier.handling_agency == w.centre and dossier.assignee == w.centre_officer
    assert dossier not in to_process(w.officer)
    assert dossier in to_process(w.centre_officer)
    where = selectors.whereabouts(dossier)
    assert "motcua.ttpvhcc" in where and "Trung tâm PVHCC" in where
    login(client, w.centre_officer)
    page = client.get(reverse("onestop:dossier", args=[dossier.uid])).content.decode()
    next_action = page[page.index('data-testid="next-action"') :]
    next_action = next_action[: next_action.index("</form>")]
    assert "Chuyển bước tiếp theo" in next_action
    # the recipients are the next step's people (the department's specialists)
    assert str(w.specialist.uid) in next_action and str(w.centre_officer.uid) not in next_action
    response = client.post(
        reverse("onestop:official_action", args=[dossier.uid, "forward"]),
        {"version": dossier.version, "to_user": str(w.specialist.uid)},
        follow=True,
    )
    [said] = [m for m in _messages(response) if "Hồ sơ đang ở" in m]
    assert "chuyenvien.stp" in said and "Sở Tư pháp" in said
    dossier.refresh_from_db()
    assert dossier.handling_agency == w.dept and dossier.assignee == w.specialist
    body = response.content.decode()
    assert re.search(r'data-testid="whereabouts"><strong>chuyenvien.stp', body)


def test_the_dossier_page_reads_no_account_but_the_viewers(world, client):
    """The slip names its people in its own columns and the applicant's account is not
    joined: a page an officer reads many times an hour loads no one else's account (nor
    their password hash), only the viewer's own, for the session."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    w = world
    dossier = services.accept_dossier(officer=w.officer, dossier=submit(w))
    login(client, w.officer)
    with CaptureQueriesContext(connection) as queries:
        page = client.get(reverse("onestop:dossier", args=[dossier.uid])).content.decode()
    assert dossier.code in page and w.officer.username in page  # the slip's lines are there
    reads_hash = [q["sql"] for q in queries.captured_queries if '"password"' in q["sql"]]
    assert len(reads_hash) == 1 and str(w.officer.pk) in reads_hash[0]


def test_the_queue_and_my_dossiers_read_their_rows_in_one_statement_whatever_their_number(
    world, client
):
    """A list reads only the columns its rows show: no row loads a column afterwards (one
    statement for one dossier as for three), and no assignee's password hash is read."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    w = world

    def statements(user, path: str, query: dict) -> list[str]:
        login(client, user)
        client.get(path, query)  # the session and the grants read once before
        with CaptureQueriesContext(connection) as queries:
            page = client.get(path, query).content.decode()
        assert all(d.display_code in page for d in Dossier.objects.all())
        client.logout()
        return [q["sql"] for q in queries.captured_queries]

    def both() -> list[int]:
        queue = statements(w.officer, reverse("onestop:queue"), {"q": "to_process"})
        mine = statements(w.citizen, reverse("onestop:my_dossiers"), {})
        hashes = [sql for sql in queue + mine if '"password"' in sql]
        assert len(hashes) == 2  # the viewer's own account, for the session, each time
        return [len(queue), len(mine)]

    first = services.accept_dossier(officer=w.officer, dossier=submit(w))
    services.forward_to_next_step(official=w.officer, dossier=first, to_user=w.officer)
    one = both()
    for _ in range(2):
        more = services.accept_dossier(officer=w.officer, dossier=submit(w))
        services.forward_to_next_step(official=w.officer, dossier=more, to_user=w.officer)
    assert both() == one


def test_the_next_expected_action_comes_first_and_the_rest_behind_a_disclosure(world, client):
    w = world
    dossier = at_last_step(w)
    login(client, w.leader)
    page = client.get(reverse("onestop:dossier", args=[dossier.uid])).content.decode()
    first = page[
        page.index('data-testid="next-action"') : page.index('data-testid="other-actions"')
    ]
    assert "Phê duyệt kết quả" in first and first.count("<form") == 1
    others = page[page.index('data-testid="other-actions"') :]
    assert "<summary" in others and "Thao tác khác" in others
    assert "Dừng xử lý, từ chối giải quyết" in others and "Phê duyệt kết quả" not in others
    # the desk sees acceptance first on a new dossier
    fresh = submit(w)
    client.logout()
    login(client, w.officer)
    page = client.get(reverse("onestop:dossier", args=[fresh.uid])).content.decode()
    first = page[
        page.index('data-testid="next-action"') : page.index('data-testid="other-actions"')
    ]
    assert "Tiếp nhận hồ sơ" in first


def test_acceptance_says_where_the_dossier_is(world, client):
    w = world
    dossier = submit(w)
    login(client, w.officer)
    response = client.post(
        reverse("onestop:official_action", args=[dossier.uid, "accept"]),
        {"version": dossier.version},
        follow=True,
    )
    [said] = [m for m in _messages(response) if "Đã tiếp nhận" in m]
    assert "Hồ sơ đang ở: motcua.stp" in said


def test_an_action_on_a_page_someone_has_since_acted_on_is_told_so_and_changes_nothing(
    world, client
):
    """Two tabs (or two colleagues) on one dossier: the second post carries the version its
    page was drawn at, and is told the dossier has just been handled, not "forbidden"
    about a state it never saw."""
    w = world
    dossier = accepted(w)
    drawn_at = dossier.version
    login(client, w.officer)
    page = client.get(reverse("onestop:dossier", args=[dossier.uid])).content.decode()
    assert f'name="version" value="{drawn_at}"' in page
    services.forward_to_next_step(official=w.officer, dossier=dossier, to_user=w.specialist)
    dossier.refresh_from_db()
    events = dossier.events.count()

    response = client.post(
        reverse("onestop:official_action", args=[dossier.uid, "forward"]),
        {"version": drawn_at, "to_user": str(w.specialist2.uid)},
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("onestop:dossier", args=[dossier.uid])
    said = _messages(client.get(response["Location"]))
    assert any("Hồ sơ vừa được người khác xử lý" in m for m in said), said
    before = (dossier.assignee_id, dossier.version, events)
    dossier.refresh_from_db()
    assert (dossier.assignee_id, dossier.version, dossier.events.count()) == before


def test_the_api_answers_a_stale_version_with_409_dossier_changed(world):
    w = world
    dossier = accepted(w)
    drawn_at = dossier.version
    services.forward_to_next_step(official=w.officer, dossier=dossier, to_user=w.specialist)
    api = APIClient()
    api.force_authenticate(w.officer)
    response = api.post(
        f"/api/v1/onestop/dossiers/{dossier.uid}/forward/",
        {"version": drawn_at, "to_user": str(w.specialist2.uid)},
        format="json",
    )
    assert response.status_code == 409, response.content
    assert response.json()["code"] == "dossier_changed"


def test_the_wallet_is_offered_only_in_the_answer_to_an_open_supplement_request(world, client):
    """The page reads the citizen's wallet only for the one form that offers it."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tinhso.onestop.services.wallet import add_to_wallet

    w = world
    add_to_wallet(user=w.citizen, file=pdf_file("cccd.pdf"), name="Căn cước của tôi")
    dossier = submit(w)
    login(client, w.citizen)
    url = reverse("onestop:dossier", args=[dossier.uid])
    with CaptureQueriesContext(connection) as plain:
        page = client.get(url).content.decode()
    assert "Căn cước của tôi" not in page
    assert not any("onestop_walletitem" in q["sql"] for q in plain.captured_queries)

    services.request_supplement(official=w.officer, dossier=dossier, items=["Bản sao CCCD"])
    page = client.get(url).content.decode()
    assert "Bản sao CCCD" in page and "Căn cước của tôi" in page
