"""DCAT-AP output parsed back with rdflib: the catalogue and one dataset carry the
properties DCAT-AP requires (and the recommended ones the national portal harvests)."""

from __future__ import annotations

import pytest
from django.test import Client
from rdflib import Graph, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF

from tests.opendata.conftest import csv_file
from tinhso.opendata import services

pytestmark = pytest.mark.django_db

HYDRA = "http://www.w3.org/ns/hydra/core#"


@pytest.mark.parametrize(
    ("fmt", "parser"), [("ttl", "turtle"), ("rdf", "xml"), ("jsonld", "json-ld")]
)
def test_catalog_has_dcat_ap_mandatory_properties(world, fmt, parser):
    services.add_resource(
        actor=world.officer,
        dataset=world.datasets["budget"],
        upload=csv_file("a,b\n1,2\n"),
        load_datastore=False,
    )
    response = Client().get(f"/catalog.{fmt}")
    assert response.status_code == 200
    g = Graph().parse(data=response.content, format=parser)
    catalogs = list(g.subjects(RDF.type, DCAT.Catalog))
    assert len(catalogs) == 1
    catalog = catalogs[0]
    for prop in (DCTERMS.title, DCTERMS.description, DCTERMS.publisher):
        assert g.value(catalog, prop) is not None, prop
    datasets = list(g.objects(catalog, DCAT.dataset))
    assert len(datasets) == 2  # published only: the draft is not in the catalogue
    for dataset in datasets:
        assert (dataset, RDF.type, DCAT.Dataset) in g
        for prop in (
            DCTERMS.title,
            DCTERMS.description,
            DCTERMS.identifier,
            DCTERMS.publisher,
            DCAT.contactPoint,
        ):
            assert g.value(dataset, prop) is not None, (dataset, prop)
        assert g.value(g.value(dataset, DCTERMS.publisher), FOAF.name) is not None
    budget = next(d for d in datasets if str(d).endswith("/du-toan-ngan-sach-tinh-nam-2026/"))
    assert str(g.value(budget, DCTERMS.accrualPeriodicity)).endswith("/frequency/ANNUAL")
    assert {str(t) for t in g.objects(budget, DCAT.theme)} == {
        "http://publications.europa.eu/resource/authority/data-theme/ECON"
    }
    assert {str(k) for k in g.objects(budget, DCAT.keyword)} == {"ngân sách", "tài chính"}
    assert g.value(budget, DCTERMS.spatial) is not None  # a DCAT-VN extra from the schema
    distribution = g.value(budget, DCAT.distribution)
    assert g.value(distribution, DCAT.accessURL) is not None
    assert g.value(distribution, DCAT.downloadURL) is not None
    assert g.value(distribution, DCTERMS.license) is not None
    paging = next(g.subjects(RDF.type, URIRef(HYDRA + "PagedCollection")))
    assert int(g.value(paging, URIRef(HYDRA + "totalItems"))) == 2


def test_dataset_endpoint_and_unpublished_is_not_found(world):
    response = Client().get("/dataset/du-toan-ngan-sach-tinh-nam-2026.ttl")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/turtle")
    g = Graph().parse(data=response.content, format="turtle")
    assert len(list(g.subjects(RDF.type, DCAT.Dataset))) == 1
    draft = world.datasets["draft"].name
    assert Client().get(f"/dataset/{draft}.ttl").status_code == 404


def test_catalog_paging_is_bounded(world):
    assert Client().get("/catalog.ttl?page=0").status_code == 400
    assert Client().get("/catalog.ttl?page=abc").status_code == 400
    assert Client().get("/catalog.ttl?modified_since=hôm-qua").status_code == 400
    g = Graph().parse(data=Client().get("/catalog.ttl?page=9").content, format="turtle")
    assert not list(g.objects(None, DCAT.dataset))
