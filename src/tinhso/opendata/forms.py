"""HTML forms of the open data portal (the services do the real checking)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from tinhso.opendata import schema
from tinhso.opendata.models import Contribution, Frequency, Licence, TopicGroup


class DatasetForm(forms.Form):
    title = forms.CharField(label=_("Tên bộ dữ liệu"), max_length=300)
    notes = forms.CharField(
        label=_("Mô tả"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    licence_id = forms.ChoiceField(label=_("Giấy phép"))
    groups = forms.MultipleChoiceField(
        label=_("Nhóm chủ đề"), required=False, widget=forms.CheckboxSelectMultiple
    )
    tags = forms.CharField(
        label=_("Từ khóa (cách nhau bằng dấu phẩy)"), max_length=1000, required=False
    )
    frequency = forms.ChoiceField(
        label=_("Tần suất cập nhật"), choices=[("", "—"), *Frequency.choices], required=False
    )
    next_update_on = forms.DateField(
        label=_("Lần cập nhật tới"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    maintainer = forms.CharField(label=_("Đầu mối"), max_length=200, required=False)
    maintainer_email = forms.EmailField(label=_("Thư điện tử đầu mối"), required=False)

    def __init__(self, *args: Any, agencies: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["licence_id"].choices = [(lic.id, lic.title) for lic in Licence.objects.all()]  # type: ignore[attr-defined]
        self.fields["groups"].choices = [(g.name, g.title) for g in TopicGroup.objects.all()]  # type: ignore[attr-defined]
        if agencies is not None:
            self.fields["agency"] = forms.ChoiceField(
                label=_("Cơ quan chủ quản"), choices=[(a.code, a.name) for a in agencies]
            )
            self.order_fields(["agency"])
        for spec in schema.extra_fields():
            key = f"extra_{spec['key']}"
            if spec["type"] == "choice":
                field: forms.Field = forms.ChoiceField(
                    choices=[tuple(c) for c in spec["choices"]],
                    required=spec.get("required", False),
                )
            elif spec["type"] == "date":
                field = forms.DateField(
                    required=False, widget=forms.DateInput(attrs={"type": "date"})
                )
            elif spec["type"] == "url":
                field = forms.URLField(required=False, assume_scheme="https")
            else:
                field = forms.CharField(required=False, max_length=spec.get("max_length", 500))
            field.label = spec["label"]
            field.initial = spec.get("default")
            self.fields[key] = field

    def extras(self) -> dict[str, Any]:
        result = {}
        for spec in schema.extra_fields():
            value = self.cleaned_data.get(f"extra_{spec['key']}")
            if value not in (None, ""):
                result[spec["key"]] = value.isoformat() if hasattr(value, "isoformat") else value
        return result


class ResourceForm(forms.Form):
    name = forms.CharField(label=_("Tên tài nguyên"), max_length=300, required=False)
    description = forms.CharField(
        label=_("Mô tả"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    upload = forms.FileField(label=_("Tệp (CSV, XLSX, JSON, PDF...)"), required=False)
    url = forms.URLField(
        label=_("Hoặc đường dẫn"), required=False, max_length=1000, assume_scheme="https"
    )
    format = forms.CharField(label=_("Định dạng"), max_length=20, required=False)
    encoding = forms.ChoiceField(
        label=_("Bảng mã của tệp CSV"),
        required=False,
        choices=[
            ("", _("Tự nhận biết")),
            ("utf-8", "UTF-8"),
            ("utf-8-sig", "UTF-8 (BOM)"),
            ("windows-1258", "Windows-1258"),
        ],
    )


class ContributionForm(forms.Form):
    kind = forms.ChoiceField(label=_("Loại đóng góp"), choices=Contribution.Kind.choices)
    agency = forms.ChoiceField(label=_("Cơ quan nhận"), required=False)
    dataset = forms.CharField(widget=forms.HiddenInput, required=False)
    title = forms.CharField(label=_("Tiêu đề"), max_length=300)
    comment = forms.CharField(
        label=_("Nội dung, góp ý"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    link = forms.URLField(
        label=_("Đường dẫn đến dữ liệu"), required=False, max_length=1000, assume_scheme="https"
    )
    upload = forms.FileField(label=_("Tệp dữ liệu"), required=False)

    def __init__(self, *args: Any, agencies: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["agency"].choices = [("", "—"), *[(a.code, a.name) for a in agencies]]  # type: ignore[attr-defined]


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("accept", _("Tiếp nhận")), ("decline", _("Không tiếp nhận"))]
    )
    title = forms.CharField(label=_("Tên bộ dữ liệu (có thể sửa)"), max_length=300, required=False)
    reason = forms.CharField(
        label=_("Lý do / ghi chú"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
