"""Officials must pass the second factor (TOTP) before anything but the login pages."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

SESSION_KEY = "tinhso_2fa_ok"
EXEMPT_PREFIXES = ("/accounts/", "/static/", "/api/", "/i18n/", "/media/")


class SecondFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and user.needs_second_factor
            and not request.session.get(SESSION_KEY)
            and not request.path.startswith(EXEMPT_PREFIXES)
        ):
            if user.totp_confirmed_at:
                return redirect("accounts:otp_verify")
            return redirect("accounts:otp_enrol")
        return self.get_response(request)
