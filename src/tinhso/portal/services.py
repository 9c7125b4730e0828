"""Writes of the portal: portals and their isolation, editors, documents, comments.

Editors write articles in Wagtail's own editor (/cms/); what Wagtail does not know about
tinhso — which agency a portal belongs to, who may edit it, publishing from `documents`,
comments on drafts — happens here, in one transaction each, with an audit entry.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone
from wagtail.models import (
    Collection,
    GroupApprovalTask,
    GroupCollectionPermission,
    GroupPagePermission,
    Page,
    Site,
    Workflow,
    WorkflowPage,
    WorkflowTask,
)

from tinhso.accounts.models import Role
from tinhso.accounts.rules import has_role, is_platform_admin
from tinhso.audit.services import record
from tinhso.core.errors import DomainError
from tinhso.core.text import clean_text
from tinhso.portal.errors import PortalErrorCode, PortalNoAccess
from tinhso.portal.models import (
    ConsultationPage,
    DraftComment,
    PortalHomePage,
    PortalKind,
    PublishedDocument,
)

HOSTNAME = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9-]{1,63}$")
PUBLISHABLE_STATUSES = {"issued", "dispatched"}


def editors_group_name(portal: PortalHomePage) -> str:
    return f"Cổng {portal.pk} — biên tập"


def approvers_group_name(portal: PortalHomePage) -> str:
    return f"Cổng {portal.pk} — phê duyệt"


def _require_portal_admin(actor: Any, agency) -> None:
    if not (is_platform_admin(actor) or has_role(actor, agency, Role.AGENCY_ADMIN)):
        raise PortalNoAccess()


def _grant_access_admin(group: Group) -> None:
    group.permissions.add(
        Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin")
    )


def _collection_permissions(group: Group, collection: Collection, *, codenames) -> None:
    for app_label, model in (("wagtailimages", "image"), ("wagtaildocs", "document")):
        content_type = ContentType.objects.get(app_label=app_label, model=model)
        for codename in codenames:
            permission = Permission.objects.get(
                content_type=content_type, codename=f"{codename}_{model}"
            )
            GroupCollectionPermission.objects.get_or_create(
                group=group, collection=collection, permission=permission
            )


def _page_permissions(group: Group, page: Page, *, codenames) -> None:
    for codename in codenames:
        GroupPagePermission.objects.get_or_create(
            group=group,
            page=page,
            permission=Permission.objects.get(
                content_type__app_label="wagtailcore", codename=f"{codename}_page"
            ),
        )


@transaction.atomic
def create_portal(
    *,
    actor: Any,
    agency,
    kind: str,
    title: str,
    slug: str,
    hostname: str,
    port: int = 80,
    theme: str = "red",
    intro: str = "",
    share_with_main: bool = False,
) -> PortalHomePage:
    """A portal with its own tree, Site, collection, editor and approver groups and workflow.

    Wagtail's permissions are global by default; here every right is granted on this
    portal's root page and collection only, which is what keeps its editors out of the
    other portals (pages, images, documents) and its approvers out of their workflows.
    """
    _require_portal_admin(actor, agency)
    hostname = (hostname or "").strip().lower()
    if not HOSTNAME.match(hostname):
        raise DomainError("Tên miền của cổng không hợp lệ.", code=PortalErrorCode.INVALID_HOSTNAME)
    taken = Site.objects.filter(hostname=hostname, port=port).select_related("root_page").first()
    if taken is not None and not _is_placeholder(taken):
        raise DomainError(
            "Tên miền này đã được dùng cho một cổng khác.", code=PortalErrorCode.HOSTNAME_TAKEN
        )
    if kind == PortalKind.MAIN and PortalHomePage.objects.filter(kind=PortalKind.MAIN).exists():
        raise DomainError("Tỉnh đã có cổng chính.", code=PortalErrorCode.PORTAL_EXISTS)
    tree_root = _tree_root()
    _sync_platform_admins(tree_root)
    portal = PortalHomePage(
        title=clean_text(title).strip(),
        slug=slug,
        kind=kind,
        agency=agency,
        theme=theme,
        intro=clean_text(intro, multiline=True).strip() if intro else "",
        share_with_main=share_with_main,
    )
    tree_root.add_child(instance=portal)
    portal.save_revision(user=actor).publish(user=actor)
    if kind == PortalKind.MAIN:
        Site.objects.filter(is_default_site=True).update(is_default_site=False)
    Site.objects.update_or_create(
        hostname=hostname,
        port=port,
        defaults={
            "root_page": portal,
            "site_name": portal.title,
            "is_default_site": kind == PortalKind.MAIN,
        },
    )
    collection = _collection_root().add_child(name=portal.title)
    portal.collection = collection
    portal.save(update_fields=["collection"])

    editors = Group.objects.create(name=editors_group_name(portal))
    approvers = Group.objects.create(name=approvers_group_name(portal))
    for group in (editors, approvers):
        _grant_access_admin(group)
        _collection_permissions(group, collection, codenames=("add", "change", "choose"))
    _page_permissions(editors, portal, codenames=("add", "change"))
    _page_permissions(approvers, portal, codenames=("add", "change", "publish"))

    workflow = Workflow.objects.create(name=f"Duyệt tin bài — {portal.title}")
    task = GroupApprovalTask.objects.create(name=f"Lãnh đạo duyệt — {portal.title}")
    task.groups.set([approvers])
    WorkflowTask.objects.create(workflow=workflow, task=task, sort_order=0)
    WorkflowPage.objects.create(workflow=workflow, page=portal)

    sync_approvers(portal=portal)
    record(
        actor=actor,
        action="portal.create_portal",
        obj=portal,
        agency=agency,
        summary={"title": portal.title, "kind": kind, "hostname": hostname},
        object_type="portal.portalhomepage",
        object_id=str(portal.pk),
    )
    return portal


def _tree_root() -> Page:
    """Wagtail's page tree root (its migrations create it; a flushed database may not have
    it, so a first portal can always be created)."""
    from django.conf import settings
    from wagtail.models import Locale

    Locale.objects.get_or_create(language_code=settings.LANGUAGE_CODE)
    root = Page.get_first_root_node()
    if root is None:
        root = Page.add_root(instance=Page(title="Root", slug="root", live=True))
    return root


def _collection_root() -> Collection:
    return Collection.get_first_root_node() or Collection.add_root(name="Root")


def _is_placeholder(site: Site) -> bool:
    """Wagtail's own first Site (localhost:80 on its "Welcome" page), not a portal."""
    return not isinstance(site.root_page.specific, PortalHomePage)


