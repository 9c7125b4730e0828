"""Cross-cutting middleware: the Content Security Policy and the request context."""

from __future__ import annotations

import contextvars
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

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
