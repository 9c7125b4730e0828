"""Pages of signing: the public verification page."""

from __future__ import annotations

import hashlib

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from tinhso.core.errors import DomainError
from tinhso.signing import conf, selectors
from tinhso.signing.api import read_pdf_upload
from tinhso.signing.forms import VerifyForm


@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """Upload a signed PDF, see each signature (public: citizens check their results)."""
    context: dict = {"max_mb": conf.verify_max_bytes() // (1024 * 1024)}
    if request.method == "POST":
        form = VerifyForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                pdf = read_pdf_upload(upload, conf.verify_max_bytes())
                reports = selectors.verify_pdf(pdf)
            except DomainError as err:
                form.add_error("file", err.message)
                context["error_code"] = err.code
            else:
                context.update(
                    reports=reports,
                    checked=True,
                    file_name=upload.name,
                    file_sha256=hashlib.sha256(pdf).hexdigest(),
                    file_bytes=len(pdf),
                    all_valid=bool(reports) and all(r.status == "valid" for r in reports),
                )
    else:
        form = VerifyForm()
    context["form"] = form
    status = 400 if context.get("error_code") else 200
    return render(request, "signing/verify.html", context, status=status)
