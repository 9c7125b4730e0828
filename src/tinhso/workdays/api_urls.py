"""REST endpoints of this app, mounted under /api/v1/."""

from django.urls import path

from tinhso.workdays import api

urlpatterns = [
    path("workdays/due-date", api.DueDateView.as_view(), name="workdays-due-date"),
    path("workdays/is-working-day", api.IsWorkingDayView.as_view(), name="workdays-is-working-day"),
]
