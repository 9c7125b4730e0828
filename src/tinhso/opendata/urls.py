"""Pages of the opendata app, mounted under /opendata/."""

from django.urls import path

from tinhso.opendata import views

app_name = "opendata"
urlpatterns = [
    path("", views.home, name="home"),
    path("api/", views.api_docs, name="api_docs"),
    path("organization/<str:name>/", views.organization, name="organization"),
    path("dataset/<str:name>/", views.dataset, name="dataset"),
    path("dataset/<str:name>/edit/", views.dataset_edit, name="dataset_edit"),
    path("dataset/<str:name>/transition/", views.dataset_transition, name="dataset_transition"),
    path("dataset/<str:name>/resource/new/", views.resource_new, name="resource_new"),
    path("dataset/<str:name>/resource/<uuid:uid>/", views.resource, name="resource"),
    path("dataset/<str:name>/resource/<uuid:uid>/job/", views.job_progress, name="job_progress"),
    path(
        "dataset/<str:name>/resource/<uuid:uid>/download/<str:filename>",
        views.resource_download,
        name="resource_download",
    ),
    path(
        "dataset/<str:name>/resource/<uuid:uid>/export.<str:fmt>",
        views.resource_export,
        name="resource_export",
    ),
    path("contribute/", views.contribute, name="contribute"),
    path("contributions/", views.my_contributions, name="my_contributions"),
    path("contributions/<uuid:uid>/review/", views.review, name="review"),
    path("contributions/<uuid:uid>/file/", views.contribution_file, name="contribution_file"),
    path("manage/", views.manage, name="manage"),
    path("manage/new/", views.dataset_new, name="dataset_new"),
]
