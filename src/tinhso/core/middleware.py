"""Cross-cutting middleware: the Content Security Policy, the request context, the language."""

from __future__ import annotations

import contextvars
import functools
import ipaddress
from collections.abc import Callable

from django.conf import settings
from django.conf.urls.i18n import is_language_prefix_patterns_used
from django.core.handlers.base import BaseHandler
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.middleware.locale import LocaleMiddleware as DjangoLocaleMiddleware
from django.utils import translation
from django.utils.cache import patch_vary_headers

current_request: contextvars.ContextVar[HttpRequest | None] = contextvars.ContextVar(
    "current_request", default=None
)


@functools.lru_cache(maxsize=8)
def _networks(
    proxies: tuple[str, ...],
) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(p, strict=False) for p in proxies)


@functools.lru_cache(maxsize=4096)  # the same few callers and proxies, request after request
def _parse_ip(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    value = value.strip()
    if value.startswith("[") and "]" in value:  # [v6]:port
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # v4:port
        value = value.split(":", 1)[0]
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None


def client_ip(request: HttpRequest | None) -> str | None:
    """The address of whoever is calling, as far as we can trust it (`caller_address` of
    the request's peer and X-Forwarded-For)."""
    if request is None:
        return None
    return caller_address(
        request.META.get("REMOTE_ADDR") or None, request.META.get("HTTP_X_FORWARDED_FOR", "")
    )


def caller_address(remote: str | None, forwarded: str) -> str | None:
    """The peer that connected (`remote`) unless it is one of TRUSTED_PROXIES; only then
    X-Forwarded-For (`forwarded`) is read, from the right (the entries our proxies
    appended) to the first address that is not itself a trusted proxy. A client cannot
    choose its address by sending the header: rate limits, the audit trail and the
    gateway's message log all use this value."""
    proxies = tuple(getattr(settings, "TRUSTED_PROXIES", ()) or ())
    peer = _parse_ip(remote) if remote else None
    if peer is None or not proxies:
        return str(peer) if peer is not None else remote
    networks = _networks(proxies)
    if not any(peer in net for net in networks):
        return str(peer)
    client = peer
    for entry in reversed([e for e in forwarded.split(",") if e.strip()]):
        address = _parse_ip(entry)
        if address is None:
            break  # garbage written by the client: the last trusted hop is what we know
        client = address
        if not any(address in net for net in networks):
            break
    return str(client)


def from_trusted_proxy(request: HttpRequest) -> bool:
    """Whether the peer that connected is one of TRUSTED_PROXIES (never without the setting)."""
    proxies = tuple(getattr(settings, "TRUSTED_PROXIES", ()) or ())
    if not proxies:
        return False
    peer = _parse_ip(request.META.get("REMOTE_ADDR") or "")
    return peer is not None and any(peer in n for n in _networks(proxies))


# What a proxy tells us about the original request; believed only from a trusted proxy.
FORWARDED_HEADERS = ("HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_HOST", "HTTP_X_FORWARDED_PORT")


class ForwardedHeadersMiddleware:
    """Drops X-Forwarded-Proto/-Host/-Port unless the peer is one of TRUSTED_PROXIES.

    Django reads SECURE_PROXY_SSL_HEADER from any caller: a client reaching a web process
    directly could otherwise say "https" and skip the redirect to HTTPS or make a plain
    request look secure. X-Forwarded-For is left as is: `client_ip` applies the same rule.
    First in MIDDLEWARE, before SecurityMiddleware looks at the scheme.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not from_trusted_proxy(request):
            for name in FORWARDED_HEADERS:
                request.META.pop(name, None)
        return self.get_response(request)


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
        # The API docs UI (Swagger, served locally) and the portal's CMS (Wagtail's editor,
        # reached only by signed-in editors past the second factor) need inline
        # styles/scripts.
        if request.path.startswith(("/api/docs", "/cms/")):
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

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        super().__init__(get_response)
        self.languages = frozenset(code for code, _name in settings.LANGUAGES)

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        """MiddlewareMixin's sequence without its generic checks (on every request)."""
        self.process_request(request)
        response = self.get_response(request)
        assert isinstance(response, HttpResponseBase)  # a sync chain  # noqa: S101
        return self.process_response(request, response)

    def process_request(self, request: HttpRequest) -> None:
        if getattr(settings, "LANGUAGE_FROM_BROWSER", False):
            return super().process_request(request)
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if language not in self.languages:
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        return None

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        """Django's, less the search for a language prefix in the path (a regex and a failed
        language lookup on every request) when no URL has one: the same headers."""
        urlconf = getattr(request, "urlconf", settings.ROOT_URLCONF)
        if is_language_prefix_patterns_used(urlconf)[0]:
            return super().process_response(request, response)
        if "Vary" in response.headers:
            patch_vary_headers(response, ("Accept-Language",))
        else:
            response.headers["Vary"] = "Accept-Language"
        response.headers.setdefault("Content-Language", translation.get_language())
        return response


class HotPathMiddleware:
    """The hottest public API paths (settings.HOT_PATHS: the citizens' dossier lookup) go
    through a shorter chain: the layers after this one, less those they never use
    (settings.HOT_PATH_SKIPS: session, user, CSRF, messages, HTMX, static files). The
    answer is the same bytes; the security headers (outside), fault pages, the host check
    and Content-Length (CommonMiddleware), language, frame and content policies and the
    audit's request context stay. The shorter chain is a second Django handler, so views,
    their exceptions and the middleware hooks behave as in the full one."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.paths = frozenset(getattr(settings, "HOT_PATHS", ()))
        self.handler = _handler_with(_hot_chain()) if self.paths else None

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if self.handler is not None and request.path_info in self.paths:
            # the chain itself: the outer handler already set the URLconf and will log
            # the answer and close the request, as for any other path
            return self.handler._middleware_chain(request)  # type: ignore[attr-defined]
        return self.get_response(request)


def _hot_chain() -> list[str]:
    here = f"{HotPathMiddleware.__module__}.{HotPathMiddleware.__qualname__}"
    after = settings.MIDDLEWARE[settings.MIDDLEWARE.index(here) + 1 :]
    skips = set(getattr(settings, "HOT_PATH_SKIPS", ()))
    return [path for path in after if path not in skips]


def _handler_with(middleware: list[str]) -> BaseHandler:
    """A Django handler whose chain is `middleware` (read from settings by Django: set for
    the moment it is built, at start-up)."""
    handler = BaseHandler()
    full = settings.MIDDLEWARE
    settings.MIDDLEWARE = middleware
    try:
        handler.load_middleware()
    finally:
        settings.MIDDLEWARE = full
    return handler
