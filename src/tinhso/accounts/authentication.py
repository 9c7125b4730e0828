"""DRF authentication for the browser session that respects the second factor.

An official's session is only an API session once the one-time code has been checked:
a stolen password alone must not open the API. Other systems use token authentication
(`tinhso issue-token <username>`).
"""

from __future__ import annotations

from drf_spectacular.authentication import SessionScheme
from rest_framework import exceptions
from rest_framework.authentication import SessionAuthentication, TokenAuthentication

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


class ApiTokenAuthentication(TokenAuthentication):
    """`Authorization: Token <key>` with our tokens: stored hashed, expiring, revocable,
    with the time of last use (written at most once a minute)."""

    def authenticate_credentials(self, key):
        from datetime import timedelta

        from django.utils import timezone

        from tinhso.accounts.models import ApiToken

        now = timezone.now()
        token = (
            ApiToken.objects.select_related("user")
            .filter(key_hash=ApiToken.hash_key(key), revoked_at__isnull=True, expires_at__gt=now)
            .first()
        )
        if token is None or not token.user.is_active:
            raise exceptions.AuthenticationFailed("Mã truy cập không hợp lệ hoặc đã hết hạn.")
        if token.last_used_at is None or token.last_used_at < now - timedelta(minutes=1):
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token
