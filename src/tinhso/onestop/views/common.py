"""Helpers shared by the one-stop pages (permissions, errors, files).

Thin: every write goes through `tinhso.onestop.services` (or `catalog_io`), every read
through `selectors` / `statistics`; a `DomainError` becomes a message on the page.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tinhso.accounts.models import Role
from tinhso.accounts.rules import visible_agency_filter
from tinhso.core.collation import vi
from tinhso.core.errors import DomainError, NotFound
from tinhso.directory.models import Agency
from tinhso.onestop import services
from tinhso.onestop.models import (
    Dossier,
    DossierState,
    Procedure,
)

S = DossierState


OFFICIAL_ROLES = (Role.ONESTOP_OFFICER, Role.SPECIALIST, Role.LEADER, Role.AGENCY_ADMIN)


QUEUE_TITLES = {
    "to_receive": gettext_lazy("Chờ tiếp nhận"),
    "to_process": gettext_lazy("Cần xử lý"),
    "due_soon": gettext_lazy("Sắp đến hạn"),
    "overdue": gettext_lazy("Quá hạn"),
    "waiting": gettext_lazy("Chờ công dân"),
    "to_return": gettext_lazy("Chờ trả kết quả"),
}


def _is_official(user) -> bool:
    return bool(
        getattr(user, "is_authenticated", False) and (user.is_official or user.is_superuser)
    )


def _forbidden(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "onestop/forbidden.html", {"message": message}, status=403)


def _error(request: HttpRequest, exc: DomainError) -> None:
    messages.error(request, exc.message)


def _dossier_or_404(uid: Any) -> Dossier:
    try:
        return services.get_dossier(uid=uid)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def _version(request: HttpRequest) -> int | None:
    try:
        return int(request.POST.get("version", ""))
    except ValueError:
        return None


def _commune_agencies():
    return Agency.objects.filter(
        kind=Agency.Kind.PEOPLES_COMMITTEE, status=Agency.Status.ACTIVE, admin_unit__level="commune"
    ).order_by(vi("name"))


def _procedure_agencies():
    ids = Procedure.objects.filter(is_active=True).values("agency_id")
    # closed (dissolved, merged) agencies are no filter choice: their procedures moved
    return (
        Agency.objects.active()
        .filter(pk__in=ids)
        .only("pk", "code", "name")  # a filter's choices: not every agency's whole row
        .order_by(vi("name"), "code")
    )


def _pdf_response(data: bytes, filename: str, *, inline: bool = True) -> HttpResponse:
    response = HttpResponse(data, content_type="application/pdf")
    disposition = "inline" if inline else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    return response


def _citizen_required(request: HttpRequest) -> HttpResponse | None:
    if not request.user.is_authenticated:
        return redirect(
            f"{reverse('accounts:login')}?{urlencode({'next': request.get_full_path()})}"
        )
    if request.user.is_official:
        return _forbidden(
            request,
            _("Cán bộ nhập hồ sơ thay công dân tại chức năng Tiếp nhận tại quầy."),
        )
    return None


def _attachments(request: HttpRequest, procedure: Procedure, wallet_items) -> tuple[list, dict]:
    """Files or wallet items chosen for each required paper: (attachments, errors)."""
    wallet = {str(w.uid): w for w in wallet_items}
    result: list[services.Attachment] = []
    errors: dict[int, str] = {}
    for paper in procedure.papers.all():
        upload = request.FILES.get(f"paper-{paper.pk}")
        chosen = request.POST.get(f"wallet-{paper.pk}", "")
        if upload is not None:
            keep = request.POST.get(f"save-{paper.pk}") == "1"  # "Lưu vào kho giấy tờ"
            result.append(
                services.Attachment(file=upload, paper=paper, name=paper.name, save_to_wallet=keep)
            )
        elif chosen:
            item = wallet.get(chosen)
            if item is None:
                errors[paper.pk] = _("Giấy tờ trong kho không tồn tại.")
            else:
                result.append(services.Attachment(wallet_item=item, paper=paper, name=paper.name))
    return result, errors


def _official_required(request: HttpRequest) -> HttpResponse | None:
    if not request.user.is_authenticated:
        return redirect(
            f"{reverse('accounts:login')}?{urlencode({'next': request.get_full_path()})}"
        )
    if not _is_official(request.user):
        return _forbidden(request, _("Trang này dành cho cán bộ, công chức."))
    return None


def _lines(text: str) -> list[str]:
    return [line.strip(" -•\t") for line in (text or "").splitlines() if line.strip(" -•\t")]


def _officer_agencies(user):
    return Agency.objects.filter(visible_agency_filter(user, [Role.ONESTOP_OFFICER])).order_by(
        "name"
    )


def _xlsx_response(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(
        data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
