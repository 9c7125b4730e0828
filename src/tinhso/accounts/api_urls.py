"""REST endpoints of this app, mounted under /api/v1/."""

from django.urls import path

from tinhso.accounts import api

urlpatterns = [
    path("me", api.MeView.as_view(), name="api-me"),
    path(
        "accounts/agencies/<str:code>/roles",
        api.AgencyRolesView.as_view(),
        name="api-agency-roles",
    ),
    path(
        "accounts/agencies/<str:code>/roles/<uuid:user_uid>/<str:role>",
        api.AgencyRoleDetailView.as_view(),
        name="api-agency-role",
    ),
]
