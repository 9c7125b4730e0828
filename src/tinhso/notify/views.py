"""A person's own messages (what tinhso sent them, and whether it went out)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from tinhso.core.pagination import paginate
from tinhso.notify.selectors import messages_for


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    page = paginate(request, messages_for(request.user), 20)
    return render(request, "notify/mine.html", {"page": page})
