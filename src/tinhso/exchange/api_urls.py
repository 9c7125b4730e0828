"""REST endpoints of the exchange app, mounted under /api/v1/."""

from django.urls import path

from tinhso.exchange import api

urlpatterns: list = [
    path("exchange/packages", api.PackageView.as_view(), name="exchange-packages"),
]
