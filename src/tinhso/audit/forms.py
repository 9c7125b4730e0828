"""The trail's filter form (shared by the page and the API)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from tinhso.audit.selectors import TrailFilter
from tinhso.core.dates import FormDateField


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class TrailFilterForm(forms.Form):
    actor = forms.CharField(label=_("Người thực hiện"), required=False, max_length=150)
    action = forms.CharField(
        label=_("Hành động"),
        required=False,
        max_length=80,
        help_text=_("chọn hành động, hoặc gõ vài chữ của tên hành động"),
    )
    object = forms.CharField(
        label=_("Đối tượng"),
        required=False,
        max_length=170,
        help_text=_("mã đối tượng, hoặc loại:mã (accounts.user:12)"),
    )
    agency = forms.CharField(label=_("Cơ quan"), required=False, max_length=255)
    date_from = FormDateField(
        label=_("Từ ngày"), required=False, widget=DateInput(), input_formats=["%Y-%m-%d"]
    )
    date_to = FormDateField(
        label=_("Đến ngày"), required=False, widget=DateInput(), input_formats=["%Y-%m-%d"]
    )

    def action_groups(self):
        """The action filter's choices, grouped by module and named in words."""
        from tinhso.audit.labels import action_choices

        return action_choices()

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("Ngày kết thúc phải sau ngày bắt đầu."))
        return data

    def to_filter(self) -> TrailFilter:
        data = self.cleaned_data if self.is_bound else {}
        return TrailFilter(
            actor=data.get("actor") or "",
            action=data.get("action") or "",
            object=data.get("object") or "",
            agency=data.get("agency") or "",
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
        )
