"""A report's state machine as one table: every action a person takes on a report.

Each `Action` says once in which states it runs, who may run it (a rule of
`feedback/rules.py`), what else must hold (`guard`), its input on the page (`form`; the
API's `ActionSerializer` carries the same field names), its words, and the service
function that runs it. Services call `check()` before writing; the report page offers
exactly `available()`; the API runs `run()` by name. They cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from tinhso.accounts.rules import can
from tinhso.core.errors import InvalidTransition, PermissionDenied
from tinhso.feedback.models import OPEN_STATES, Report, ReportState

S = ReportState
ALL_STATES = frozenset(S.values)
HANDLING = frozenset({S.ROUTED, S.IN_PROGRESS})


class ActionForm(forms.Form):
    def __init__(self, *args: Any, report: Report, user: Any, **kwargs: Any) -> None:
        self.report = report
        self.user = user
        super().__init__(*args, **kwargs)
        for bound in self.fields.values():
            widget = bound.widget
            if isinstance(widget, forms.CheckboxInput | forms.RadioSelect):
                continue
            css = "form-select" if isinstance(widget, forms.Select) else "form-control"
            widget.attrs.setdefault("class", css)


def _text(label: Any, *, required: bool = False, rows: int = 2, max_length: int = 4000):
    widget = forms.Textarea(attrs={"rows": rows}) if rows else forms.TextInput()
    return forms.CharField(label=label, required=required, max_length=max_length, widget=widget)


class EmptyForm(ActionForm):
    pass


class NoteForm(ActionForm):
    note = _text(_("Ghi chú"), rows=0, max_length=500)


class ReasonForm(ActionForm):
    reason = _text(_("Lý do"), max_length=500)


class TextForm(ActionForm):
    text = _text(_("Nội dung"), rows=3)


class MergeForm(ActionForm):
    original = forms.CharField(label=_("Mã phản ánh gốc"), max_length=20)


class CategoryForm(ActionForm):
    category = forms.ChoiceField(label=_("Lĩnh vực mới"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from tinhso.feedback.models import Category

        choice = self.fields["category"]
        assert isinstance(choice, forms.ChoiceField)
        choice.choices = [
            (c.code, c.name) for c in Category.objects.filter(is_active=True).order_by("order")
        ]


class MoveForm(ActionForm):
    lat = forms.FloatField(label=_("Vĩ độ"))
    lng = forms.FloatField(label=_("Kinh độ"))
    address = _text(_("Địa chỉ"), rows=0, max_length=255)


class RedactForm(ActionForm):
    photo = forms.ChoiceField(label=_("Ảnh cần che"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choice = self.fields["photo"]
        assert isinstance(choice, forms.ChoiceField)
        choice.choices = [
            (str(p.uid), f"{p.get_kind_display()} {i + 1}")
            for i, p in enumerate(self.report.photos.filter(redacted=False))
        ]


class AssignForm(ActionForm):
    assignee = forms.ChoiceField(label=_("Người xử lý"))
    note = _text(_("Ý kiến chỉ đạo"), rows=0, max_length=500)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from tinhso.feedback.selectors import agency_handlers

        choice = self.fields["assignee"]
        assert isinstance(choice, forms.ChoiceField)
        choice.choices = [
            (str(u.uid), u.full_name or u.username) for u in agency_handlers(self.report.agency)
        ]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleImageField(forms.FileField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/*"}))
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        if isinstance(data, list | tuple):
            return [super(MultipleImageField, self).clean(d, initial) for d in data]
        return [super().clean(data, initial)] if data else []


class AnswerForm(ActionForm):
    text = _text(_("Nội dung trả lời (công khai)"), required=True, rows=4)
    photos = MultipleImageField(label=_("Ảnh kết quả"), required=False)


class TransferForm(ActionForm):
    agency = forms.ChoiceField(label=_("Chuyển đến cơ quan"))
    reason = _text(_("Lý do"), max_length=500)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from tinhso.directory.models import Agency

        choice = self.fields["agency"]
        assert isinstance(choice, forms.ChoiceField)
        choice.choices = [
            (a.code, a.name)
            for a in Agency.objects.active().exclude(pk=self.report.agency_id).order_by("path")
        ]


class RateForm(ActionForm):
    rating = forms.TypedChoiceField(
        label=_("Mức hài lòng"),
        coerce=int,
        choices=[
            (5, _("Rất hài lòng")),
            (4, _("Hài lòng")),
            (3, _("Bình thường")),
            (2, _("Chưa hài lòng")),
            (1, _("Không hài lòng")),
        ],
    )
    note = _text(_("Nhận xét"), rows=0, max_length=500)


@dataclass(frozen=True)
class Action:
    name: str
    states: frozenset[str]
    rule: str
    label: Promise
    form: type[ActionForm] = EmptyForm
    guard: Callable[[Report, Any], None] | None = None
    style: str = "primary"
    fields: tuple[str, ...] = field(default=())

    def allowed(self, user: Any, report: Report) -> bool:
        if report.state not in self.states or not can(user, self.rule, report):
            return False
        if self.guard is not None:
            try:
                self.guard(report, user)
            except Exception:  # noqa: BLE001 - any refusal means "not offered"
                return False
        return True


def _not_hidden(report: Report, user: Any) -> None:
    if report.hidden:
        raise InvalidTransition()


def _hidden(report: Report, user: Any) -> None:
    if not report.hidden:
        raise InvalidTransition()


def _not_anonymised(report: Report, user: Any) -> None:
    if report.anonymised:
        raise InvalidTransition()


def _has_photos(report: Report, user: Any) -> None:
    if not report.photos.filter(redacted=False).exists():
        raise InvalidTransition()


def _not_rated(report: Report, user: Any) -> None:
    from tinhso.core.errors import Conflict
    from tinhso.feedback.errors import FeedbackErrorCode as E

    if report.rating is not None:
        raise Conflict(str(_("Bạn đã đánh giá phản ánh này.")), code=E.ALREADY_RATED)


def _within_reopen_window(report: Report, user: Any) -> None:
    from tinhso.feedback.services import check_reopen_window

    check_reopen_window(report)


CENTRE = "feedback.centre"
ACTIONS: dict[str, Action] = {
    a.name: a
    for a in [
        Action("accept", frozenset({S.NEW}), CENTRE, _("Tiếp nhận, chuyển xử lý"), NoteForm),
        Action("reject", frozenset({S.NEW}), CENTRE, _("Không tiếp nhận"), ReasonForm, None, "danger"),
        Action("merge", frozenset(OPEN_STATES), CENTRE, _("Gộp vào phản ánh trùng"), MergeForm, None, "secondary"),
        Action("recategorise", frozenset(OPEN_STATES), CENTRE, _("Đổi lĩnh vực"), CategoryForm, None, "secondary"),
        Action("move", frozenset(OPEN_STATES), CENTRE, _("Đổi vị trí"), MoveForm, None, "secondary"),
        Action("hide", ALL_STATES, CENTRE, _("Ẩn khỏi công khai"), ReasonForm, _not_hidden, "secondary"),
        Action("show", ALL_STATES, CENTRE, _("Hiện lại"), EmptyForm, _hidden, "secondary"),
        Action("redact", ALL_STATES, CENTRE, _("Che ảnh"), RedactForm, _has_photos, "secondary"),
        Action("anonymise", ALL_STATES, CENTRE, _("Ẩn danh người phản ánh"), EmptyForm, _not_anonymised, "secondary"),
        Action("assign", HANDLING, "feedback.assign", _("Phân công xử lý"), AssignForm),
        Action("answer", frozenset({S.ROUTED, S.IN_PROGRESS, S.INFO_REQUESTED}), "feedback.handle", _("Trả lời"), AnswerForm, None, "success"),
        Action("request_info", HANDLING, "feedback.handle", _("Đề nghị bổ sung thông tin"), TextForm, None, "secondary"),
        Action("transfer", HANDLING, "feedback.handle", _("Chuyển cơ quan khác"), TransferForm, None, "secondary"),
        Action("not_ours", HANDLING, "feedback.handle", _("Không thuộc thẩm quyền"), ReasonForm, None, "secondary"),
        Action("provide_info", frozenset({S.INFO_REQUESTED}), "feedback.reporter", _("Bổ sung thông tin"), TextForm),
        Action("rate", frozenset({S.ANSWERED}), "feedback.reporter", _("Đánh giá kết quả"), RateForm, _not_rated, "success"),
        Action("reopen", frozenset({S.ANSWERED}), "feedback.reporter", _("Chưa được khắc phục, mở lại"), ReasonForm, _within_reopen_window, "warning"),
    ]
}  # fmt: skip


def get(name: str) -> Action:
    from tinhso.core.errors import NotFound

    try:
        return ACTIONS[name]
    except KeyError:
        raise NotFound() from None


def check(name: str, user: Any, report: Report) -> Action:
    """Raise the domain error the action would meet; return the action."""
    action = get(name)
    if not can(user, action.rule, report):
        if action.rule == "feedback.reporter":
            from tinhso.feedback.errors import FeedbackErrorCode as E

            raise PermissionDenied(
                str(_("Chỉ người gửi phản ánh mới thực hiện được thao tác này.")),
                code=E.NOT_REPORTER,
            )
        raise PermissionDenied()
    if report.state not in action.states:
        raise InvalidTransition()
    if action.guard is not None:
        action.guard(report, user)
    return action


def available(user: Any, report: Report) -> list[Action]:
    return [a for a in ACTIONS.values() if a.allowed(user, report)]
