"""DRF authentication for the browser session that respects the second factor.

An official's session is only an API session once the one-time code has been checked:
a stolen password alone must not open the API. Other systems use token authentication
(`tinhso issue-token <username>`).
"""

from __future__ import annotations

from drf_spectacular.authentication import SessionScheme
from rest_framework.authentication import SessionAuthentication

from tinhso.accounts.middleware import SESSION_KEY


class SecondFactorSessionAuthentication(SessionAuthentication):
    def authenticate(self, request):
        result = super().authenticate(request)
        if result is None:
            return None
        user, auth = result
        if getattr(user, "needs_second_factor", False) and not request._request.session.get(
            SESSION_KEY
        ):
            return None  # treated as anonymous: 401/403 "not authenticated"
        return user, auth


class SecondFactorSessionScheme(SessionScheme):
    """Documents the session as `cookieAuth` in the OpenAPI schema."""

    target_class = "tinhso.accounts.authentication.SecondFactorSessionAuthentication"
    name = "cookieAuth"
    priority = 1
