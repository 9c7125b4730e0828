"""Error pages are in the platform's layout and language."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_not_found_page_is_vietnamese_and_links_home(client):
    response = client.get("/khong-co-trang-nay/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Không tìm thấy trang" in html and 'href="/"' in html


def test_server_error_page_renders_without_request_context():
    from django.template.loader import get_template

    html = get_template("500.html").render()
    assert "Đã có lỗi xảy ra" in html


def test_health_check_reports_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["database"]) == ("ok", True)
    assert {"configured", "reachable", "lag_seconds", "serving_reads"} <= set(body["replica"])
