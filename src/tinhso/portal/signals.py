"""Every change editors make in Wagtail goes into tinhso's audit trail.

Wagtail keeps its own log (`PageLogEntry`); the province's trail is the hash-chained
`audit` one, so the publishing events are recorded there too, in the transaction that
made them where Wagtail runs one.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from wagtail.models import Page
from wagtail.signals import (
    page_published,
    page_slug_changed,
    page_unpublished,
    post_page_move,
    workflow_approved,
    workflow_cancelled,
    workflow_rejected,
    workflow_submitted,
)

from tinhso.audit.services import record


def _page_entry(action: str, page, user, **summary) -> None:
    from tinhso.portal.models import PortalHomePage

    home = page.get_ancestors(inclusive=True).type(PortalHomePage).last()
    agency = home.specific.agency if home else None
    record(
        actor=user,
        action=action,
        agency=agency,
        summary={"title": page.title, "url_path": page.url_path, **summary},
        object_type="wagtailcore.page",
        object_id=str(page.pk),
    )


def _content_changed() -> None:
    """What visitors see changed: cached front pages and menus are built afresh (after the
    commit, so no one caches the old content under the new version)."""
    from tinhso.portal.selectors import renew_content_version

    renew_content_version()
    transaction.on_commit(renew_content_version)


@receiver(page_published)
def _published(sender, instance, revision=None, **kwargs) -> None:
    user = getattr(revision, "user", None) if revision is not None else None
    _page_entry("portal.publish_page", instance, user, revision=getattr(revision, "pk", None))
    _content_changed()


@receiver(page_unpublished)
def _unpublished(sender, instance, **kwargs) -> None:
    _page_entry("portal.unpublish_page", instance, None)
    _content_changed()


@receiver(page_slug_changed)
@receiver(post_page_move)
def _moved(sender, instance, **kwargs) -> None:
    _content_changed()


@receiver(post_delete)
def _deleted(sender, instance, **kwargs) -> None:
    if isinstance(instance, Page):
        _content_changed()


@receiver(post_save, sender="portal.PublishedDocument")
@receiver(post_delete, sender="portal.PublishedDocument")
def _document_changed(sender, **kwargs) -> None:
    _content_changed()


def _workflow_entry(action: str, instance, user) -> None:
    page = instance.content_object
    if page is not None and hasattr(page, "get_ancestors"):
        _page_entry(action, page, user, workflow=instance.workflow.name)


@receiver(workflow_submitted)
def _submitted(sender, instance, user=None, **kwargs) -> None:
    _workflow_entry("portal.submit_page", instance, user)


@receiver(workflow_approved)
def _approved(sender, instance, user=None, **kwargs) -> None:
    _workflow_entry("portal.approve_page", instance, user)


@receiver(workflow_rejected)
def _rejected(sender, instance, user=None, **kwargs) -> None:
    _workflow_entry("portal.reject_page", instance, user)


@receiver(workflow_cancelled)
def _cancelled(sender, instance, user=None, **kwargs) -> None:
    _workflow_entry("portal.cancel_page", instance, user)
