"""Pages of the reporting app, mounted under /reporting/."""

from django.urls import path

from tinhso.reporting import views

app_name = "reporting"
urlpatterns = [
    path("", views.home, name="home"),
    path("che-do/", views.definitions, name="definitions"),
    path("che-do/<str:code>/", views.definition, name="definition"),
    path("che-do/<str:code>/<str:key>/tong-hop/", views.aggregate, name="aggregate"),
    path("che-do/<str:code>/<str:key>/khoa-so/", views.lock, name="lock"),
    path("che-do/<str:code>/<str:key>/<str:agency_code>/", views.report, name="report"),
    path(
        "che-do/<str:code>/<str:key>/<str:agency_code>/tep.<str:kind>",
        views.report_file,
        name="report_file",
    ),
    path("chi-so-766/", views.index_page, name="index"),
    path("chi-so-766/<str:code>/", views.index_drilldown, name="index_drilldown"),
    path("chuyen-doi-so/", views.kpi_page, name="kpis"),
    path("chuyen-doi-so/<str:code>/", views.kpi_drilldown, name="kpi_drilldown"),
    path("lanh-dao/", views.leadership, name="leadership"),
]
