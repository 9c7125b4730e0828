"""Forms of the meeting pages (the services check everything again)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from tinhso.accounts.models import User
from tinhso.core.text import vi_sort_key
from tinhso.meetings.models import AgendaItem, Body, Vote, VotingRule

DATETIME = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]


class PersonChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.full_name or obj.username


class PersonField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.full_name or obj.username


def officials():
    return User.objects.filter(kind=User.Kind.OFFICIAL, is_active=True)


def _choices(form: forms.Form, name: str) -> forms.ModelChoiceField:
    field = form.fields[name]
    assert isinstance(field, forms.ModelChoiceField)
    return field


def style(form: forms.Form) -> None:
    """Bootstrap classes on every widget (no inline styles: CSP)."""
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxSelectMultiple):
            continue
        css = "form-select" if isinstance(widget, forms.Select) else "form-control"
        widget.attrs.setdefault("class", css)


class MeetingForm(forms.Form):
    body = forms.ModelChoiceField(label=_("Cơ quan họp"), queryset=Body.objects.none())
    title = forms.CharField(label=_("Tên cuộc họp"), max_length=500)
    starts_at = forms.DateTimeField(
        label=_("Bắt đầu"),
        input_formats=DATETIME,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    ends_at = forms.DateTimeField(
        label=_("Kết thúc"),
        required=False,
        input_formats=DATETIME,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    room = forms.CharField(label=_("Phòng họp"), max_length=255, required=False)
    online_link = forms.CharField(
        label=_("Đường dẫn họp trực tuyến (Jitsi...)"), max_length=500, required=False
    )
    chair = PersonField(label=_("Chủ trì"), queryset=None, to_field_name="uid")
    members = PersonChoice(
        label=_("Thành viên"),
        queryset=None,
        to_field_name="uid",
        widget=forms.CheckboxSelectMultiple,
    )
    guests = PersonChoice(label=_("Khách mời"), queryset=None, to_field_name="uid", required=False)

    def __init__(self, *args, bodies, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        _choices(self, "body").queryset = bodies
        style(self)
        member_ids = {m.pk for b in bodies.prefetch_related("members") for m in b.members.all()}
        people = sorted(officials().filter(pk__in=member_ids), key=lambda u: vi_sort_key(str(u)))
        queryset = officials().filter(pk__in=member_ids)
        _choices(self, "chair").queryset = queryset
        _choices(self, "members").queryset = queryset
        self.fields["members"].initial = [p.uid for p in people]
        _choices(self, "guests").queryset = officials().exclude(pk__in=member_ids)
        style(self)


class VoteForm(forms.Form):
    question = forms.CharField(label=_("Nội dung biểu quyết"), max_length=500)
    kind = forms.ChoiceField(label=_("Hình thức"), choices=Vote.Kind.choices)
    method = forms.ChoiceField(label=_("Cách biểu quyết"), choices=Vote.Method.choices)
    options = forms.CharField(
        label=_("Các phương án (mỗi dòng một phương án)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=3000,
    )
    rule = forms.ModelChoiceField(label=_("Quy tắc biểu quyết"), queryset=VotingRule.objects.none())
    item = forms.ModelChoiceField(
        label=_("Nội dung"), queryset=AgendaItem.objects.none(), required=False
    )

    def __init__(self, *args, meeting, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        _choices(self, "rule").queryset = meeting.body.rules.all()
        self.fields["rule"].initial = meeting.body.default_rule
        _choices(self, "item").queryset = meeting.items.all()
        self.fields["item"].initial = meeting.current_item_id
        style(self)


class OpinionForm(forms.Form):
    body = forms.ModelChoiceField(label=_("Gửi thành viên của"), queryset=Body.objects.none())
    title = forms.CharField(label=_("Nội dung xin ý kiến"), max_length=500)
    file = forms.FileField(label=_("Dự thảo (PDF)"))
    deadline = forms.DateTimeField(
        label=_("Hạn trả lời"),
        input_formats=DATETIME,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )

    def __init__(self, *args, bodies, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        _choices(self, "body").queryset = bodies
        style(self)
