"""REST endpoints of the feedback app, mounted under /api/v1/."""

from django.urls import path

from tinhso.feedback import api, open311

O311 = "feedback/open311/v2/"
urlpatterns = [
    path("feedback/categories/", api.Categories.as_view(), name="feedback-api-categories"),
    path("feedback/nearby/", api.Nearby.as_view(), name="feedback-api-nearby"),
    path("feedback/reports/", api.Reports.as_view(), name="feedback-api-reports"),
    path("feedback/reports/mine/", api.Mine.as_view(), name="feedback-api-mine"),
    path("feedback/reports/<str:code>/", api.ReportDetail.as_view(), name="feedback-api-report"),
    path("feedback/reports/<str:code>/follow/", api.Follow.as_view(), name="feedback-api-follow"),
    path(
        "feedback/reports/<str:code>/actions/<str:action>/",
        api.Action.as_view(),
        name="feedback-api-action",
    ),
    path("feedback/queue/", api.Queue.as_view(), name="feedback-api-queue"),
    path("feedback/points/", api.Points.as_view(), name="feedback-api-points"),
    path("feedback/inbox/", api.Inbox.as_view(), name="feedback-api-inbox"),
    path("feedback/ioc/", api.Ioc.as_view(), name="feedback-api-ioc"),
    path(O311 + "discovery.<str:fmt>", open311.Discovery.as_view(), name="open311-discovery"),
    path(O311 + "services.<str:fmt>", open311.Services.as_view(), name="open311-services"),
    path(
        O311 + "services/<str:code>.<str:fmt>",
        open311.ServiceDefinition.as_view(),
        name="open311-service",
    ),
    path(O311 + "requests.<str:fmt>", open311.Requests.as_view(), name="open311-requests"),
    path(
        O311 + "requests/<str:request_id>.<str:fmt>",
        open311.RequestDetail.as_view(),
        name="open311-request",
    ),
    path(O311 + "tokens/<str:token>.<str:fmt>", open311.Token.as_view(), name="open311-token"),
]
