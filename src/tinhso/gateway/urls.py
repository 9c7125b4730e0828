"""Pages of the gateway app, mounted under /gateway/."""

from django.urls import path

from tinhso.gateway import views

app_name = "gateway"
urlpatterns = [
    path("", views.home, name="home"),
    path("catalogue/", views.catalogue, name="catalogue"),
    path("services/<slug:provider>/<slug:service>/", views.service_detail, name="service"),
    path(
        "services/<slug:provider>/<slug:service>/openapi.json",
        views.service_openapi,
        name="service_openapi",
    ),
    path(
        "services/<slug:provider>/<slug:service>/refresh/",
        views.service_refresh,
        name="service_refresh",
    ),
    path("providers/", views.providers, name="providers"),
    path("providers/<slug:code>/", views.provider_detail, name="provider"),
    path("consumers/", views.consumers, name="consumers"),
    path("consumers/<slug:code>/", views.consumer_detail, name="consumer"),
    path("requests/", views.requests_list, name="requests"),
    path("log/", views.log_search, name="log"),
    path("monitoring/", views.monitoring, name="monitoring"),
]
