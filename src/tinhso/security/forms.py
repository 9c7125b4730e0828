"""HTML forms of the security monitoring centre (one validation path with the services)."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from tinhso.security.models import Assessment, InformationSystem, LevelCriterion, Severity, Source

MAX_UPLOAD = 20 * 1024 * 1024


class _Bootstrap:
    def _style(self) -> None:
        for field in self.fields.values():  # type: ignore[attr-defined]
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput | forms.CheckboxSelectMultiple):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "form-select")
            else:
                widget.attrs.setdefault("class", "form-control")


class OpenIncidentForm(_Bootstrap, forms.Form):
    title = forms.CharField(label=_("Tiêu đề sự cố"), max_length=300)
    severity = forms.ChoiceField(label=_("Mức độ"), choices=Severity.choices)
    description = forms.CharField(
        label=_("Mô tả"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )
    assignee = forms.ChoiceField(label=_("Phân công cho"), required=False)

    def __init__(self, *args, analysts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = [("", "—")] + [
            (str(u.pk), u.full_name or u.username) for u in analysts
        ]
        self._style()


class AssignForm(_Bootstrap, forms.Form):
    assignee = forms.ChoiceField(label=_("Người xử lý"))

    def __init__(self, *args, analysts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = [(str(u.pk), u.full_name or u.username) for u in analysts]
        self._style()


class NoteForm(_Bootstrap, forms.Form):
    text = forms.CharField(
        label=_("Ghi chú"), max_length=5000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style()


class EvidenceForm(_Bootstrap, forms.Form):
    file = forms.FileField(label=_("Tệp bằng chứng"))
    description = forms.CharField(label=_("Mô tả bằng chứng"), required=False, max_length=500)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style()


class TransitionForm(_Bootstrap, forms.Form):
    resolution = forms.CharField(
        label=_("Kết quả xử lý"),
        required=False,
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    file = forms.FileField(label=_("Bằng chứng kèm theo"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style()


class SystemForm(_Bootstrap, forms.Form):
    code = forms.CharField(label=_("Mã hệ thống"), max_length=30)
    name = forms.CharField(label=_("Tên hệ thống"), max_length=255)
    owner = forms.ChoiceField(label=_("Cơ quan chủ quản"))
    operator = forms.CharField(label=_("Đơn vị vận hành"), max_length=255, required=False)
    purpose = forms.CharField(
        label=_("Mục đích, chức năng"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    data_held = forms.CharField(
        label=_("Dữ liệu xử lý"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    holds_personal_data = forms.BooleanField(label=_("Có dữ liệu cá nhân"), required=False)
    personal_data_subjects = forms.IntegerField(
        label=_("Số người có dữ liệu cá nhân"), min_value=0, max_value=200_000_000, initial=0
    )
    users = forms.CharField(label=_("Người sử dụng"), max_length=255, required=False)
    user_count = forms.IntegerField(
        label=_("Số tài khoản người dùng"), min_value=0, max_value=200_000_000, initial=0
    )
    criteria = forms.MultipleChoiceField(
        label=_("Tiêu chí xác định cấp độ"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    in_operation_since = forms.DateField(
        label=_("Vận hành từ"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    layer_onsite = forms.BooleanField(label=_("Lớp 1: lực lượng tại chỗ"), required=False)
    layer_monitoring = forms.BooleanField(
        label=_("Lớp 2: giám sát, bảo vệ chuyên nghiệp"), required=False
    )
    layer_assessment = forms.BooleanField(
        label=_("Lớp 3: kiểm tra, đánh giá độc lập"), required=False
    )
    layer_national = forms.BooleanField(
        label=_("Lớp 4: kết nối hệ thống giám sát quốc gia"), required=False
    )
    contact_email = forms.EmailField(label=_("Thư điện tử đầu mối"), required=False)

    def __init__(self, *args, agencies=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = [(a.code, a.name) for a in agencies]
        self.fields["criteria"].choices = [
            (c.code, f"{c.text} ({c.article}, cấp độ {c.level})")
            for c in LevelCriterion.objects.order_by("order")
        ]
        self._style()

    def clean_in_operation_since(self):
        value = self.cleaned_data.get("in_operation_since")
        if value and not (dt.date(1990, 1, 1) <= value <= dt.date(2100, 1, 1)):
            raise forms.ValidationError(_("Ngày không hợp lệ."))
        return value


class LevelForm(_Bootstrap, forms.Form):
    level = forms.TypedChoiceField(
        label=_("Cấp độ"), coerce=int, choices=[(i, i) for i in range(1, 6)]
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style()


class ApproveForm(LevelForm):
    decision_number = forms.CharField(label=_("Số quyết định"), max_length=60)
    decision_date = forms.DateField(
        label=_("Ngày quyết định"), widget=forms.DateInput(attrs={"type": "date"})
    )
    decision_file = forms.FileField(label=_("Tệp quyết định (PDF)"), required=False)

    def clean_decision_date(self):
        value = self.cleaned_data["decision_date"]
        if not (dt.date(2000, 1, 1) <= value <= dt.date(2100, 1, 1)):
            raise forms.ValidationError(_("Ngày không hợp lệ."))
        return value


class AssessmentForm(_Bootstrap, forms.Form):
    assessor = forms.CharField(label=_("Đơn vị đánh giá độc lập"), max_length=255)
    assessed_on = forms.DateField(
        label=_("Ngày đánh giá"), widget=forms.DateInput(attrs={"type": "date"})
    )
    result = forms.ChoiceField(label=_("Kết quả"), choices=Assessment.Result.choices)
    findings = forms.CharField(
        label=_("Phát hiện, khuyến nghị"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    next_due_on = forms.DateField(
        label=_("Lần đánh giá tiếp theo"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style()


class PeriodForm(_Bootstrap, forms.Form):
    start = forms.DateField(label=_("Từ ngày"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("Đến ngày"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style()

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end:
            if end < start or (end - start).days > 400:
                raise forms.ValidationError(_("Kỳ không hợp lệ (tối đa 400 ngày)."))
            if start.year < 2000 or end.year > 2100:
                raise forms.ValidationError(_("Ngày không hợp lệ."))
        return data


class SourceForm(_Bootstrap, forms.Form):
    name = forms.CharField(label=_("Tên nguồn"), max_length=120)
    kind = forms.ChoiceField(
        label=_("Loại"), choices=[c for c in Source.Kind.choices if c[0] != "internal"]
    )
    addresses = forms.CharField(label=_("Địa chỉ gửi (syslog)"), max_length=500, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style()


class RangeForm(_Bootstrap, forms.Form):
    kind = forms.ChoiceField(label=_("Loại"), choices=[])
    value = forms.CharField(label=_("Giá trị"), max_length=120)
    agency = forms.ChoiceField(label=_("Cơ quan"))
    system = forms.ChoiceField(label=_("Hệ thống"), required=False)

    def __init__(self, *args, agencies=(), systems=(), **kwargs):
        from tinhso.security.models import AssetRange

        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = AssetRange.Kind.choices
        self.fields["agency"].choices = [(a.code, a.name) for a in agencies]
        self.fields["system"].choices = [("", "—")] + [(s.code, s.name) for s in systems]
        self._style()


def system_initial(system: InformationSystem) -> dict:
    return {
        "code": system.code,
        "name": system.name,
        "owner": system.owner.code,
        "operator": system.operator,
        "purpose": system.purpose,
        "data_held": system.data_held,
        "holds_personal_data": system.holds_personal_data,
        "personal_data_subjects": system.personal_data_subjects,
        "users": system.users,
        "user_count": system.user_count,
        "criteria": system.criteria,
        "in_operation_since": system.in_operation_since,
        "layer_onsite": system.layer_onsite,
        "layer_monitoring": system.layer_monitoring,
        "layer_assessment": system.layer_assessment,
        "layer_national": system.layer_national,
        "contact_email": system.contact_email,
    }
