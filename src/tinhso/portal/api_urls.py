"""The portal's content, read-only, as structured data (Circular 22/2023)."""

from django.urls import path

from tinhso.portal import api

urlpatterns = [
    path("portal/portals", api.PortalListView.as_view(), name="portal-portals"),
    path("portal/articles", api.ArticleListView.as_view(), name="portal-articles"),
    path("portal/documents", api.DocumentListView.as_view(), name="portal-documents"),
]
