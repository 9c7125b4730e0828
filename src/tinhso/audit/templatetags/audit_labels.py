"""`{{ entry.action|action_label }}`: an audit action code in words."""

from django import template

from tinhso.audit.labels import action_label as _action_label

register = template.Library()


@register.filter
def action_label(code: str) -> str:
    return _action_label(code)