PLATFORM_GROUP = "Quản trị cổng thông tin (toàn tỉnh)"


def _sync_platform_admins(tree_root: Page) -> None:
    """Platform administrators run every portal: rights on the whole tree and collections."""
    from tinhso.accounts.models import RoleGrant

    group, created = Group.objects.get_or_create(name=PLATFORM_GROUP)
    if created:
        _grant_access_admin(group)
        _page_permissions(group, tree_root, codenames=("add", "change", "publish", "delete"))
        _collection_permissions(
            group, _collection_root(), codenames=("add", "change", "choose", "delete")
        )
    admins = RoleGrant.objects.filter(role=Role.PLATFORM_ADMIN).values_list("user_id", flat=True)
    group.user_set.add(*admins)


def sync_approvers(*, portal: PortalHomePage) -> int:
    """The portal's approvers are its agency's leaders (Role.LEADER), kept in step."""
    from tinhso.accounts.models import RoleGrant

    group = Group.objects.get(name=approvers_group_name(portal))
    leaders = RoleGrant.objects.filter(agency=portal.agency, role=Role.LEADER).values_list(
        "user_id", flat=True
    )
    group.user_set.set(list(leaders))
    return len(leaders)


@transaction.atomic
def add_editor(*, actor: Any, portal: PortalHomePage, user) -> None:
    _require_portal_admin(actor, portal.agency)
    user.groups.add(Group.objects.get(name=editors_group_name(portal)))
    record(
        actor=actor,
        action="portal.add_editor",
        agency=portal.agency,
        summary={"portal": portal.title, "user": user.username},
        object_type="portal.portalhomepage",
        object_id=str(portal.pk),
    )


@transaction.atomic
def remove_editor(*, actor: Any, portal: PortalHomePage, user) -> None:
    _require_portal_admin(actor, portal.agency)
    user.groups.remove(Group.objects.get(name=editors_group_name(portal)))
    record(
        actor=actor,
        action="portal.remove_editor",
        agency=portal.agency,
        summary={"portal": portal.title, "user": user.username},
        object_type="portal.portalhomepage",
        object_id=str(portal.pk),
    )


