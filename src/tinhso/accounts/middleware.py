"""Officials must pass the second factor (TOTP) before anything but the login pages."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

SESSION_KEY = "tinhso_2fa_ok"
# Pages reachable with the password alone (to finish logging in or to leave). The API is
# exempt here because its session authentication checks the flag itself
# (tinhso.accounts.authentication.SecondFactorSessionAuthentication).
EXEMPT_PREFIXES = (
    "/accounts/login/",
    "/accounts/logout/",
    "/accounts/register/",
    "/accounts/unlock/",
    "/accounts/activate/",
    "/accounts/otp/",
    "/accounts/password/reset/",
    "/accounts/reset/",
    "/static/",
    "/api/",
    "/i18n/",
    "/media/",
)


class SecondFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # The path first: on exempt paths (the API, static files) the user is not loaded
        # from the session at all (the public lookup never reads the session).
        if request.path.startswith(EXEMPT_PREFIXES):
            return self.get_response(request)
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and user.needs_second_factor
            and not request.session.get(SESSION_KEY)
        ):
            from urllib.parse import urlencode

            from django.urls import reverse

            target = "accounts:otp_verify" if user.totp_confirmed_at else "accounts:otp_enrol"
            query = urlencode({"next": request.get_full_path()})
            url = f"{reverse(target)}?{query}"
            if request.headers.get("HX-Request") == "true":
                # An HTMX fragment request: make the browser go to the page itself.
                return HttpResponse(status=204, headers={"HX-Redirect": url})
            return redirect(url)
        return self.get_response(request)
