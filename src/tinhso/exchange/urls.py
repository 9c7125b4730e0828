"""Pages of the exchange app, mounted under /exchange/."""

from django.urls import path

from tinhso.exchange import views

app_name = "exchange"
urlpatterns: list = [
    path("", views.home, name="home"),
    path("inbox/<uuid:uid>/", views.item, name="item"),
    path("inbox/<uuid:uid>/files/<int:index>/", views.item_file, name="item_file"),
    path("inbox/<uuid:uid>/accept/", views.accept, name="accept"),
    path("inbox/<uuid:uid>/refuse/", views.refuse, name="refuse"),
    path("documents/<uuid:uid>/", views.document, name="document"),
    path("documents/<uuid:uid>/business/", views.business, name="business"),
    path("admin/outbox/", views.outbox, name="outbox"),
    path("admin/outbox/<uuid:uid>/retry/", views.retry, name="retry"),
    path("admin/inbox/", views.inbox, name="inbox"),
    path("admin/endpoints/", views.endpoints, name="endpoints"),
    path("admin/statistics/", views.statistics, name="statistics"),
]
