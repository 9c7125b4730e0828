"""The audit trail pages: list with filters, one entry."""

from __future__ import annotations

import json

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from tinhso.accounts.rules import can
from tinhso.audit.forms import TrailFilterForm
from tinhso.audit.selectors import trail_for, visible_entries
from tinhso.core.pagination import paginate

PAGE_SIZE = 50


def _require_trail(request: HttpRequest) -> None:
    if not can(request.user, "audit.view_trail"):
        raise PermissionDenied


@login_required
def trail(request: HttpRequest) -> HttpResponse:
    _require_trail(request)
    form = TrailFilterForm(request.GET or None)
    if form.is_bound:
        form.is_valid()  # invalid fields are shown and left out of the filter
    entries = trail_for(request.user, form.to_filter()).select_related("agency")
    page = paginate(request, entries, PAGE_SIZE)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "audit/trail.html",
        {"form": form, "page": page, "query": query.urlencode()},
    )


@login_required
def entry(request: HttpRequest, pk: int) -> HttpResponse:
    _require_trail(request)
    item = visible_entries(request.user).select_related("agency").filter(pk=pk).first()
    if item is None:
        raise Http404
    return render(
        request,
        "audit/entry.html",
        {
            "entry": item,
            "summary_json": json.dumps(item.summary, ensure_ascii=False, indent=2),
        },
    )
