"""The forms 01–05 a dossier was issued, served as stored (see services.forms_issued)."""

from __future__ import annotations

from django.core.files.storage import default_storage
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from tinhso.accounts.rules import can
from tinhso.onestop.models import IssuedForm
from tinhso.onestop.services.forms_issued import provisional_control_slip, stored_pdf
from tinhso.onestop.views.common import _dossier_or_404, _forbidden


def _serve(form: IssuedForm) -> HttpResponse:
    form = stored_pdf(form)
    with default_storage.open(str(form.file.name), "rb") as stored:
        data = stored.read()  # an A5 form: tens of kilobytes
    code = form.dossier.code or str(form.dossier.uid)
    response = HttpResponse(data, content_type="application/pdf")
    filename = f"mau-{form.number}-{code}-{form.issued_at:%Y%m%d%H%M}.pdf"
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["X-Content-SHA256"] = form.sha256  # what the citizen was given, verifiable
    return response


def _allowed(request: HttpRequest, uid):
    if not request.user.is_authenticated:
        return None, redirect("accounts:login")
    dossier = _dossier_or_404(uid)
    if not can(request.user, "onestop.view_dossier", dossier):
        return None, _forbidden(request, _("Bạn không có quyền xem hồ sơ này."))
    return dossier, None


@require_GET
def issued_form(request: HttpRequest, uid, form_uid) -> HttpResponse:
    """One issued form, exactly as stored."""
    dossier, denied = _allowed(request, uid)
    if denied is not None:
        return denied
    form = (
        IssuedForm.objects.select_related("dossier").filter(dossier=dossier, uid=form_uid).first()
    )
    if form is None:
        raise Http404(_("Không tìm thấy phiếu."))
    return _serve(form)


@require_GET
def latest_form(request: HttpRequest, uid, form: str) -> HttpResponse:
    """`mau-01.pdf`: the latest form of that number the dossier was issued."""
    dossier, denied = _allowed(request, uid)
    if denied is not None:
        return denied
    issued = (
        IssuedForm.objects.select_related("dossier")
        .filter(dossier=dossier, number=form)
        .order_by("-issued_at", "-pk")
        .first()
    )
    if issued is None and form == IssuedForm.Number.CONTROL and dossier.code:
        # still being processed: the slip as it stands, marked as a preview, not stored
        response = HttpResponse(provisional_control_slip(dossier), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="mau-05-{dossier.code}-xem.pdf"'
        return response
    if issued is None:
        raise Http404(_("Phiếu này chưa có cho hồ sơ."))
    return _serve(issued)
