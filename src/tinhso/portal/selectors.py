"""Reads of the portal: front pages, lists, the required-information checklist."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.core.cache import cache
from django.db.models import Q, QuerySet
from django.utils import timezone
from wagtail.models import Page, Site

from tinhso.core.text import fold
from tinhso.portal.models import (
    ArticleIndexPage,
    ArticlePage,
    ConsultationIndexPage,
    DraftComment,
    EnglishHomePage,
    LegalDocumentsPage,
    OrgChartPage,
    PortalHomePage,
    PortalKind,
    ProceduresPage,
    PublishedDocument,
    SectionPage,
)
from tinhso.portal.required import REQUIRED_SECTIONS, RequiredSection


def portal_for_request(request) -> PortalHomePage | None:
    """The portal whose Site answers this request's host (the main one by default)."""
    site = Site.find_for_request(request)
    if site is None:
        return None
    root = site.root_page.specific
    return root if isinstance(root, PortalHomePage) and root.live else None


def main_portal() -> PortalHomePage | None:
    return PortalHomePage.objects.live().filter(kind=PortalKind.MAIN).first()


def component_portals() -> QuerySet[PortalHomePage]:
    return PortalHomePage.objects.live().exclude(kind=PortalKind.MAIN).order_by("title")


def portal_url(portal: PortalHomePage) -> str:
    return portal.get_full_url() or portal.url or "/"


def _articles(portal: PortalHomePage) -> QuerySet[ArticlePage]:
    return ArticlePage.objects.descendant_of(portal).live().public()


def front_page_articles(portal: PortalHomePage, *, limit: int = 8) -> list[ArticlePage]:
    """The portal's latest news; the main portal adds the opted-in component portals'."""
    qs = _articles(portal)
    if portal.kind == PortalKind.MAIN:
        shared = Q()
        for component in component_portals().filter(share_with_main=True):
            shared |= Q(path__startswith=component.path)
        if shared:
            qs = qs | ArticlePage.objects.live().public().filter(shared)
    news = ArticleIndexPage.objects.filter(kind=ArticleIndexPage.Kind.NEWS)
    index_paths = Q()
    for index_page in news.only("path"):
        index_paths |= Q(path__startswith=index_page.path)
    if not index_paths:
        return []
    return list(qs.filter(index_paths).order_by("-date", "-id")[:limit])


def latest_of_kind(portal: PortalHomePage, kind: str, *, limit: int = 5) -> list[ArticlePage]:
    indexes = ArticleIndexPage.objects.descendant_of(portal).filter(kind=kind)
    paths = Q()
    for index_page in indexes.only("path"):
        paths |= Q(path__startswith=index_page.path)
    if not paths:
        return []
    return list(_articles(portal).filter(paths).order_by("-date", "-id")[:limit])


# The front page's blocks are the same for every visitor until an editor publishes,
# withdraws, moves or deletes a page or a document is published or withdrawn: they are
# cached under the content's version, which each such change renews (signals.py).
CONTENT_VERSION_KEY = "portal:content-version"
FRONT_PAGE_SECONDS = 600


def content_version() -> str:
    version = cache.get(CONTENT_VERSION_KEY)
    if version is None:
        # a version never used before: a cache that lost the key serves nothing stale
        cache.add(CONTENT_VERSION_KEY, str(time.time_ns()), None)
        version = cache.get(CONTENT_VERSION_KEY) or "0"
    return str(version)


def renew_content_version() -> None:
    cache.set(CONTENT_VERSION_KEY, str(time.time_ns()), None)


def _article_entries(articles: list[ArticlePage], site: Site | None) -> list[dict[str, Any]]:
    return [
        {
            "title": article.title,
            "href": article.get_url(current_site=site),
            "date": article.date,
            "summary": article.summary,
        }
        for article in articles
    ]


def front_page(portal: PortalHomePage, site: Site | None) -> dict[str, Any]:
    """What a portal's front page shows, as plain data, cached until the content changes."""
    key = f"portal:front:{portal.pk}:{getattr(site, 'pk', 0)}:{content_version()}"
    blocks = cache.get(key)
    if blocks is not None:
        return blocks
    english = english_home(portal)
    blocks = {
        "latest": _article_entries(front_page_articles(portal, limit=8), site),
        "announcements": _article_entries(latest_of_kind(portal, "announcement", limit=5), site),
        "documents": [
            {
                "uid": doc.uid,
                "number_notation": doc.number_notation,
                "subject": doc.subject,
                "issued_on": doc.issued_on,
            }
            for doc in search_published_documents(
                agency=portal.agency, include_subtree=portal.kind == PortalKind.MAIN
            )[:5]
        ],
        "english_home_url": english.get_url(current_site=site) if english else "",
        "component_portals": [
            {"title": other.title, "url": portal_url(other)}
            for other in (component_portals() if portal.kind == PortalKind.MAIN else [])
        ],
    }
    cache.set(key, blocks, FRONT_PAGE_SECONDS)
    return blocks


def portal_menu(portal: PortalHomePage, site: Site | None) -> list[dict[str, Any]]:
    """The portal's top-level pages in the editors' order, for every page's menu."""
    key = f"portal:menu:{portal.pk}:{getattr(site, 'pk', 0)}:{content_version()}"
    menu = cache.get(key)
    if menu is None:
        menu = [
            {"pk": item.pk, "title": item.title, "url": item.get_url(current_site=site)}
            for item in portal.get_children().live().in_menu()
        ]
        cache.set(key, menu, FRONT_PAGE_SECONDS)
    return menu


