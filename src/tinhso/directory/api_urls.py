"""REST endpoints of this app, mounted under /api/v1/."""

from django.urls import path

from tinhso.directory import api

urlpatterns = [
    path("directory/agencies/tree", api.AgencyTreeView.as_view(), name="api-directory-tree"),
    path("directory/agencies", api.AgencyListView.as_view(), name="api-directory-agencies"),
    path(
        "directory/agencies/<str:code>",
        api.AgencyDetailView.as_view(),
        name="api-directory-agency",
    ),
    path("directory/people", api.PeopleSearchView.as_view(), name="api-directory-people"),
    path(
        "directory/admin-units", api.AdminUnitListView.as_view(), name="api-directory-admin-units"
    ),
]
