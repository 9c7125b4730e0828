"""REST endpoints of the reporting app, mounted under /api/v1/."""

from django.urls import path

from tinhso.reporting import api

urlpatterns = [
    path("reporting/definitions", api.DefinitionListView.as_view(), name="reporting-definitions"),
    path(
        "reporting/definitions/<str:code>/periods",
        api.PeriodListView.as_view(),
        name="reporting-periods",
    ),
    path(
        "reporting/definitions/<str:code>/periods/<str:key>/national",
        api.NationalAggregateView.as_view(),
        name="reporting-national-aggregate",
    ),
    path(
        "reporting/submissions/<uuid:uid>/national",
        api.NationalSubmissionView.as_view(),
        name="reporting-national-submission",
    ),
    path("reporting/index-766", api.IndexView.as_view(), name="reporting-index"),
    path(
        "reporting/index-766/<str:code>/lost",
        api.IndexDrilldownView.as_view(),
        name="reporting-index-drilldown",
    ),
    path("reporting/kpis", api.KpiView.as_view(), name="reporting-kpis"),
]
