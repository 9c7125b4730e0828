"""Page links of every paginated list: `{% include "web/_pagination.html" with page=page %}`.

`page_url` keeps the list's filters (every query parameter but `page`) in the links;
`page_window` gives the page numbers to show, with None where numbers are skipped.
"""

from __future__ import annotations

from django import template
from django.core.paginator import Page

register = template.Library()


@register.simple_tag(takes_context=True)
def page_url(context, number: int, param: str = "") -> str:
    """The current address with another page number, e.g. "?q=…&field=…&page=3".

    `param` names the page parameter when a page has two lists (default "page")."""
    param = param or "page"
    request = context.get("request")
    query = request.GET.copy() if request is not None else None
    if query is None:
        return f"?{param}={number}"
    query.pop(param, None)
    if int(number) > 1:
        query[param] = str(number)
    encoded = query.urlencode()
    return f"?{encoded}" if encoded else "?"


@register.filter
def page_window(page: Page, around: int = 2) -> list[int | None]:
    """1 … 4 5 [6] 7 8 … 20: the first, the last and `around` pages on each side."""
    last = page.paginator.num_pages
    wanted = {1, last} | set(range(page.number - around, page.number + around + 1))
    numbers = sorted(n for n in wanted if 1 <= n <= last)
    window: list[int | None] = []
    for n in numbers:
        if window and window[-1] is not None and n - window[-1] > 1:
            window.append(None)
        window.append(n)
    return window
