from django import forms
from django.utils.translation import gettext_lazy as _

from tinhso.core.dates import FormDateField
from tinhso.workdays.models import CalendarException


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class ExceptionForm(forms.Form):
    date = FormDateField(label=_("Ngày"), widget=DateInput(), input_formats=["%Y-%m-%d"])
    kind = forms.ChoiceField(label=_("Loại"), choices=CalendarException.Kind.choices)
    reason = forms.CharField(
        label=_("Lý do"),
        max_length=200,
        help_text=_("ví dụ: Làm bù cho ngày 31/08/2026 theo Thông báo số .../TB-VPCP"),
    )


class DeleteExceptionForm(forms.Form):
    date = FormDateField(widget=forms.HiddenInput(), input_formats=["%Y-%m-%d"])
