"""Cross-cutting middleware: the Content Security Policy, the request context, the language."""

from __future__ import annotations

import contextvars
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.middleware.locale import LocaleMiddleware as DjangoLocaleMiddleware
from django.utils import translation

current_request: contextvars.ContextVar[HttpRequest | None] = contextvars.ContextVar(
    "current_request", default=None
)


def client_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
    if forwarded:
        return forwarded.split(",")[0].strip()
    return request.META.get("REMOTE_ADDR")


class RequestContextMiddleware:
    """Keeps the current request reachable so the audit trail can record the caller's IP."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = current_request.set(request)
        try:
            return self.get_response(request)
        finally:
            current_request.reset(token)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        policy = settings.CONTENT_SECURITY_POLICY
        # The API docs UI (Swagger, served locally) needs inline styles/scripts.
        if request.path.startswith("/api/docs"):
            policy = policy.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
            policy = policy.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'")
        if policy and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = policy
        return response


class LocaleMiddleware(DjangoLocaleMiddleware):
    """Vietnamese unless the visitor chose another language (the language cookie).

    Django's own middleware follows the browser's Accept-Language, which would show many
    officials (whose browsers are set to English) an English platform they did not ask
    for. Set LANGUAGE_FROM_BROWSER=1 to follow the browser instead.
    """

    def process_request(self, request: HttpRequest) -> None:
        if getattr(settings, "LANGUAGE_FROM_BROWSER", False):
            return super().process_request(request)
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if language not in dict(settings.LANGUAGES):
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        return None
