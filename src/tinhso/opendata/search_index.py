"""An in-process index of the published catalogue for `package_search` and the portal's
search page: facet counts over 20,000 datasets in a few milliseconds.

A catalogue of tens of thousands of datasets fits in memory (a folded text and a few
keys per dataset). The index holds, per published dataset, its folded text, title and
sort keys, and one set of dataset ids per facet value (an inverted index); a search
narrows a set of ids (words, filters) and a facet count is the size of an intersection.

Freshness: every service that changes what search sees (create, edit, publish,
withdraw, resources) bumps `CatalogueVersion` in its own transaction; every search first
reads that one row (a primary-key lookup) and rebuilds the index when it moved, so a
process never serves a stale answer. Only the page of results is read from the database.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from tinhso.core.text import fold

FACETS = ("organization", "groups", "tags", "res_format", "license_id")


@dataclass
class Index:
    version: tuple[Any, ...]
    ids: list[int] = field(default_factory=list)  # by metadata_modified desc, id desc
    text: dict[int, str] = field(default_factory=dict)
    title: dict[int, str] = field(default_factory=dict)
    name: dict[int, str] = field(default_factory=dict)
    uid: dict[int, str] = field(default_factory=dict)
    created: dict[int, Any] = field(default_factory=dict)
    downloads: dict[int, int] = field(default_factory=dict)
    postings: dict[str, dict[str, set[int]]] = field(default_factory=dict)
    labels: dict[str, dict[str, str]] = field(default_factory=dict)
    organization_alias: dict[str, str] = field(default_factory=dict)
    # CKAN dictionaries already built for this version of the catalogue, by (base, id)
    packages: dict[tuple[str, int], dict[str, Any]] = field(default_factory=dict)


_lock = threading.Lock()
_current: dict[str, Index] = {}


def _version() -> tuple[Any, ...]:
    from tinhso.opendata.models import CatalogueVersion

    token = CatalogueVersion.objects.filter(pk=1).values_list("token", flat=True).first()
    return (token,)


def bump() -> None:
    """Mark the catalogue changed (in the caller's transaction)."""
    import secrets

    from tinhso.opendata.models import CatalogueVersion

    token = secrets.token_hex(16)
    if not CatalogueVersion.objects.filter(pk=1).update(token=token):
        CatalogueVersion.objects.update_or_create(pk=1, defaults={"token": token})


def _build(version: tuple[Any, ...]) -> Index:
    import re

    from tinhso.opendata.models import Dataset, DatasetState, Resource

    index = Index(version=version, postings={f: {} for f in FACETS}, labels={f: {} for f in FACETS})
    published = Dataset.objects.filter(state=DatasetState.PUBLISHED)
    rows = published.order_by("-metadata_modified", "-id").values_list(
        "id",
        "search_folded",
        "title_folded",
        "name",
        "uid",
        "created_at",
        "download_count",
        "agency__code",
        "agency__name",
        "agency__uid",
        "licence_id",
        "licence__title",
    )

    def post(facet: str, key: str, label: str, dataset_id: int) -> None:
        index.postings[facet].setdefault(key, set()).add(dataset_id)
        index.labels[facet].setdefault(key, label)

    for (
        pk,
        text,
        title,
        name,
        uid,
        created,
        downloads,
        code,
        agency_name,
        agency_uid,
        licence,
        licence_title,
    ) in rows:
        index.ids.append(pk)
        index.text[pk] = text
        index.title[pk] = title
        index.name[pk] = name
        index.uid[pk] = str(uid)
        index.created[pk] = created
        index.downloads[pk] = downloads
        org = re.sub(r"[^a-z0-9]+", "-", code.lower()).strip("-")
        post("organization", org, agency_name, pk)
        index.organization_alias[code] = org
        index.organization_alias[str(agency_uid)] = org
        post("license_id", licence, licence_title, pk)
    through_groups = Dataset.groups.through.objects.filter(dataset__in=published)
    for pk, group, title in through_groups.values_list(
        "dataset_id", "topicgroup__name", "topicgroup__title"
    ):
        post("groups", group, title, pk)
    for pk, tag in Dataset.tags.through.objects.filter(dataset__in=published).values_list(
        "dataset_id", "tag__name"
    ):
        post("tags", tag, tag, pk)
    for pk, fmt in (
        Resource.objects.filter(dataset__in=published)
        .exclude(format="")
        .values_list("dataset_id", "format")
    ):
        post("res_format", fmt, fmt, pk)
    return index


def current() -> Index:
    from django.db import connection

    key = connection.settings_dict.get("NAME") or "default"
    version = _version()
    index = _current.get(str(key))
    if index is not None and index.version == version:
        return index
    with _lock:
        index = _current.get(str(key))
        if index is None or index.version != version:
            index = _build(version)
            _current[str(key)] = index
    return index


def search(
    *,
    words: list[str],
    filters: dict[str, list[str]],
    order: list[str],
    start: int,
    rows: int,
    facet_fields: tuple[str, ...] | list[str],
    facet_limit: int,
    facet_mincount: int,
) -> tuple[int, list[int], dict[str, list[dict[str, Any]]]]:
    """(count, ids of the page in order, facets) for published datasets."""
    index = current()
    matched: set[int] | None = None
    for key, values in filters.items():
        for value in values:
            if key == "organization":
                org = index.organization_alias.get(value) or index.organization_alias.get(
                    value.replace("-", ".").upper(), value
                )
                ids = index.postings["organization"].get(org, set())
            elif key in ("groups", "tags", "license_id"):
                ids = index.postings[key].get(value, set())
            elif key == "res_format":
                ids = index.postings["res_format"].get(value.upper(), set())
            elif key == "name":
                ids = {pk for pk, name in index.name.items() if name == value}
            elif key == "id":
                ids = {pk for pk, uid in index.uid.items() if uid == value}
            else:
                ids = set()
            matched = set(ids) if matched is None else matched & ids
    phrase = " ".join(words)
    for word in words:
        text = index.text
        pool = matched if matched is not None else index.ids
        matched = {pk for pk in pool if word in text[pk]}
    if matched is None:
        ordered = index.ids
        count = len(ordered)
    else:
        ordered = [pk for pk in index.ids if pk in matched]
        count = len(ordered)
    primary = order[0] if order else "-metadata_modified"
    if primary == "-score":
        ordered = sorted(ordered, key=lambda pk: 0 if phrase in index.title[pk] else 1)
    elif primary.lstrip("-") in ("title_folded", "name", "created_at", "download_count"):
        field_name = primary.lstrip("-")
        sort_keys: dict[int, Any] = {
            "title_folded": index.title,
            "name": index.name,
            "created_at": index.created,
            "download_count": index.downloads,
        }[field_name]
        ordered = sorted(ordered, key=lambda pk: sort_keys[pk], reverse=primary.startswith("-"))
    elif primary == "metadata_modified":
        ordered = list(reversed(ordered))
    page = ordered[start : start + rows]
    facets: dict[str, list[dict[str, Any]]] = {}
    for name in facet_fields:
        items = []
        for key, ids in index.postings[name].items():
            n = len(ids) if matched is None else len(ids & matched)
            if n >= facet_mincount and n:
                items.append((key, index.labels[name][key], n))
        items.sort(key=lambda item: (-item[2], item[0]))
        if facet_limit >= 0:
            items = items[:facet_limit]
        facets[name] = [{"count": n, "display_name": label, "name": key} for key, label, n in items]
    return count, page, facets


MAX_CACHED_PACKAGES = 50_000


def package_dicts(ids: list[int], *, base: str) -> list[dict[str, Any]]:
    """`package_show` dictionaries of these published datasets, in order: built once per
    catalogue version (the index is rebuilt, and this cache dropped, at every change)."""
    from django.db import connection
    from django.db.models import Prefetch

    from tinhso.opendata import selectors
    from tinhso.opendata.models import Dataset, Resource

    # the index the search that produced `ids` has just checked (no second version read)
    index = _current.get(str(connection.settings_dict.get("NAME") or "default")) or current()
    missing = [pk for pk in ids if (base, pk) not in index.packages]
    if missing:
        found = (
            Dataset.objects.filter(pk__in=missing)
            .select_related("agency", "licence")
            .prefetch_related(
                "tags",
                "groups",
                Prefetch("resources", queryset=Resource.objects.order_by("position", "id")),
            )
        )
        if len(index.packages) > MAX_CACHED_PACKAGES:
            index.packages.clear()
        for dataset in found:
            index.packages[(base, dataset.pk)] = selectors.package_dict(dataset, base=base)
    return [index.packages[(base, pk)] for pk in ids if (base, pk) in index.packages]


def folded_words(q: str) -> list[str]:
    return fold(q).split()[:20]
