"""Form widgets of the web shell."""

from __future__ import annotations

from django import forms


class Select(forms.Select):
    """Django's select, its options written inline instead of one template include each
    (the same markup): the catalogue's filters list ~70 options, and the includes were a
    third of the catalogue page's rendering."""

    template_name = "web/widgets/select.html"
