"""Addresses the open data portal keeps at CKAN's and ckanext-dcat's places (root level):
the Action API and the DCAT catalogue, so harvesters and clients find them unchanged."""

from django.urls import path, re_path

from tinhso.opendata import ckan, dcat

urlpatterns = [
    re_path(
        r"^api/(?:3/)?action/(?P<name>[A-Za-z0-9_.-]{1,100})/?$", ckan.dispatch, name="ckan_action"
    ),
    re_path(r"^api/(?:3/)?action/?$", ckan.dispatch, {"name": ""}, name="ckan_action_root"),
    path("catalog.<str:fmt>", dcat.catalog_view, name="dcat_catalog"),
    re_path(
        r"^dataset/(?P<name>[A-Za-z0-9_-]{1,100})\.(?P<fmt>ttl|rdf|xml|jsonld|n3)$",
        dcat.dataset_view,
        name="dcat_dataset",
    ),
]
