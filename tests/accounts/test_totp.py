"""The second factor: enrolment with a QR code, verification, replay protection, storage."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from tests.accounts.factories import code_for, login_password, official
from tinhso.accounts import crypto, otp, services
from tinhso.accounts.demo import demo_secret
from tinhso.accounts.middleware import SESSION_KEY
from tinhso.accounts.models import User
from tinhso.core.errors import ValidationFailed

pytestmark = pytest.mark.django_db


def _pending_secret(html: str) -> str:
    match = re.search(r'<code class="fs-5" id="totp-secret">([A-Z2-7 ]+)</code>', html)
    assert match, html
    return match.group(1).replace(" ", "")


def test_enrolment_shows_qr_code_and_secret_then_confirms_with_a_code(client):
    user = official(totp=False)
    login_password(client, user)
    page = client.get("/accounts/otp/enrol/")
    html = page.content.decode()
    assert page.status_code == 200
    assert re.search(r'<img class="border" src="data:image/svg\+xml[^"]+" alt="Mã QR', html)
    secret = _pending_secret(html)
    # Reloading the page keeps the same secret (the phone may already have scanned it).
    assert _pending_secret(client.get("/accounts/otp/enrol/").content.decode()) == secret
    wrong = client.post("/accounts/otp/enrol/", {"code": "000000"})
    assert wrong.status_code == 400
    assert "Mã xác thực không đúng" in wrong.content.decode()
    user.refresh_from_db()
    assert user.totp_confirmed_at is None and user.totp_secret_encrypted == ""

    response = client.post("/accounts/otp/enrol/", {"code": otp.current_code(secret)})
    assert response.status_code == 302 and response["Location"] == "/"
    user.refresh_from_db()
    assert user.totp_confirmed_at is not None
    assert secret not in user.totp_secret_encrypted  # stored encrypted
    assert crypto.decrypt(user.totp_secret_encrypted) == secret
    assert client.session[SESSION_KEY] is True
    assert client.get("/").status_code == 200


def test_enrolled_official_cannot_replace_secret_through_enrolment_page(client):
    user = official()
    login_password(client, user)
    response = client.get("/accounts/otp/enrol/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/otp/?")


def test_code_cannot_be_used_twice(client):
    user = official()
    code = code_for(user)
    services.verify_totp(user=user, code=code)
    with pytest.raises(ValidationFailed) as err:
        services.verify_totp(user=user, code=code)
    assert err.value.code == "otp_invalid"
    # An older step than the last accepted one is refused too.
    with pytest.raises(ValidationFailed):
        services.verify_totp(user=user, code=code_for(user, -1))
    # The next step's code still works (clock drift window).
    services.verify_totp(user=user, code=code_for(user, 1))


def test_replayed_code_is_refused_on_the_verify_page(client):
    user = official()
    code = code_for(user)
    login_password(client, user)
    assert client.post("/accounts/otp/", {"code": code}).status_code == 302
    client.post("/accounts/logout/")
    login_password(client, user)
    response = client.post("/accounts/otp/", {"code": code})
    assert response.status_code == 400
    assert "đã được dùng" in response.content.decode()
    assert not client.session.get(SESSION_KEY)


def test_codes_outside_the_window_are_refused():
    user = official()
    with pytest.raises(ValidationFailed):
        services.verify_totp(user=user, code=code_for(user, 3))
    with pytest.raises(ValidationFailed):
        services.verify_totp(user=user, code="12345")


def test_repeated_wrong_codes_lock_the_account(client):
    user = official()
    login_password(client, user)
    right = code_for(user)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    for _ in range(5):
        client.post("/accounts/otp/", {"code": wrong})
    user.refresh_from_db()
    assert user.otp_blocked_until is not None
    response = client.post("/accounts/otp/", {"code": right})
    assert response.status_code == 400
    assert "Tài khoản tạm khóa" in response.content.decode()
    assert not client.session.get(SESSION_KEY)


def test_secret_cannot_be_read_with_another_secret_key():
    token = crypto.encrypt("JBSWY3DPEHPK3PXP")
    assert crypto.decrypt(token) == "JBSWY3DPEHPK3PXP"
    with override_settings(SECRET_KEY="another-key-" + "y" * 40), pytest.raises(ValueError):
        crypto.decrypt(token)


def test_old_secret_key_in_fallbacks_still_decrypts():
    token = crypto.encrypt("JBSWY3DPEHPK3PXP")
    from django.conf import settings

    with override_settings(
        SECRET_KEY="rotated-key-" + "z" * 40, SECRET_KEY_FALLBACKS=[settings.SECRET_KEY]
    ):
        assert crypto.decrypt(token) == "JBSWY3DPEHPK3PXP"


def test_otp_code_command_prints_the_code_of_a_demo_user_only():
    demo = official("demo.canbo", totp=False)
    services.set_totp_secret(user=demo, secret=demo_secret("demo.canbo"))
    out = StringIO()
    call_command("otp-code", "demo.canbo", stdout=out)
    code = out.getvalue().strip()
    assert code == otp.current_code(demo_secret("demo.canbo"))
    services.verify_totp(user=User.objects.get(pk=demo.pk), code=code)
    out = StringIO()
    call_command("otp-code", "demo.canbo", "--secret", stdout=out)
    assert out.getvalue().splitlines()[0].replace(" ", "") == demo_secret("demo.canbo")
    assert "otpauth://totp/" in out.getvalue()

    real = official("that.thu")
    with pytest.raises(CommandError):
        call_command("otp-code", "that.thu", stdout=StringIO())
    with pytest.raises(CommandError):
        call_command("otp-code", "khong.co", stdout=StringIO())
    assert real.pk


def test_reset_second_factor_needs_an_administrator():
    from tests.accounts.factories import province_tree
    from tinhso.accounts.models import Role
    from tinhso.core.errors import PermissionDenied

    tree = province_tree()
    target = official(roles=[(tree["xa"], Role.SPECIALIST)])
    outsider = official(roles=[(tree["stc"], Role.AGENCY_ADMIN)])
    admin = official(roles=[(tree["huyen"], Role.AGENCY_ADMIN)])
    with pytest.raises(PermissionDenied):
        services.reset_totp(user=target, actor=outsider)
    services.reset_totp(user=target, actor=admin)
    target.refresh_from_db()
    assert target.totp_confirmed_at is None and target.totp_secret_encrypted == ""
