"""Public pages rendered once per web process, not once per visitor.

The catalogue search and a procedure's page are what citizens open most, and for a
visitor who is not logged in they are the same for everyone: rendering them again (three
queries, a page of templates) for each visitor is most of what a web process spends on
them. `@public_page` keeps the rendered page in the process's memory, keyed by the path
with its query and the language, for PUBLIC_PAGE_SECONDS (default 300; 0 turns it off).

What stays per visitor:
- only visitors without a session cookie and without pending messages are served from
  memory (anyone logged in, or with a message waiting, gets the page rendered for them);
  pages marked `citizens=True` (the same for every citizen but for the header) are also
  served to signed-in citizens from a copy kept for them, with their own header put in;
- each visitor gets their own CSRF token: the page is kept with a placeholder where the
  token was, and the placeholder is replaced on the way out;
- the middleware runs as before for every request: security headers, rate limits,
  language, audit.

`@public_json` does the same for the API's public catalogue (a DRF view's GET): the
caller is still authenticated, checked and throttled as before; only the body, the same
for every caller, is kept.

What changes the pages (`changed()`, called by the catalogue's own signal handlers and
services) is seen at once by the process that made the change, and by the other
processes on the machine when it commits (`tinhso.core.stamps`). Processes on other
machines see it within PUBLIC_PAGE_SECONDS.
"""

from __future__ import annotations

import functools
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.template.loader import render_to_string

from tinhso.core.stamps import Stamp

PLACEHOLDER = "tinhso-csrf-placeholder"
# A page's header (the viewer's name and menu) is written between these markers
# (`{% chrome %}`, web/_chrome.html): a page kept for every citizen is kept without it.
HEADER_START = "<!--tinhso:header-->"
HEADER_END = "<!--/tinhso:header-->"
HEADER_TEMPLATE = "web/_chrome.html"
HEADER_PLACEHOLDER = "<!--tinhso:header-placeholder-->"
_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([A-Za-z0-9]+)"')
MAX_PAGES = 500  # per process; a page is 10-40 KB

_pages: OrderedDict[tuple, tuple[float, str, str]] = OrderedDict()
_lock = threading.Lock()
STAMP = Stamp("public-pages")


def _seconds() -> float:
    return float(getattr(settings, "PUBLIC_PAGE_SECONDS", 300))


def _clear() -> None:
    with _lock:
        _pages.clear()


STAMP.on_change(_clear)


def changed() -> None:
    """The catalogue changed (see `tinhso.core.stamps` for who hears it, and when)."""
    STAMP.changed()


def _viewer(request: HttpRequest, citizens: bool) -> str | None:
    """Who the page may be served to from memory: "anonymous", "citizen" (signed in, not
    an official), or None: rendered for them (an official, a message waiting...)."""
    if request.method != "GET" or _seconds() <= 0 or "messages" in request.COOKIES:
        return None
    if settings.SESSION_COOKIE_NAME not in request.COOKIES:
        return "anonymous"
    if not citizens:
        return None
    user: Any = getattr(request, "user", None)
    if not getattr(user, "is_authenticated", False) or user.is_official or user.is_superuser:
        return None
    if len(messages.get_messages(request)):  # waiting in the session: the page shows them
        return None
    return "citizen"


View = Callable[..., HttpResponse]


def public_page(
    view: View | None = None,
    *,
    version: Callable[[], str] | None = None,
    citizens: bool = False,
):
    """Serve the view's 200 answers to visitors who are not logged in from memory.

    `version` names content this module does not hear of (the portal's, versioned in the
    shared cache): a page is kept under the version it was rendered with.

    `citizens`: the page is the same for every signed-in citizen but for its header (the
    catalogue, a procedure): citizens are served one kept copy too, with their own header
    (`tinhso.web.templatetags.chrome`) put in the place of the one it was kept without."""
    if view is None:
        return functools.partial(public_page, version=version, citizens=citizens)

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        viewer = _viewer(request, citizens)
        if viewer is None:
            return view(request, *args, **kwargs)
        key = (
            viewer,
            view.__module__,
            view.__name__,
            request.get_host(),  # a component portal answers on its own host
            request.get_full_path(),
            getattr(request, "LANGUAGE_CODE", ""),
            bool(request.headers.get("HX-Request")),
            STAMP.current(),
            version() if version is not None else "",
        )
        kept = _kept(key)
        if kept is not None:
            content_type, body = kept
            if viewer == "citizen":
                header = render_to_string(HEADER_TEMPLATE, request=request)
                body = body.replace(HEADER_PLACEHOLDER, header, 1)
            return HttpResponse(
                body.replace(PLACEHOLDER, get_token(request)), content_type=content_type
            )
        response = view(request, *args, **kwargs)
        if _keepable(response):
            body = response.content.decode(response.charset)
            page = _without_header(body) if viewer == "citizen" else body
            if page is not None:
                for token in set(_TOKEN.findall(page)):
                    page = page.replace(token, PLACEHOLDER)
                _keep(key, response["Content-Type"], page)
        return response

    return wrapper


def _without_header(body: str) -> str | None:
    """The page with its viewer's header taken out (None: no header found, not kept)."""
    start, end = body.find(HEADER_START), body.find(HEADER_END)
    if start < 0 or end < start or body.count(HEADER_START) != 1:
        return None
    return body[:start] + HEADER_PLACEHOLDER + body[end + len(HEADER_END) :]


def public_json(get: Callable[..., Any]) -> Callable[..., Any]:
    """Keep a public API answer (a DRF view's `get`) rendered, under the same stamp and
    lifetime as the public pages. It runs after DRF has authenticated the caller and
    checked permissions and throttles, which therefore still apply to every call."""

    @functools.wraps(get)
    def wrapper(self, request, *args, **kwargs):
        if _seconds() <= 0:
            return get(self, request, *args, **kwargs)
        key = (
            type(self).__module__,
            type(self).__name__,
            request.get_host(),  # the pagination links name the host
            request.get_full_path(),
            getattr(request, "LANGUAGE_CODE", ""),
            STAMP.current(),
        )
        kept = _kept(key)
        if kept is not None:
            content_type, body = kept
            return HttpResponse(body, content_type=content_type)
        response = get(self, request, *args, **kwargs)

        def keep(rendered: HttpResponse) -> None:
            if _keepable(rendered):
                _keep(key, rendered["Content-Type"], rendered.content.decode(rendered.charset))

        response.add_post_render_callback(keep)  # DRF renders it after this returns
        return response

    return wrapper


def _kept(key: tuple) -> tuple[str, str] | None:
    """(content type, body) kept under `key` and still fresh."""
    with _lock:
        kept = _pages.get(key)
        if kept is None or kept[0] <= time.monotonic():
            return None
        _pages.move_to_end(key)
        return kept[1], kept[2]


def _keepable(response: HttpResponse) -> bool:
    return (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and not STAMP.unsettled()
    )


def _keep(key: tuple, content_type: str, body: str) -> None:
    with _lock:
        _pages[key] = (time.monotonic() + _seconds(), content_type, body)
        while len(_pages) > MAX_PAGES:
            _pages.popitem(last=False)
