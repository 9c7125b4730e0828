from django import template

from tinhso.directory.selectors import highlight as _highlight

register = template.Library()


@register.simple_tag
def highlight(text, q):
    """`text` with the (diacritics-insensitive) matches of the words of `q` in <mark>."""
    return _highlight(str(text or ""), q or "")
