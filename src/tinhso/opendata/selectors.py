"""Read queries of the open data portal: dataset search with facets (the page and
`package_search` share it), CKAN-shaped dictionaries, organisations and groups.

Search is diacritics-insensitive: every dataset keeps its text folded
(`tinhso.core.text.fold`) in `search_folded`; each word of the query must occur in it.
Facet counts are one GROUP BY per facet over the same filtered set.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Case, Count, IntegerField, Prefetch, Q, QuerySet, Value, When

from tinhso.core.replica import replica_reads
from tinhso.core.text import fold
from tinhso.directory.models import Agency
from tinhso.opendata.errors import (
    OpendataErrorCode,
    OpendataNotFound,
    OpendataValidation,
    SearchQueryInvalid,
)
from tinhso.opendata.models import (
    Dataset,
    DatasetState,
    Licence,
    Resource,
    Tag,
    TopicGroup,
)

MAX_ROWS = 1000  # CKAN's ckan.search.rows_max
DEFAULT_ROWS = 10
MAX_START = 1_000_000
FACET_FIELDS = ("organization", "groups", "tags", "res_format", "license_id")
DEFAULT_FACET_LIMIT = 50
MAX_FACET_LIMIT = 1000
SORTS = {
    "score": None,
    "metadata_modified": "metadata_modified",
    "metadata_created": "created_at",
    "title_string": "title_folded",
    "name": "name",
    "views_recent": "download_count",
}
FACET_TITLES = {
    "organization": "Organizations",
    "groups": "Groups",
    "tags": "Tags",
    "res_format": "Formats",
    "license_id": "Licenses",
}


# ---------------------------------------------------------------------------------------
# organisations


def org_name(agency: Agency) -> str:
    """CKAN `name` of an agency: its code with '.' → '-', lower case (H99.12 → h99-12)."""
    return re.sub(r"[^a-z0-9]+", "-", agency.code.lower()).strip("-")


def agency_by_ckan(value: Any) -> Agency:
    """The agency for a CKAN organisation id (UUID), name (h99-12) or code (H99.12)."""
    text = str(value or "").strip()[:100]
    agency = None
    if re.fullmatch(r"[0-9a-fA-F-]{32,36}", text):
        agency = Agency.objects.filter(uid=text).first()
    if agency is None and text:
        code = text.replace("-", ".").upper()
        agency = Agency.objects.filter(Q(code=code) | Q(code=text) | Q(legacy_code=code)).first()
    if agency is None:
        raise OpendataNotFound(
            "Organization was not found.",
            code=OpendataErrorCode.ORGANIZATION_NOT_FOUND,
        )
    return agency


def publishing_agencies() -> QuerySet[Agency]:
    """Agencies with at least one published dataset, with their counts."""
    return (
        Agency.objects.filter(datasets__state=DatasetState.PUBLISHED)
        .annotate(dataset_count=Count("datasets", filter=Q(datasets__state="published")))
        .order_by("path")
    )


# ---------------------------------------------------------------------------------------
# datasets


def published() -> QuerySet[Dataset]:
    return Dataset.objects.filter(state=DatasetState.PUBLISHED)


def visible_datasets(user: Any) -> QuerySet[Dataset]:
    """Published datasets, plus every state of the agencies the user manages."""
    from tinhso.opendata.rules import managed_agency_ids

    ids = managed_agency_ids(user)
    if ids is None:
        return Dataset.objects.all()
    if not ids:
        return published()
    return Dataset.objects.filter(Q(state=DatasetState.PUBLISHED) | Q(agency_id__in=ids))


def get_dataset(id_or_name: Any, *, user: Any = None) -> Dataset:
    text = str(id_or_name or "").strip()[:100]
    qs = visible_datasets(user).select_related("agency", "licence")
    dataset = None
    if re.fullmatch(r"[0-9a-fA-F-]{32,36}", text):
        dataset = qs.filter(uid=text).first()
    if dataset is None and text:
        dataset = qs.filter(name=text).first()
    if dataset is None:
        raise OpendataNotFound("Không tìm thấy bộ dữ liệu.")
    return dataset


def get_resource(id_value: Any, *, user: Any = None) -> Resource:
    text = str(id_value or "").strip()[:100]
    resource = None
    if re.fullmatch(r"[0-9a-fA-F-]{32,36}", text):
        resource = (
            Resource.objects.select_related("dataset__agency", "datastore")
            .filter(uid=text, dataset__in=visible_datasets(user))
            .first()
        )
    if resource is None:
        raise OpendataNotFound("Resource was not found.", code=OpendataErrorCode.RESOURCE_NOT_FOUND)
    return resource


# ---------------------------------------------------------------------------------------
# search


@dataclass
class SearchResult:
    count: int
    datasets: list[Dataset]
    facets: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    ids: list[int] | None = None  # the page's ids, when asked for ids only


_FQ_TERM = re.compile(r'([+-]?)([a-z_]+):(?:"([^"]*)"|(\S+))')
FILTER_KEYS = {
    "organization": "organization",
    "owner_org": "organization",
    "groups": "groups",
    "tags": "tags",
    "res_format": "res_format",
    "license_id": "license_id",
    "name": "name",
    "id": "id",
}


def parse_fq(fq: str) -> dict[str, list[str]]:
    """`organization:h99-12 tags:"dân số"` → {"organization": ["h99-12"], "tags": [...]}.
    Any other syntax is a Search Query Error (never silently ignored)."""
    result: dict[str, list[str]] = {}
    text = fq.strip()
    position = 0
    for match in _FQ_TERM.finditer(text):
        between = text[position : match.start()].strip()
        if between and between.upper() not in ("AND", "+"):
            raise SearchQueryInvalid(f"Search Query is invalid: {fq!r}")
        position = match.end()
        sign, key, quoted, bare = match.groups()
        if sign == "-" or key not in FILTER_KEYS:
            raise SearchQueryInvalid(f"Search Query is invalid: unsupported field {key!r}")
        result.setdefault(FILTER_KEYS[key], []).append(quoted if quoted is not None else bare)
    if text[position:].strip():
        raise SearchQueryInvalid(f"Search Query is invalid: {fq!r}")
    return result


def _filtered(qs: QuerySet[Dataset], filters: dict[str, list[str]]) -> QuerySet[Dataset]:
    for key, values in filters.items():
        for value in values:
            if key == "organization":
                codes = [value.replace("-", ".").upper(), value]
                qs = qs.filter(
                    Q(agency__code__in=codes) | Q(agency__uid=value)
                    if re.fullmatch(r"[0-9a-fA-F-]{36}", value)
                    else Q(agency__code__in=codes)
                )
            elif key == "groups":
                qs = qs.filter(groups__name=value)
            elif key == "tags":
                qs = qs.filter(tags__name=value)
            elif key == "res_format":
                qs = qs.filter(
                    pk__in=Resource.objects.filter(format=value.upper()).values("dataset_id")
                )
            elif key == "license_id":
                qs = qs.filter(licence_id=value)
            elif key == "name":
                qs = qs.filter(name=value)
            elif key == "id":
                qs = qs.filter(uid=value) if re.fullmatch(r"[0-9a-fA-F-]{36}", value) else qs.none()
    return qs


@replica_reads
def search(
    *,
    q: str = "",
    filters: dict[str, list[str]] | None = None,
    sort: str = "",
    rows: int = DEFAULT_ROWS,
    start: int = 0,
    facet_fields: list[str] | tuple[str, ...] = (),
    facet_limit: int = DEFAULT_FACET_LIMIT,
    facet_mincount: int = 1,
    base: QuerySet[Dataset] | None = None,
    ids_only: bool = False,
) -> SearchResult:
    if not 0 <= rows <= MAX_ROWS:
        raise OpendataValidation(
            f"rows phải từ 0 đến {MAX_ROWS} (giới hạn cứng; hãy phân trang bằng start).",
            code=OpendataErrorCode.LIMIT_TOO_LARGE,
            field="rows",
        )
    if not 0 <= start <= MAX_START:
        raise OpendataValidation(f"start phải từ 0 đến {MAX_START}.", field="start")
    for name in facet_fields:
        if name not in FACET_FIELDS:
            raise SearchQueryInvalid(
                f"Search Query is invalid: facet field {name!r} is not one of {FACET_FIELDS}"
            )
    qs = base if base is not None else published()
    filters = dict(filters or {})
    words: list[str] = []
    for token in (q or "").split():
        match = re.fullmatch(r'([a-z_]+):"?([^"]+)"?', token)
        if match and match.group(1) in FILTER_KEYS:
            filters.setdefault(FILTER_KEYS[match.group(1)], []).append(match.group(2))
        elif token not in ("*:*", "*"):
            words.append(token)
    folded = fold(" ".join(words))
    order = _order(sort, folded)
    if base is None:  # the public catalogue: the in-process index (search_index.py)
        from tinhso.opendata import search_index

        count, page_ids, facets = search_index.search(
            words=folded.split()[:20],
            filters=filters,
            order=order,
            start=start,
            rows=rows,
            facet_fields=facet_fields,
            facet_limit=facet_limit,
            facet_mincount=facet_mincount,
        )
        if ids_only:
            return SearchResult(count=count, datasets=[], facets=facets, ids=page_ids)
        found = (
            Dataset.objects.filter(pk__in=page_ids)
            .select_related("agency", "licence")
            .prefetch_related(
                "tags",
                "groups",
                Prefetch("resources", queryset=Resource.objects.order_by("position", "id")),
            )
            .in_bulk()
        )
        return SearchResult(
            count=count, datasets=[found[pk] for pk in page_ids if pk in found], facets=facets
        )
    for word in folded.split()[:20]:
        qs = qs.filter(search_folded__contains=word)
    qs = _filtered(qs, filters)
    count = qs.count()
    page_qs = qs
    if folded and order[0] == "-score":
        page_qs = qs.annotate(
            score=Case(
                When(title_folded__contains=folded, then=Value(2)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
    datasets = (
        list(
            page_qs.order_by(*order)
            .select_related("agency", "licence")
            .prefetch_related(
                "tags",
                "groups",
                Prefetch("resources", queryset=Resource.objects.order_by("position", "id")),
            )[start : start + rows]
        )
        if rows
        else []
    )
    facets = {name: _facet(qs, name, facet_limit, facet_mincount) for name in facet_fields}
    return SearchResult(count=count, datasets=datasets, facets=facets)


def _order(sort: str, folded: str) -> list[str]:
    if not sort:
        return ["-score", "-metadata_modified", "-id"] if folded else ["-metadata_modified", "-id"]
    result: list[str] = []
    for part in sort.split(",")[:3]:
        words = part.split()
        if not words or len(words) > 2 or words[0] not in SORTS:
            raise SearchQueryInvalid(f"Search Query is invalid: sort {sort!r}")
        direction = words[1].lower() if len(words) == 2 else "asc"
        if direction not in ("asc", "desc"):
            raise SearchQueryInvalid(f"Search Query is invalid: sort {sort!r}")
        column = SORTS[words[0]]
        if column is None:
            if not folded:
                continue
            column = "score"
        result.append(("-" if direction == "desc" else "") + column)
    if not result or result[0] != "-score":
        result = [r for r in result if r.lstrip("-") != "score"]
    return [*result, "-metadata_modified", "-id"]


def _facet(qs: QuerySet[Dataset], name: str, limit: int, mincount: int) -> list[dict[str, Any]]:
    ids = qs.values("id")
    items: list[tuple[str, str, int]] = []
    rows: Any
    if name == "organization":
        rows = (
            qs.values("agency__code", "agency__name")
            .annotate(n=Count("id"))
            .order_by("-n", "agency__code")
        )
        items = [
            (
                re.sub(r"[^a-z0-9]+", "-", r["agency__code"].lower()).strip("-"),
                r["agency__name"],
                r["n"],
            )
            for r in rows
        ]
    elif name == "license_id":
        rows = qs.values("licence_id", "licence__title").annotate(n=Count("id")).order_by("-n")
        items = [(r["licence_id"], r["licence__title"], r["n"]) for r in rows]
    elif name == "groups":
        rows = (
            Dataset.groups.through.objects.filter(dataset_id__in=ids)
            .values("topicgroup__name", "topicgroup__title")
            .annotate(n=Count("dataset_id"))
            .order_by("-n", "topicgroup__name")
        )
        items = [(r["topicgroup__name"], r["topicgroup__title"], r["n"]) for r in rows]
    elif name == "tags":
        rows = (
            Dataset.tags.through.objects.filter(dataset_id__in=ids)
            .values("tag__name")
            .annotate(n=Count("dataset_id"))
            .order_by("-n", "tag__name")
        )
        items = [(r["tag__name"], r["tag__name"], r["n"]) for r in rows]
    elif name == "res_format":
        rows = (
            Resource.objects.filter(dataset_id__in=ids)
            .exclude(format="")
            .values("format")
            .annotate(n=Count("dataset_id", distinct=True))
            .order_by("-n", "format")
        )
        items = [(r["format"], r["format"], r["n"]) for r in rows]
    items = [i for i in items if i[2] >= mincount]
    if limit >= 0:
        items = items[:limit]
    return [{"count": n, "display_name": title, "name": key} for key, title, n in items]


# ---------------------------------------------------------------------------------------
# CKAN dictionaries


def ckan_time(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(dt.UTC).replace(tzinfo=None).isoformat()


def organization_dict(agency: Agency, *, dataset_count: int | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "approval_status": "approved",
        "created": ckan_time(agency.created_at),
        "description": agency.address or "",
        "display_name": agency.name,
        "id": str(agency.uid),
        "image_display_url": "",
        "image_url": "",
        "is_organization": True,
        "name": org_name(agency),
        "state": "active" if agency.is_active else "deleted",
        "title": agency.name,
        "type": "organization",
    }
    if dataset_count is not None:
        data["package_count"] = dataset_count
    return data


def group_dict(group: TopicGroup, *, dataset_count: int | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "description": group.description,
        "display_name": group.title,
        "id": group.name,
        "image_display_url": "",
        "is_organization": False,
        "name": group.name,
        "state": "active",
        "title": group.title,
        "type": "group",
    }
    if dataset_count is not None:
        data["package_count"] = dataset_count
    return data


def licence_dict(licence: Licence) -> dict[str, Any]:
    return {
        "id": licence.id,
        "title": licence.title,
        "url": licence.url,
        "od_conformance": "approved" if licence.is_open else "not reviewed",
        "osd_conformance": "not reviewed",
        "status": "active",
    }


def resource_dict(resource: Resource, *, base: str) -> dict[str, Any]:
    from django.urls import reverse

    dataset = resource.dataset
    url = resource.url
    if resource.is_upload:
        url = base + reverse(
            "opendata:resource_download", args=[dataset.name, resource.uid, resource.filename]
        )
    elif not url:
        url = base + reverse("opendata:resource_export", args=[dataset.name, resource.uid, "csv"])
    return {
        "cache_last_updated": None,
        "cache_url": None,
        "created": ckan_time(resource.created_at),
        "datastore_active": resource.datastore_active,
        "description": resource.description,
        "format": resource.format,
        "hash": f"sha256:{resource.sha256}" if resource.sha256 else "",
        "id": str(resource.uid),
        "last_modified": ckan_time(resource.last_modified),
        "metadata_modified": ckan_time(resource.updated_at),
        "mimetype": resource.mimetype or None,
        "name": resource.name,
        "package_id": str(dataset.uid),
        "position": resource.position,
        "resource_type": None,
        "size": resource.size,
        "state": "active",
        "url": url,
        "url_type": "upload" if resource.is_upload else None,
    }


def package_dict(dataset: Dataset, *, base: str) -> dict[str, Any]:
    """The dataset as CKAN's `package_show` returns it (the DCAT-VN fields in `extras`)."""
    resources = list(dataset.resources.all())
    tags = list(dataset.tags.all())
    groups = list(dataset.groups.all())
    for resource in resources:
        resource.dataset = dataset
    extras = [{"key": k, "value": str(v)} for k, v in sorted(dataset.extras.items())]
    if dataset.frequency:
        extras.append({"key": "frequency", "value": dataset.frequency})
    return {
        "author": dataset.agency.name,
        "author_email": dataset.maintainer_email or None,
        "creator_user_id": None,
        "extras": extras,
        "groups": [group_dict(g) for g in groups],
        "id": str(dataset.uid),
        "isopen": dataset.licence.is_open,
        "license_id": dataset.licence_id,
        "license_title": dataset.licence.title,
        "license_url": dataset.licence.url,
        "maintainer": dataset.maintainer or None,
        "maintainer_email": dataset.maintainer_email or None,
        "metadata_created": ckan_time(dataset.created_at),
        "metadata_modified": ckan_time(dataset.metadata_modified),
        "name": dataset.name,
        "notes": dataset.notes,
        "num_resources": len(resources),
        "num_tags": len(tags),
        "organization": organization_dict(dataset.agency),
        "owner_org": str(dataset.agency.uid),
        "private": dataset.state != DatasetState.PUBLISHED,
        "relationships_as_object": [],
        "relationships_as_subject": [],
        "resources": [resource_dict(r, base=base) for r in resources],
        "state": "active" if dataset.state != DatasetState.WITHDRAWN else "deleted",
        "tags": [
            {
                "display_name": t.name,
                "id": str(t.pk),
                "name": t.name,
                "state": "active",
                "vocabulary_id": None,
            }
            for t in tags
        ],
        "title": dataset.title,
        "type": "dataset",
        "url": base + dataset_path(dataset),
        "version": None,
    }


