"""Pages of signing: the public verification page."""

from __future__ import annotations

import hashlib

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from tinhso.core.errors import DomainError
from tinhso.signing import conf, selectors
from tinhso.signing.api import read_pdf_upload
from tinhso.signing.forms import SignatureImageForm, TokenCertificateForm, VerifyForm
from tinhso.signing.models import SignatureImage


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


@login_required
@require_http_methods(["GET", "POST"])
def certificates(request: HttpRequest) -> HttpResponse:
    """An official's certificates and signature image; register a USB token certificate."""
    from tinhso.signing import services

    user = request.user
    image_form = SignatureImageForm()
    token_form = TokenCertificateForm()
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "image":
                image_form = SignatureImageForm(request.POST, request.FILES)
                if image_form.is_valid():
                    upload = image_form.cleaned_data["image"]
                    services.set_image(
                        owner_user=request.user, png=upload.read(), actor=request.user
                    )
                    messages.success(request, _("Đã cập nhật ảnh chữ ký."))
                    return redirect("signing:certificates")
            elif action == "token":
                token_form = TokenCertificateForm(request.POST)
                if token_form.is_valid():
                    services.register_token_certificate(
                        user=request.user, certificate=token_form.cleaned_data["certificate"]
                    )
                    messages.success(request, _("Đã đăng ký chứng thư số của USB token."))
                    return redirect("signing:certificates")
        except DomainError as err:
            form = image_form if action == "image" else token_form
            form.add_error(None, err.message)
    return render(
        request,
        "signing/certificates.html",
        {
            "certificates": selectors.certificates_of(user=user),
            "has_image": SignatureImage.objects.filter(owner_user=user.pk).exists(),
            "image_form": image_form,
            "token_form": token_form,
        },
    )


@login_required
def my_signature_image(request: HttpRequest) -> HttpResponse:
    row = SignatureImage.objects.filter(owner_user=request.user.pk).first()
    if row is None or not row.image:
        raise Http404
    with row.image.open("rb") as fh:
        data = fh.read()
    response = HttpResponse(data, content_type="image/png")
    response["Cache-Control"] = "private, no-store"
    return response


def trust_list(request: HttpRequest) -> HttpResponse:
    """Public: the CAs this platform trusts, their certificates and CRLs to download
    (so that other software, e.g. a PDF reader, can verify our documents too)."""
    from tinhso.signing.models import CACertificate

    return render(
        request,
        "signing/trust.html",
        {"cas": CACertificate.objects.select_related("issuer_ca").order_by("-is_trust_anchor")},
    )


def ca_certificate(request: HttpRequest, fingerprint: str) -> HttpResponse:
    from tinhso.signing.models import CACertificate

    row = CACertificate.objects.filter(fingerprint_sha256=fingerprint).first()
    if row is None:
        raise Http404
    response = HttpResponse(row.certificate_pem, content_type="application/x-pem-file")
    response["Content-Disposition"] = f'attachment; filename="{fingerprint[:16]}.pem"'
    return response


def ca_crl(request: HttpRequest, fingerprint: str) -> HttpResponse:
    from tinhso.signing.models import RevocationList

    row = (
        RevocationList.objects.filter(issuer_ca__fingerprint_sha256=fingerprint)
        .order_by("-this_update")
        .first()
    )
    if row is None:
        raise Http404
    response = HttpResponse(bytes(row.crl_der), content_type="application/pkix-crl")
    response["Content-Disposition"] = f'attachment; filename="{fingerprint[:16]}.crl"'
    return response
