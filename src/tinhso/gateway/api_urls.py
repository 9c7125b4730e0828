"""REST endpoints of the gateway app, mounted under /api/v1/."""

from django.urls import path

from tinhso.gateway import api

urlpatterns = [
    path("gateway/services/", api.ServiceList.as_view(), name="gateway-api-services"),
    path(
        "gateway/services/<slug:provider>/<slug:service>/",
        api.ServiceDetail.as_view(),
        name="gateway-api-service",
    ),
    path(
        "gateway/services/<slug:provider>/<slug:service>/rights/",
        api.Rights.as_view(),
        name="gateway-api-rights",
    ),
    path(
        "gateway/services/<slug:provider>/<slug:service>/<str:action>/",
        api.ServiceAction.as_view(),
        name="gateway-api-service-action",
    ),
    path("gateway/providers/", api.ProviderList.as_view(), name="gateway-api-providers"),
    path(
        "gateway/providers/<slug:provider>/services/",
        api.Publish.as_view(),
        name="gateway-api-publish",
    ),
    path("gateway/consumers/", api.ConsumerList.as_view(), name="gateway-api-consumers"),
    path("gateway/consumers/<slug:code>/keys/", api.Keys.as_view(), name="gateway-api-keys"),
    path(
        "gateway/consumers/<slug:code>/keys/<uuid:uid>/revoke/",
        api.KeyRevoke.as_view(),
        name="gateway-api-key-revoke",
    ),
    path("gateway/requests/", api.Requests.as_view(), name="gateway-api-requests"),
    path("gateway/requests/<uuid:uid>/decide/", api.Decide.as_view(), name="gateway-api-decide"),
    path("gateway/log/", api.Log.as_view(), name="gateway-api-log"),
    path("gateway/health/", api.Health.as_view(), name="gateway-api-health"),
]
