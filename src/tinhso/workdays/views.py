"""The yearly exceptions page (platform administrators)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tinhso.accounts.rules import can
from tinhso.core.errors import DomainError
from tinhso.workdays import services
from tinhso.workdays.forms import DeleteExceptionForm, ExceptionForm
from tinhso.workdays.models import CalendarException


def _require_manage(request: HttpRequest) -> None:
    if not can(request.user, "workdays.manage_calendar"):
        raise PermissionDenied


def _year(request: HttpRequest) -> int:
    try:
        year = int(request.GET.get("year", ""))
    except ValueError:
        return timezone.localdate().year
    return year if services.MIN_YEAR <= year <= services.MAX_YEAR else timezone.localdate().year


@login_required
def exceptions(request: HttpRequest) -> HttpResponse:
    _require_manage(request)
    year = _year(request)
    form = ExceptionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            item = services.save_exception(
                actor=request.user,
                day=form.cleaned_data["date"],
                kind=form.cleaned_data["kind"],
                reason=form.cleaned_data["reason"],
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Đã lưu ngày ngoại lệ %(day)s.") % {"day": item})
            return redirect(f"{reverse('workdays:exceptions')}?year={item.date.year}")
    return render(
        request,
        "workdays/exceptions.html",
        {
            "form": form,
            "year": year,
            "years": [year - 1, year, year + 1],
            "items": CalendarException.objects.filter(date__year=year),
            "package_days": services.package_days(year),
        },
    )


@login_required
@require_POST
def delete_exception(request: HttpRequest) -> HttpResponse:
    _require_manage(request)
    form = DeleteExceptionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Ngày không hợp lệ."))
        return redirect("workdays:exceptions")
    day = form.cleaned_data["date"]
    try:
        services.delete_exception(actor=request.user, day=day)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Đã xóa ngày ngoại lệ %(day)s.") % {"day": f"{day:%d/%m/%Y}"})
    return redirect(f"{reverse('workdays:exceptions')}?year={day.year}")
