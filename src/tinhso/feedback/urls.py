"""Pages of the feedback app, mounted under /feedback/."""

from django.urls import path

from tinhso.feedback import views

app_name = "feedback"
urlpatterns = [
    path("", views.home, name="home"),
    path("ranh-gioi.geojson", views.areas, name="areas"),
    path("r/<str:code>/", views.report, name="report"),
    path("r/<str:code>/theo-doi/", views.follow, name="follow"),
    path("r/<str:code>/thao-tac/<str:action>/", views.act, name="act"),
    path("anh/<str:uid>/", views.photo, name="photo"),
    path("xu-ly/", views.queue, name="queue"),
    path("ioc/", views.ioc, name="ioc"),
    path("ioc/so-lieu/", views.ioc_figures, name="ioc_figures"),
    path("ioc/ban-do-nhiet/", views.ioc_heat, name="ioc_heat"),
    path("thong-ke/", views.statistics, name="statistics"),
    path("app/", views.app, name="app"),
    path("app/manifest.webmanifest", views.manifest, name="manifest"),
    path("app/sw.js", views.service_worker, name="sw"),
]
