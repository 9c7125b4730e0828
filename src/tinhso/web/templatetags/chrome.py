"""`{% chrome %}…{% endchrome %}`: the page header (menu, language, user menu) rendered
once per person, language and menu state, not on every page.

The header is the same on every page a person opens within a section of the menu, yet
rendering it was most of a short page's template time: 3.9 ms of CPU for an official
(`benchmarks/load_profile.py`), a fifth of the web tier at the peak. What it shows is a
function of the key below (the viewer, their name, the language, the sections of the
menu they may open and which one is current), so a kept copy is never stale: anything
that changes one of those is a new key. The two things that differ on every page are put
back on the way out: the viewer's CSRF token and the address the language form returns
to (`chrome_next`).

Kept per web process, the least recently used dropped beyond MAX_KEPT. The header is
written between markers, so that a page kept for every citizen (`tinhso.core.pagecache`)
can be served with the viewer's own header in its place.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from django import template
from django.utils.html import escape
from django.utils.safestring import mark_safe

from tinhso.core.pagecache import HEADER_END, HEADER_START

register = template.Library()

CSRF_PLACEHOLDER = "tinhso-chrome-csrf"
NEXT_PLACEHOLDER = "tinhso-chrome-next"
MAX_KEPT = 4096  # a header is 3-5 KB

_kept: OrderedDict[tuple, str] = OrderedDict()
_lock = threading.Lock()


def _key(context) -> tuple:
    from tinhso.onestop.payments import conf

    user = context.get("user")
    signed_in = bool(getattr(user, "is_authenticated", False))
    sections = context.get("nav_sections") or ()
    return (
        context.get("LANGUAGE_CODE"),
        context.get("province_name"),
        tuple((s["key"], s["url"], s["current"]) for s in sections),
        getattr(user, "pk", None) if signed_in else None,
        str(user) if signed_in else "",
        bool(getattr(user, "is_official", False)) if signed_in else False,
        conf.sandbox_enabled(),
    )


class ChromeNode(template.Node):
    def __init__(self, nodelist: template.NodeList) -> None:
        self.nodelist = nodelist

    def render(self, context) -> str:
        token = str(context.get("csrf_token", ""))
        if not token or token == "NOTPROVIDED":  # rendered without a request
            return self.nodelist.render(context)
        key = _key(context)
        with _lock:
            body = _kept.get(key)
            if body is not None:
                _kept.move_to_end(key)
        if body is None:
            with context.push(csrf_token=CSRF_PLACEHOLDER, chrome_next=NEXT_PLACEHOLDER):
                body = self.nodelist.render(context)
            with _lock:
                _kept[key] = body
                while len(_kept) > MAX_KEPT:
                    _kept.popitem(last=False)
        request = context.get("request")
        here = escape(request.get_full_path()) if request is not None else ""
        # the body is the template's own output; the token is [A-Za-z0-9], the address escaped
        body = body.replace(CSRF_PLACEHOLDER, token).replace(NEXT_PLACEHOLDER, here)
        return mark_safe(f"{HEADER_START}{body}{HEADER_END}")  # noqa: S308


@register.tag
def chrome(parser, token) -> ChromeNode:
    nodelist = parser.parse(("endchrome",))
    parser.delete_first_token()
    return ChromeNode(nodelist)
