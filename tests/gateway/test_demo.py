"""The demo publishes tinhso's own APIs through the gateway's services."""

from __future__ import annotations

import io

from django.core.management import call_command

from tinhso.gateway.models import AccessRequest, Consumer, Service


def test_the_demo_publishes_tinhso_apis_and_connects_a_consumer(db):
    out = io.StringIO()
    call_command("demo", only=["directory", "accounts", "gateway"], no_logins=True, stdout=out)
    codes = set(Service.objects.filter(provider__code="tinhso").values_list("code", flat=True))
    assert {"onestop", "directory"} <= codes
    onestop = Service.objects.get(provider__code="tinhso", code="onestop")
    assert onestop.status == "enabled"
    assert onestop.endpoints.filter(method="GET", path="/lookup/").exists()
    assert onestop.base_url.endswith("/api/v1/onestop")
    consumer = Consumer.objects.get(code="ketoan-stc")
    assert consumer.rights.filter(service=onestop).exists()
    assert AccessRequest.objects.filter(status="approved").count() == 2
    assert "tsk_" in out.getvalue()
    call_command("demo", only=["gateway"], no_logins=True, stdout=io.StringIO())  # idempotent
