"""REST endpoints of the opendata app, mounted under /api/v1/."""

from django.urls import path

from tinhso.opendata import api

urlpatterns = [
    path("opendata/datasets", api.DatasetListView.as_view(), name="api-opendata-datasets"),
    path(
        "opendata/datasets/<str:name>", api.DatasetDetailView.as_view(), name="api-opendata-dataset"
    ),
]
