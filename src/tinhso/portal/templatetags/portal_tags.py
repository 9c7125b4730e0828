"""Rich text as the portal shows it: cleaned to the allowed features, then expanded."""

from django import template
from wagtail.rich_text import RichText, expand_db_html

from tinhso.portal.models import clean_rich_text

register = template.Library()


@register.filter
def safe_richtext(value) -> str:
    """Like Wagtail's `richtext`, but never trusts the stored HTML (it may come from an
    import or the API rather than the editor, which cleans on its own)."""
    from django.utils.safestring import mark_safe

    source = value.source if isinstance(value, RichText) else str(value or "")
    return mark_safe(expand_db_html(clean_rich_text(source)))  # noqa: S308 (cleaned above)


@register.simple_tag
def portal_publication(document, user) -> dict:
    """Whether `user` may publish or withdraw `document` on the portal, and its entry."""
    from tinhso.accounts.models import Role
    from tinhso.accounts.rules import has_role
    from tinhso.portal.models import PublishedDocument
    from tinhso.portal.services import PUBLISHABLE_STATUSES

    if document.status not in PUBLISHABLE_STATUSES or document.confidentiality != "normal":
        return {"can_act": False}
    if not has_role(user, document.agency, (Role.CLERK, Role.LEADER, Role.AGENCY_ADMIN)):
        return {"can_act": False}
    entry = PublishedDocument.objects.filter(document=document, withdrawn_at__isnull=True).first()
    return {"can_act": True, "entry": entry}


@register.simple_tag(takes_context=True)
def portal_menu(context, portal) -> list:
    """The menu of `portal` as seen from this request's site (cached, see selectors)."""
    from wagtail.models import Site

    from tinhso.portal import selectors

    request = context.get("request")
    site = Site.find_for_request(request) if request is not None else None
    return selectors.portal_menu(portal, site)
