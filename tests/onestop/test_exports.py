"""XLSX exports: the statistics table (with the counting rule) and the form-06 register."""

from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import load_workbook

from tinhso.onestop import exports, statistics

from .conftest import accepted


@pytest.mark.django_db
def test_statistics_xlsx_has_groups_total_and_the_rule(world):
    accepted(world)
    today = date.today()
    period = statistics.Period(date(today.year, 1, 1), today)
    rows = statistics.summary(period=period, group_by="agency")
    total = statistics.summary(period=period)[0]
    data = exports.statistics_xlsx(rows=rows, total=total, period=period, group_by="agency")
    wb = load_workbook(io.BytesIO(data))
    ws = wb["Thong ke"]
    values = list(ws.iter_rows(values_only=True))
    header = values[3]
    assert header[0] == "Đơn vị / lĩnh vực / thủ tục" and "Trước hạn" in header
    body = values[4:]
    assert body[0][0] == "Sở Tư pháp" and body[0][2] == 1
    assert body[-1][0] == "Tổng cộng" and body[-1][2] == 1
    rule = "\n".join(str(r[0]) for r in wb["Cach tinh"].iter_rows(values_only=True))
    assert "trước ngày hẹn → trước hạn" in rule and "đúng ngày hẹn → đúng hạn" in rule


@pytest.mark.django_db
def test_register_xlsx_lists_each_received_dossier_in_local_time(world):
    dossier = accepted(world)
    today = date.today()
    period = statistics.Period(date(today.year, 1, 1), today)
    rows = statistics.register_rows(period=period)
    ws = load_workbook(io.BytesIO(exports.register_xlsx(rows=rows, period=period)))["So theo doi"]
    assert ws["A1"].value.startswith("SỔ THEO DÕI HỒ SƠ (Mẫu số 06")
    assert ws.page_setup.orientation == "landscape"
    line = [c.value for c in ws[5]]
    assert line[1] == dossier.code and line[2] == world.procedure.name
    from django.utils import timezone

    local = timezone.localtime(dossier.received_at).replace(tzinfo=None, microsecond=0)
    assert line[6].replace(microsecond=0) == local
