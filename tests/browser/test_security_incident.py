"""In a real browser: a Wazuh alert arrives through the intake, the centre's analyst opens
an incident from it, assigns it, and closes it with a resolution and an evidence file."""

from __future__ import annotations

import importlib
import json
import os
import re
from pathlib import Path

import pytest
from django.apps import apps
from tests.browser.test_counter_reception import _login_official
from tests.security.conftest import sample, soc  # noqa: F401 (the fixture)

from tinhso.security import intake
from tinhso.security.models import Alert, Incident

SHOTS = Path(os.environ.get("TINHSO_SCREENSHOTS", "var/screenshots"))


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_an_alert_becomes_an_incident_that_is_assigned_and_closed_with_evidence(
    page, request, tmp_path
):
    importlib.import_module("tinhso.security.migrations.0002_seed").seed(apps, None)
    importlib.import_module("tinhso.security.migrations.0003_brute_force_rule").add(apps, None)
    intake.forget_tables()
    world = request.getfixturevalue("soc")
    SHOTS.mkdir(parents=True, exist_ok=True)

    # 1. The alert arrives from Wazuh over HTTP.
    finding = sample("wazuh5_finding.json")
    response = page.request.post(
        f"{page.base_url}/api/v1/security/intake/wazuh",
        data=json.dumps(finding),
        headers={"Authorization": f"Bearer {world.token}", "Content-Type": "application/json"},
    )
    assert response.status == 202
    alert = Alert.objects.get(rule__code="malware")

    # 2. The analyst sees it on the dashboard and opens an incident from it.
    _login_official(page, world.analyst)
    page.goto(f"{page.base_url}/security/")
    page.get_by_role("link", name=re.compile("Phát hiện mã độc")).first.click()
    page.wait_for_url(re.compile(f"/security/canh-bao/{alert.uid}/"))
    page.get_by_label("Tiêu đề sự cố").fill("Mã độc trên máy trạm syt-pc-112")
    page.get_by_role("button", name="Mở sự cố").click()
    page.wait_for_url(re.compile(r"/security/su-co/SOC-\d{4}-\d{4}/"))
    incident = Incident.objects.get()

    # 3. It is assigned to the Sở Y tế's administrator.
    page.get_by_label("Người xử lý").select_option(label="Lê Y Tế")
    page.get_by_role("button", name="Phân công", exact=True).click()
    page.get_by_test_id("incident-assignee").get_by_text("Lê Y Tế").wait_for()

    # 4. Closed with a resolution and an evidence file.
    evidence = tmp_path / "ket-qua-quet.txt"
    evidence.write_text("Quét lại toàn bộ máy: sạch.\n")
    page.get_by_label("Kết quả xử lý").fill("Đã cách ly máy, gỡ tệp độc hại, quét lại sạch.")
    page.get_by_label("Bằng chứng kèm theo").set_input_files(str(evidence))
    page.get_by_role("button", name="Đóng sự cố").click()
    page.get_by_test_id("incident-status").get_by_text("Đã đóng").wait_for()
    page.get_by_test_id("evidence").get_by_text("ket-qua-quet.txt").wait_for()
    page.screenshot(path=str(SHOTS / "security-incident-closed.png"), full_page=True)

    incident.refresh_from_db()
    assert incident.status == "closed" and incident.assignee == world.syt_admin
    assert incident.evidence.get().file.read() == "Quét lại toàn bộ máy: sạch.\n".encode()
    alert.refresh_from_db()
    assert alert.incident == incident