# Legal documents, published straight from `documents`


def _require_clerk(actor: Any, agency) -> None:
    if not has_role(actor, agency, (Role.CLERK, Role.LEADER, Role.AGENCY_ADMIN)):
        raise PortalNoAccess("Chỉ văn thư, lãnh đạo của cơ quan ban hành được đăng văn bản.")


@transaction.atomic
def publish_document(
    *, actor: Any, document, effective_on=None, ip: str | None = None
) -> PublishedDocument:
    """Publish an issued, non-secret outgoing document on its agency's portal."""
    from tinhso.documents.models import Confidentiality, OutgoingDocument

    document = (
        OutgoingDocument.objects.select_for_update().select_related("agency").get(pk=document.pk)
    )
    _require_clerk(actor, document.agency)
    if document.status not in PUBLISHABLE_STATUSES or not document.issued_on:
        raise DomainError(
            "Chỉ đăng được văn bản đã ban hành (đã cấp số, đóng dấu).",
            code=PortalErrorCode.DOCUMENT_NOT_ISSUED,
        )
    if document.confidentiality != Confidentiality.NORMAL:
        raise DomainError(
            "Văn bản mật không được đăng lên cổng thông tin.",
            code=PortalErrorCode.DOCUMENT_CONFIDENTIAL,
        )
    entry = PublishedDocument.objects.filter(document=document).first()
    if entry is not None and entry.withdrawn_at is None:
        raise DomainError(
            "Văn bản này đã được đăng trên cổng thông tin.",
            code=PortalErrorCode.DOCUMENT_ALREADY_PUBLISHED,
        )
    entry = entry or PublishedDocument(document=document)
    entry.agency = document.agency
    entry.issuer_name = document.agency.name
    entry.doc_type = document.doc_type
    entry.doc_type_label = str(document.get_doc_type_display())
    entry.number_notation = document.number_notation
    entry.subject = document.subject
    entry.issued_on = document.issued_on
    entry.effective_on = effective_on
    entry.published_at = timezone.now()
    entry.published_by = actor
    entry.withdrawn_at = None
    entry.withdrawn_reason = ""
    entry.save()
    record(
        actor=actor,
        action="portal.publish_document",
        obj=document,
        agency=document.agency,
        summary={"number_notation": document.number_notation},
        ip=ip,
    )
    return entry


@transaction.atomic
def withdraw_document(
    *, actor: Any, document, reason: str, ip: str | None = None
) -> PublishedDocument:
    """Take a published document off the portal (revoked, replaced, published by mistake)."""
    entry = (
        PublishedDocument.objects.select_for_update()
        .select_related("agency")
        .filter(document_id=document.pk, withdrawn_at__isnull=True)
        .first()
    )
    if entry is None:
        raise DomainError(
            "Văn bản này không có trên cổng thông tin.",
            code=PortalErrorCode.DOCUMENT_NOT_PUBLISHED,
        )
    if actor is not None:  # None: the document was revoked through `documents`/`exchange`
        _require_clerk(actor, entry.agency)
    reason = clean_text(reason or "").strip()
    if not reason:
        raise DomainError("Cần nêu lý do gỡ văn bản.", code=PortalErrorCode.REASON_REQUIRED)
    entry.withdrawn_at = timezone.now()
    entry.withdrawn_reason = reason
    entry.save(update_fields=["withdrawn_at", "withdrawn_reason"])
    record(
        actor=actor,
        action="portal.withdraw_document",
        obj=document,
        agency=entry.agency,
        summary={"number_notation": entry.number_notation, "reason": reason},
        ip=ip,
    )
    return entry


# Comments on draft documents


@transaction.atomic
def comment_on_draft(
    *, actor: Any, page: ConsultationPage, body: str, now: datetime | None = None
) -> DraftComment:
    if not getattr(actor, "is_authenticated", False):
        raise DomainError(
            "Vui lòng đăng nhập để góp ý dự thảo.", code=PortalErrorCode.SIGN_IN_REQUIRED
        )
    if (now or timezone.now()) >= page.closes_at:
        raise DomainError("Đã hết hạn góp ý cho dự thảo này.", code=PortalErrorCode.COMMENTS_CLOSED)
    if len(body or "") > 4000:
        raise DomainError("Ý kiến dài quá 4.000 ký tự.", code=PortalErrorCode.COMMENT_TOO_LONG)
    body = clean_text(body or "", multiline=True).strip()
    if not body:
        raise DomainError("Vui lòng nhập nội dung góp ý.", code=PortalErrorCode.COMMENT_REQUIRED)
    comment = DraftComment.objects.create(
        page=page,
        author=actor,
        author_name=getattr(actor, "full_name", "") or actor.get_username(),
        body=body,
    )
    record(
        actor=actor,
        action="portal.comment_on_draft",
        obj=comment,
        summary={"draft": page.title},
    )
    return comment


