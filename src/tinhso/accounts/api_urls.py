"""REST endpoints of this app, mounted under /api/v1/."""

from django.urls import path

from tinhso.accounts import api

urlpatterns = [path("me", api.MeView.as_view(), name="api-me")]
