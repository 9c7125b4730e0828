"""Portal pages outside Wagtail's tree: document downloads, comments, RSS, the checklist."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.syndication.views import Feed
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tinhso.core.errors import DomainError
from tinhso.core.files import attachment_response
from tinhso.core.middleware import client_ip
from tinhso.portal import selectors, services
from tinhso.portal.models import (
    ArticlePage,
    ConsultationPage,
    DraftComment,
    PortalHomePage,
    PublishedDocument,
)


def home(request: HttpRequest) -> HttpResponse:
    """The portal of this host (the main one unless a component portal's host is asked)."""
    portal = selectors.portal_for_request(request) or selectors.main_portal()
    if portal is None:
        raise Http404(_("Chưa có cổng thông tin."))
    return redirect(portal.url or "/")


def document_file(request: HttpRequest, uid) -> HttpResponseBase:
    try:
        entry = selectors.get_published_document(uid)
    except (ValueError, PublishedDocument.DoesNotExist):
        raise Http404 from None
    stored = entry.document.latest_file
    if stored is None:
        raise Http404
    name = f"{entry.number_notation or 'van-ban'}.pdf".replace("/", "-")
    return attachment_response(stored.file.open("rb"), filename=name)


def search(request: HttpRequest) -> HttpResponse:
    """Search the pages of the portal this host serves (its articles, sections, drafts)."""
    from tinhso.core.pagination import paginate

    portal = selectors.portal_for_request(request) or selectors.main_portal()
    if portal is None:
        raise Http404
    q = (request.GET.get("q") or "").strip()[:200]
    results = selectors.search_portal(portal, q) if q else []
    return render(
        request,
        "portal/search.html",
        {"portal": portal, "q": q, "page_obj": paginate(request, results, 20)},
    )


@require_POST
def comment(request: HttpRequest, page_id: int) -> HttpResponse:
    page = get_object_or_404(ConsultationPage.objects.live().public(), pk=page_id)
    if not request.user.is_authenticated:
        return redirect(f"/accounts/login/?next={page.url}")
    try:
        services.comment_on_draft(actor=request.user, page=page, body=request.POST.get("body", ""))
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Cảm ơn bạn đã góp ý. Ý kiến đã được ghi nhận."))
    return redirect(page.url)


@require_POST
@login_required
def answer(request: HttpRequest, uid) -> HttpResponse:
    item = get_object_or_404(DraftComment, uid=uid)
    try:
        if request.POST.get("hide"):
            services.hide_comment(actor=request.user, comment=item, reason=request.POST["hide"])
        else:
            services.answer_comment(
                actor=request.user, comment=item, answer=request.POST.get("answer", "")
            )
    except DomainError as error:
        messages.error(request, error.message)
    return redirect(item.page.url)


@login_required
def checklist(request: HttpRequest, portal_id: int) -> HttpResponse:
    """Which of Decree 42's required sections this portal has, and whether they are current."""
    portal = get_object_or_404(PortalHomePage, pk=portal_id)
    if not portal.permissions_for_user(request.user).can_edit():
        raise PermissionDenied
    rows = selectors.required_checklist(portal)
    return render(
        request,
        "portal/checklist.html",
        {"portal": portal, "rows": rows, "missing": sum(not r.present for r in rows)},
    )


@login_required
def my_portals(request: HttpRequest) -> HttpResponse:
    return render(
        request, "portal/my_portals.html", {"portals": selectors.portals_editable_by(request.user)}
    )


@require_POST
@login_required
def publish_document(request: HttpRequest, uid) -> HttpResponse:
    from tinhso.documents import selectors as documents

    document = documents.outgoing_for(request.user, uid)
    try:
        services.publish_document(actor=request.user, document=document, ip=client_ip(request))
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Đã đăng văn bản lên cổng thông tin."))
    return redirect(request.POST.get("next") or "/")


@require_POST
@login_required
def withdraw_document(request: HttpRequest, uid) -> HttpResponse:
    from tinhso.documents import selectors as documents

    document = documents.outgoing_for(request.user, uid)
    try:
        services.withdraw_document(
            actor=request.user,
            document=document,
            reason=request.POST.get("reason", ""),
            ip=client_ip(request),
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Đã gỡ văn bản khỏi cổng thông tin."))
    return redirect(request.POST.get("next") or "/")


class ArticlesFeed(Feed):
    """RSS of the latest articles of the portal this host serves (Circular 22: shared)."""

    def get_object(self, request, *args, **kwargs):
        portal = selectors.portal_for_request(request) or selectors.main_portal()
        if portal is None:
            raise Http404
        return portal

    def title(self, portal: PortalHomePage) -> str:
        return portal.title

    def link(self, portal: PortalHomePage) -> str:
        return portal.url or "/"

    def description(self, portal: PortalHomePage) -> str:
        return portal.intro or portal.title

    def items(self, portal: PortalHomePage):
        return selectors.front_page_articles(portal, limit=30)

    def item_title(self, item: ArticlePage) -> str:
        return item.title

    def item_description(self, item: ArticlePage) -> str:
        return item.summary

    def item_link(self, item: ArticlePage) -> str:
        return item.url or "/"

    def item_pubdate(self, item: ArticlePage):
        from datetime import datetime, time

        from django.utils import timezone

        return timezone.make_aware(datetime.combine(item.date, time(8)))