def dataset_path(dataset: Dataset) -> str:
    from django.urls import reverse

    return reverse("opendata:dataset", args=[dataset.name])


def tag_names(*, q: str = "", limit: int = 1000) -> list[str]:
    qs = Tag.objects.filter(datasets__state=DatasetState.PUBLISHED).distinct()
    if q:
        qs = qs.filter(name_folded__contains=fold(q))
    return list(qs.order_by("name").values_list("name", flat=True)[:limit])


def groups_with_counts() -> list[TopicGroup]:
    return list(
        TopicGroup.objects.annotate(
            dataset_count=Count("datasets", filter=Q(datasets__state=DatasetState.PUBLISHED))
        ).order_by("position", "name")
    )


def usage(dataset: Dataset, *, days: int = 30) -> list[Any]:
    since = dt.date.today() - dt.timedelta(days=days)
    return list(dataset.usage.filter(day__gte=since).order_by("-day"))


OPEN_FORMATS = {"CSV", "JSON", "GEOJSON", "XML", "XLSX", "ODS", "TXT"}


def quality(dataset: Dataset) -> dict[str, Any]:
    """A simple, explainable quality score (0–100) the data officer and users see: each
    check is worth the same, and the page lists the ones that failed."""
    from django.utils import timezone

    resources = list(dataset.resources.all())
    today = timezone.localdate()
    checks = [
        ("description", len(dataset.notes or "") >= 40),
        ("open_licence", dataset.licence.is_open),
        ("machine_readable", any(r.format.upper() in OPEN_FORMATS for r in resources)),
        ("datastore", any(r.datastore_active for r in resources)),
        ("tags", dataset.tags.exists()),
        ("groups", dataset.groups.exists()),
        ("contact", bool(dataset.maintainer_email or dataset.agency.email)),
        ("up_to_date", dataset.next_update_on is None or dataset.next_update_on >= today),
    ]
    passed = sum(1 for _, ok in checks if ok)
    return {
        "score": round(100 * passed / len(checks)),
        "failed": [name for name, ok in checks if not ok],
        "overdue": dataset.next_update_on is not None and dataset.next_update_on < today,
    }
