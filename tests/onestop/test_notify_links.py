"""Links in the applicant's messages follow the configured site address and open the
dossier itself; the user menu leads to one's messages."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest
from django.test import Client

from tinhso.notify.models import Message
from tinhso.onestop import services

from .conftest import submit

pytestmark = pytest.mark.django_db

SITE = "https://dichvucong.songlam.example.gov.vn"


def test_acceptance_message_links_straight_to_the_dossier_at_the_configured_address(
    world, settings
):
    settings.TINHSO_SITE_URL = SITE
    dossier = services.accept_dossier(officer=world.officer, dossier=submit(world))
    body = Message.objects.get(template="onestop_accepted", channel="email").body
    assert f"{SITE}/onestop/ho-so/{dossier.uid}/" in body
    assert "127.0.0.1" not in body


def test_a_counter_applicant_without_account_gets_the_lookup_with_the_code_filled_in(
    world, settings
):
    settings.TINHSO_SITE_URL = SITE + "/"  # a trailing slash does not double
    dossier = services.receive_counter_dossier(
        officer=world.officer,
        procedure=world.procedure,
        applicant_name="Lê Văn C",
        applicant_phone="0905111222",
        form_data={"ho_ten": "Lê Văn C"},
    )
    body = Message.objects.get(template="onestop_accepted", address="0905111222").body
    link = f"{SITE}/onestop/tra-cuu/?code={dossier.code}"
    assert link in body
    # the link opens the lookup with the code in place and only the 4 digits to type
    page = Client().get(link.removeprefix(SITE)).content.decode()
    assert f'value="{dossier.code}"' in page
    assert "is-invalid" not in page


def test_the_site_address_follows_the_demo_port_when_not_configured():
    env = {k: v for k, v in os.environ.items() if k != "TINHSO_SITE_URL"}
    env.update(PORT="8091", PYTHONPATH=os.pathsep.join(sys.path))
    code = "import tinhso.settings as s; print(s.TINHSO_SITE_URL)"
    out = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "http://127.0.0.1:8091"
    env["TINHSO_SITE_URL"] = SITE
    out = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == SITE


def test_serve_gives_every_process_it_starts_the_address_it_listens_on(monkeypatch):
    from django.core.management import call_command

    seen = []

    class Child:
        def __init__(self, args, **kwargs):
            seen.append(os.environ.get("TINHSO_SITE_URL"))

        def poll(self):
            return 0

        def terminate(self):
            pass

        def wait(self, timeout=None):
            return 0

    monkeypatch.setenv("TINHSO_SITE_URL", "")  # restored (removed) after the test
    monkeypatch.delenv("TINHSO_SITE_URL")
    monkeypatch.setattr(subprocess, "Popen", Child)
    monkeypatch.setattr(signal, "signal", lambda *args: None)  # keep pytest's handlers
    call_command("serve", port=8123, host="0.0.0.0")  # noqa: S104
    # web, worker and each app's own process (gateway data plane, syslog listener)
    assert len(seen) >= 2
    assert set(seen) == {"http://127.0.0.1:8123"}


def test_the_user_menu_links_to_my_messages_and_they_are_clickable(world, settings):
    settings.TINHSO_SITE_URL = SITE
    dossier = services.accept_dossier(officer=world.officer, dossier=submit(world))
    client = Client()
    client.force_login(world.citizen)
    home = client.get("/onestop/").content.decode()
    menu = home.split('data-testid="user-menu"', 1)[1].split("</ul>", 1)[0]
    assert 'href="/notify/"' in menu
    page = client.get("/notify/").content.decode()
    assert f'href="{SITE}/onestop/ho-so/{dossier.uid}/"' in page
