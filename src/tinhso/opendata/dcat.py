"""DCAT-AP output (rdflib) so that the national portal can harvest the province:
`/catalog.{ttl,rdf,jsonld}` (100 datasets a page, Hydra paging as ckanext-dcat does,
`?page=`, `?modified_since=`) and `/dataset/<name>.{ttl,rdf,jsonld}`.

DCAT-VN's extra fields come from `data/dcat_vn_schema.json` (each names its RDF property).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_GET
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, XSD

from tinhso.opendata import schema, selectors
from tinhso.opendata.errors import OpendataNotFound
from tinhso.opendata.models import Dataset

VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
ADMS = Namespace("http://www.w3.org/ns/adms#")
EU_FREQ = Namespace("http://publications.europa.eu/resource/authority/frequency/")
EU_THEME = Namespace("http://publications.europa.eu/resource/authority/data-theme/")
EU_LANG = Namespace("http://publications.europa.eu/resource/authority/language/")
EU_FILE = Namespace("http://publications.europa.eu/resource/authority/file-type/")
PER_PAGE = 100
FORMATS = {
    "ttl": ("turtle", "text/turtle"),
    "n3": ("n3", "text/n3"),
    "rdf": ("xml", "application/rdf+xml"),
    "xml": ("xml", "application/rdf+xml"),
    "jsonld": ("json-ld", "application/ld+json"),
}
LANGS = {"vi": "VIE", "en": "ENG"}


def _graph() -> Graph:
    g = Graph()
    for prefix, ns in (
        ("dcat", DCAT),
        ("dct", DCTERMS),
        ("foaf", FOAF),
        ("vcard", VCARD),
        ("hydra", HYDRA),
        ("spdx", SPDX),
        ("adms", ADMS),
    ):
        g.bind(prefix, ns)
    return g


def _date(value: dt.datetime | None) -> Literal | None:
    if value is None:
        return None
    return Literal(
        value.astimezone(dt.UTC).replace(microsecond=0).isoformat(), datatype=XSD.dateTime
    )


def dataset_uri(base: str, dataset: Dataset) -> URIRef:
    return URIRef(base + reverse("opendata:dataset", args=[dataset.name]))


def add_dataset(g: Graph, dataset: Dataset, *, base: str) -> URIRef:
    node = dataset_uri(base, dataset)
    g.add((node, RDF.type, DCAT.Dataset))
    g.add((node, DCTERMS.identifier, Literal(str(dataset.uid))))
    g.add((node, DCTERMS.title, Literal(dataset.title, lang="vi")))
    g.add((node, DCTERMS.description, Literal(dataset.notes or dataset.title, lang="vi")))
    g.add((node, DCAT.landingPage, node))
    issued = _date(dataset.published_at or dataset.created_at)
    if issued is not None:
        g.add((node, DCTERMS.issued, issued))
    modified = _date(dataset.metadata_modified)
    if modified is not None:
        g.add((node, DCTERMS.modified, modified))
    agency = dataset.agency
    publisher = URIRef(base + reverse("opendata:organization", args=[selectors.org_name(agency)]))
    g.add((node, DCTERMS.publisher, publisher))
    g.add((publisher, RDF.type, FOAF.Agent))
    g.add((publisher, FOAF.name, Literal(agency.name, lang="vi")))
    g.add((publisher, DCTERMS.identifier, Literal(agency.code)))
    contact = BNode()
    g.add((node, DCAT.contactPoint, contact))
    g.add((contact, RDF.type, VCARD.Organization))
    g.add((contact, VCARD.fn, Literal(dataset.maintainer or agency.name)))
    email = dataset.maintainer_email or agency.email
    if email:
        g.add((contact, VCARD.hasEmail, URIRef(f"mailto:{email}")))
    for tag in dataset.tags.all():
        g.add((node, DCAT.keyword, Literal(tag.name, lang="vi")))
    for group in dataset.groups.all():
        theme = (
            URIRef(group.theme_uri)
            if group.theme_uri
            else URIRef(base + reverse("opendata:home") + f"?groups={group.name}")
        )
        g.add((node, DCAT.theme, theme))
    if dataset.frequency:
        g.add((node, DCTERMS.accrualPeriodicity, EU_FREQ[dataset.frequency]))
    for spec in schema.extra_fields():
        value = dataset.extras.get(spec["key"])
        if not value:
            continue
        prop = URIRef(spec["rdf"])
        if spec["key"] == "language":
            g.add((node, prop, EU_LANG[LANGS.get(value, value.upper())]))
        elif spec["key"] in ("temporal_start", "temporal_end"):
            continue
        elif spec["type"] == "url":
            g.add((node, prop, URIRef(value)))
        else:
            g.add((node, prop, Literal(value)))
    start, end = dataset.extras.get("temporal_start"), dataset.extras.get("temporal_end")
    if start or end:
        period = BNode()
        g.add((node, DCTERMS.temporal, period))
        g.add((period, RDF.type, DCTERMS.PeriodOfTime))
        if start:
            g.add((period, DCAT.startDate, Literal(start, datatype=XSD.date)))
        if end:
            g.add((period, DCAT.endDate, Literal(end, datatype=XSD.date)))
    licence = URIRef(dataset.licence.url) if dataset.licence.url else None
    for resource in dataset.resources.all():
        resource.dataset = dataset
        data = selectors.resource_dict(resource, base=base)
        dist = URIRef(f"{node}#resource-{resource.uid}")
        g.add((node, DCAT.distribution, dist))
        g.add((dist, RDF.type, DCAT.Distribution))
        g.add((dist, DCTERMS.title, Literal(resource.name, lang="vi")))
        if resource.description:
            g.add((dist, DCTERMS.description, Literal(resource.description, lang="vi")))
        g.add((dist, DCAT.accessURL, URIRef(data["url"])))
        if resource.is_upload:
            g.add((dist, DCAT.downloadURL, URIRef(data["url"])))
        if resource.format:
            g.add((dist, DCTERMS["format"], EU_FILE[resource.format.upper()]))
        if licence is not None:
            g.add((dist, DCTERMS.license, licence))
        if resource.size:
            g.add((dist, DCAT.byteSize, Literal(resource.size, datatype=XSD.nonNegativeInteger)))
        if resource.sha256:
            checksum = BNode()
            g.add((dist, SPDX.checksum, checksum))
            g.add((checksum, RDF.type, SPDX.Checksum))
            g.add((checksum, SPDX.algorithm, SPDX.checksumAlgorithm_sha256))
            g.add((checksum, SPDX.checksumValue, Literal(resource.sha256, datatype=XSD.hexBinary)))
        issued = _date(resource.created_at)
        if issued is not None:
            g.add((dist, DCTERMS.issued, issued))
    return node


def catalog_graph(*, base: str, page: int = 1, modified_since: dt.datetime | None = None) -> Graph:
    g = _graph()
    catalog = URIRef(base + "/catalog")
    g.add((catalog, RDF.type, DCAT.Catalog))
    g.add(
        (
            catalog,
            DCTERMS.title,
            Literal(f"Dữ liệu mở — {settings.TINHSO_PROVINCE_NAME}", lang="vi"),
        )
    )
    g.add((catalog, DCTERMS.description, Literal("Cổng dữ liệu mở của tỉnh (tinhso).", lang="vi")))
    g.add((catalog, FOAF.homepage, URIRef(base + reverse("opendata:home"))))
    g.add((catalog, DCTERMS.language, EU_LANG.VIE))
    publisher = BNode()
    g.add((catalog, DCTERMS.publisher, publisher))
    g.add((publisher, RDF.type, FOAF.Agent))
    g.add((publisher, FOAF.name, Literal(settings.TINHSO_PROVINCE_NAME, lang="vi")))
    qs = (
        selectors.published()
        .select_related("agency", "licence")
        .prefetch_related("tags", "groups", "resources")
    )
    if modified_since is not None:
        qs = qs.filter(metadata_modified__gte=modified_since)
    total = qs.count()
    last = max(1, (total + PER_PAGE - 1) // PER_PAGE)
    for dataset in qs.order_by("-metadata_modified", "-id")[
        (page - 1) * PER_PAGE : page * PER_PAGE
    ]:
        g.add((catalog, DCAT.dataset, add_dataset(g, dataset, base=base)))
    paging = URIRef(f"{base}/catalog.ttl?page={page}")
    g.add((paging, RDF.type, HYDRA.PagedCollection))
    g.add((paging, HYDRA.totalItems, Literal(total, datatype=XSD.integer)))
    g.add((paging, HYDRA.itemsPerPage, Literal(PER_PAGE, datatype=XSD.integer)))
    g.add((paging, HYDRA.firstPage, Literal(f"{base}/catalog.ttl?page=1")))
    g.add((paging, HYDRA.lastPage, Literal(f"{base}/catalog.ttl?page={last}")))
    if page < last:
        g.add((paging, HYDRA.nextPage, Literal(f"{base}/catalog.ttl?page={page + 1}")))
    if page > 1:
        g.add((paging, HYDRA.previousPage, Literal(f"{base}/catalog.ttl?page={page - 1}")))
    return g


def _base(request: HttpRequest) -> str:
    return request.build_absolute_uri("/").rstrip("/")


def _respond(g: Graph, fmt: str) -> HttpResponse:
    rdflib_format, content_type = FORMATS[fmt]
    body = g.serialize(format=rdflib_format)
    return HttpResponse(body, content_type=f"{content_type}; charset=utf-8")


@require_GET
def catalog_view(request: HttpRequest, fmt: str) -> HttpResponse:
    if fmt not in FORMATS:
        raise Http404
    raw_page = request.GET.get("page", "1")
    page = int(raw_page) if raw_page.isdigit() and 0 < len(raw_page) <= 6 else 0
    if page < 1:
        return HttpResponse(
            "page phải là số nguyên dương.", status=400, content_type="text/plain; charset=utf-8"
        )
    since = None
    if request.GET.get("modified_since"):
        try:
            since = dt.datetime.fromisoformat(request.GET["modified_since"].replace("Z", "+00:00"))
        except ValueError:
            return HttpResponse(
                "modified_since phải theo ISO-8601.",
                status=400,
                content_type="text/plain; charset=utf-8",
            )
        if since.tzinfo is None:
            since = since.replace(tzinfo=dt.UTC)
    return _respond(catalog_graph(base=_base(request), page=page, modified_since=since), fmt)


@require_GET
def dataset_view(request: HttpRequest, name: str, fmt: str) -> HttpResponse:
    try:
        dataset = selectors.get_dataset(name)
    except OpendataNotFound:
        raise Http404 from None
    if not dataset.is_published:
        raise Http404
    g = _graph()
    add_dataset(g, dataset, base=_base(request))
    return _respond(g, fmt)


def graph_for(dataset: Dataset, *, base: str) -> Any:
    g = _graph()
    add_dataset(g, dataset, base=base)
    return g
