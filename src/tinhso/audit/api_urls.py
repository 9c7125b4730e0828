"""REST endpoints of this app, mounted under /api/v1/."""

from django.urls import path

from tinhso.audit import api

urlpatterns = [path("audit/entries", api.AuditEntryList.as_view(), name="audit-entries")]