def _require_editor_of(actor: Any, page: Page) -> None:
    if not page.permissions_for_user(actor).can_edit():
        raise PortalNoAccess()


@transaction.atomic
def answer_comment(*, actor: Any, comment: DraftComment, answer: str) -> DraftComment:
    comment = DraftComment.objects.select_for_update().get(pk=comment.pk)
    _require_editor_of(actor, comment.page)
    answer = clean_text(answer or "", multiline=True).strip()
    if not answer:
        raise DomainError("Vui lòng nhập nội dung trả lời.", code=PortalErrorCode.COMMENT_REQUIRED)
    comment.answer, comment.answered_at, comment.answered_by = answer, timezone.now(), actor
    comment.save(update_fields=["answer", "answered_at", "answered_by"])
    record(actor=actor, action="portal.answer_comment", obj=comment)
    return comment


@transaction.atomic
def hide_comment(*, actor: Any, comment: DraftComment, reason: str) -> DraftComment:
    comment = DraftComment.objects.select_for_update().get(pk=comment.pk)
    _require_editor_of(actor, comment.page)
    reason = clean_text(reason or "").strip()
    if not reason:
        raise DomainError("Cần nêu lý do ẩn ý kiến.", code=PortalErrorCode.REASON_REQUIRED)
    comment.hidden = True
    comment.save(update_fields=["hidden"])
    record(actor=actor, action="portal.hide_comment", obj=comment, summary={"reason": reason})
    return comment


# Scheduled publishing


def publish_due(*, now: datetime | None = None) -> dict[str, int]:
    """Publish the approved revisions whose time has come — unless the approver has left.

    Wagtail's `publish_scheduled_pages` publishes whatever was approved; a province wants
    a page whose approving leader has since left (account closed or no longer a leader of
    the portal's agency) to go back to its editors instead of appearing on its own.
    """
    from wagtail.models import Revision

    now = now or timezone.now()
    published = returned = 0
    due = Revision.page_revisions.filter(approved_go_live_at__lte=now).order_by(
        "approved_go_live_at"
    )
    for revision in due:
        with transaction.atomic():
            revision = Revision.objects.select_for_update().get(pk=revision.pk)
            if revision.approved_go_live_at is None:
                continue
            page = revision.as_object()
            portal = _portal_of(page)
            approver = _approver_of(revision)
            if portal is not None and not _still_approves(approver, portal):
                revision.approved_go_live_at = None
                revision.save(update_fields=["approved_go_live_at"])
                record(
                    actor=None,
                    action="portal.schedule_returned",
                    agency=portal.agency,
                    summary={
                        "page": page.title,
                        "approver": getattr(approver, "username", ""),
                        "reason": "Người duyệt không còn giữ vai trò phê duyệt.",
                    },
                    object_type="wagtailcore.page",
                    object_id=str(page.pk),
                )
                returned += 1
                continue
            revision.approved_go_live_at = None
            revision.save(update_fields=["approved_go_live_at"])
            revision.publish(user=approver, skip_permission_checks=True)
            published += 1
    return {"published": published, "returned": returned}


def _portal_of(page: Page) -> PortalHomePage | None:
    home = page.get_ancestors(inclusive=True).type(PortalHomePage).last()
    return home.specific if home else None


def _approver_of(revision) -> Any:
    """Who approved this revision: the last finished workflow's approver, else its author."""
    from wagtail.models import TaskState

    state = (
        TaskState.objects.filter(revision=revision, status=TaskState.STATUS_APPROVED)
        .select_related("finished_by")
        .order_by("-finished_at")
        .first()
    )
    return state.finished_by if state and state.finished_by else revision.user


def _still_approves(user, portal: PortalHomePage) -> bool:
    if user is None or not user.is_active:
        return False
    return user.is_superuser or has_role(user, portal.agency, Role.LEADER)