def service_links() -> list[dict[str, str]]:
    """Links to the platform's public services that exist in this installation."""
    from django.utils.translation import gettext as _

    from tinhso.web.navigation import url_or_none

    wanted = [
        (_("Dữ liệu mở"), "opendata:home"),
        (_("Phản ánh hiện trường"), "feedback:home"),
        (_("Bộ chỉ số phục vụ người dân"), "reporting:index"),
        (_("Lấy số thứ tự, đặt lịch hẹn"), "counter:home"),
    ]
    return [{"title": title, "url": url} for title, name in wanted if (url := url_or_none(name))]


def search_portal(portal: PortalHomePage, q: str):
    """Full-text search of the portal's live pages (Wagtail's database backend: PostgreSQL
    full-text search, SQLite FTS5), diacritics-insensitive through the folded query too."""
    pages = Page.objects.live().public().descendant_of(portal, inclusive=True).specific()
    results = list(pages.search(q)[:200])
    folded = fold(q)
    if folded != q.lower() and len(results) < 200:
        seen = {page.pk for page in results}
        results += [p for p in pages.search(folded)[:200] if p.pk not in seen]
    return results


def english_home(portal: PortalHomePage) -> EnglishHomePage | None:
    return EnglishHomePage.objects.child_of(portal).live().first()


# Legal documents (published from `documents`)


def search_published_documents(
    *, agency=None, include_subtree: bool = False, q: str = "", doc_type: str = ""
) -> QuerySet[PublishedDocument]:
    qs = PublishedDocument.objects.filter(withdrawn_at__isnull=True)
    if agency is not None:
        if include_subtree:
            qs = qs.filter(agency__path__startswith=agency.path)
        else:
            qs = qs.filter(agency=agency)
    if doc_type:
        qs = qs.filter(doc_type=doc_type)
    for word in fold(q).split():
        qs = qs.filter(search_text__contains=word)
    return qs.order_by("-issued_on", "-id")


def published_document_types() -> list[tuple[str, str]]:
    rows = (
        PublishedDocument.objects.filter(withdrawn_at__isnull=True)
        .values_list("doc_type", "doc_type_label")
        .distinct()
    )
    return sorted(set(rows), key=lambda row: fold(row[1]))


def get_published_document(uid: Any) -> PublishedDocument:
    return PublishedDocument.objects.select_related("document").get(
        uid=uid, withdrawn_at__isnull=True
    )


# Procedures and the organisation (read from onestop and directory)


def procedures_for(portal: PortalHomePage | None, *, q: str = ""):
    from tinhso.onestop import selectors as onestop

    agency = None if portal is None or portal.kind == PortalKind.MAIN else portal.agency
    return onestop.search_procedures(q=q, agency=agency)


def organisation(agency) -> dict[str, Any]:
    from tinhso.directory import selectors as directory

    units = list(directory.agency_org_units(agency))
    people = directory.agency_people(agency)
    contacts = [m for m in people if m.position and m.position.is_leader] or people[:5]
    return {
        "agency": agency,
        "org_units": units,
        "child_agencies": list(directory.children(agency)),
        "contacts": contacts,
    }


# Comments on drafts


def visible_comments(page) -> QuerySet[DraftComment]:
    return DraftComment.objects.filter(page=page, hidden=False).order_by("created_at", "id")


# Required information (Decree 42)


@dataclass
class ChecklistRow:
    section: RequiredSection
    present: bool
    up_to_date: bool
    page: Page | None
    reviewed_on: date | None
    english_present: bool | None  # None where English is not required


def _section_is_generated(portal: PortalHomePage, key: str) -> Page | None:
    """Sections the portal draws from other modules count once their page exists."""
    model = {
        "organisation": OrgChartPage,
        "contacts": OrgChartPage,
        "legal_documents": LegalDocumentsPage,
        "procedures": ProceduresPage,
        "consultations": ConsultationIndexPage,
    }.get(key)
    if model is None:
        return None
    return model.objects.child_of(portal).live().first()


def required_checklist(portal: PortalHomePage, *, today: date | None = None) -> list[ChecklistRow]:
    today = today or timezone.localdate()
    english = english_home(portal)
    rows = []
    sections = SectionPage.objects.descendant_of(portal).live()
    if english is not None:
        sections = sections.not_descendant_of(english)
    for section in REQUIRED_SECTIONS:
        page: Page | None = sections.filter(section=section.key).order_by("-reviewed_on").first()
        reviewed = getattr(page, "reviewed_on", None)
        if page is None:
            page = _section_is_generated(portal, section.key)
            reviewed = today if page is not None else None  # generated live: always current
        english_present = None
        if section.english:
            english_present = bool(
                english
                and (
                    SectionPage.objects.descendant_of(english)
                    .live()
                    .filter(section=section.key)
                    .exists()
                    or (
                        section.key in ("organisation", "contacts")
                        and english.get_children().live().type(OrgChartPage).exists()
                    )
                )
            )
        rows.append(
            ChecklistRow(
                section=section,
                present=page is not None,
                up_to_date=bool(
                    reviewed and reviewed >= today - timedelta(days=section.max_age_days)
                ),
                page=page,
                reviewed_on=reviewed,
                english_present=english_present,
            )
        )
    return rows


def portals_editable_by(user) -> list[PortalHomePage]:
    """The portals whose home page `user` may edit (Wagtail's page permissions)."""
    if not user.is_authenticated:
        return []
    portals = PortalHomePage.objects.order_by("title")
    return [p for p in portals if p.permissions_for_user(user).can_edit()]
