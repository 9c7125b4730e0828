"""The dossier's state machine as one table: every action a person takes on a dossier.

Each `Action` says, once:
- `states`: the dossier states it may run in;
- `rules`: who may run it (permission rules of `onestop/rules.py`; any of them);
- `guard`: what else the dossier (and the person) must satisfy — a next step exists, the
  one extension is unused, the signer holds a certificate... — raising the same domain
  error the service would;
- `form`: its input on the page (the API's serializer carries the same field names);
- `label`, `verb`, `button`: its Vietnamese words;
- `run`: the service function that executes it.

Services call `check(name, user, dossier)` before writing and pass `states(name)` to the
conditional UPDATE; the dossier page offers exactly `available(user, dossier)`; the API
routes its (older, hyphenated) action names to `for_api(name, dossier)`. So the page
never offers what the service would refuse, and the three cannot drift apart again
(DESIGN.md, "Lessons": one state machine, one table; Wagtail's action classes).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from django import forms
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from tinhso.accounts.models import Role
from tinhso.accounts.rules import can
from tinhso.core.errors import Conflict, InvalidTransition, PermissionDenied, ValidationFailed
from tinhso.onestop.errors import OnestopError as E
from tinhso.onestop.models import Dossier, DossierState, ProcessStep, ReturnMethod

S = DossierState

ACTIVE = frozenset({S.ACCEPTED, S.PROCESSING})
WITHDRAWABLE = frozenset(
    {
        S.SUBMITTED,
        S.RECEPTION_SUPPLEMENT,
        S.ACCEPTED,
        S.PROCESSING,
        S.SUPPLEMENT,
        S.FINANCIAL,
        S.PAUSED,
    }
)


class Actor(StrEnum):
    OFFICIAL = "official"
    APPLICANT = "applicant"


# ---------------------------------------------------------------------------------------
# Input forms (the page). Forms only parse and bound the input; the rules about it
# ("a reason is required", "the date is a working day") live in the services, so that the
# page and the API meet the same Vietnamese message and code.


class ActionForm(forms.Form):
    """The input of one action for one dossier and user (choices depend on both)."""

    def __init__(self, *args: Any, dossier: Dossier, user: Any, **kwargs: Any) -> None:
        self.dossier = dossier
        self.user = user
        super().__init__(*args, **kwargs)
        for bound in self.fields.values():
            widget = bound.widget
            css = "form-select" if isinstance(widget, forms.Select) else "form-control"
            if isinstance(widget, forms.CheckboxInput | forms.RadioSelect):
                continue
            widget.attrs.setdefault("class", css)

    def values(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


def _text(label: Any, *, required: bool = False, rows: int = 0, max_length: int = 2000):
    widget = forms.Textarea(attrs={"rows": rows}) if rows else forms.TextInput()
    return forms.CharField(label=label, required=required, max_length=max_length, widget=widget)


class NoteForm(ActionForm):
    note = _text(_("Ghi chú"))


class EmptyForm(ActionForm):
    pass


class SupplementForm(ActionForm):
    items = _text(_("Tất cả giấy tờ, nội dung cần bổ sung (mỗi dòng một mục)"), rows=3)
    note = _text(_("Ghi chú"))

    def clean_items(self) -> list[str]:
        text = self.cleaned_data.get("items") or ""
        return [line.strip(" -•\t") for line in text.splitlines() if line.strip(" -•\t")]


class ReasonsForm(ActionForm):
    reasons = _text(_("Lý do (mỗi dòng một lý do)"), rows=3)


class _PeopleChoice(forms.ModelChoiceField):
    """One of `selectors.officials(agency, roles)` (`offer`): the options shown are the
    list each process keeps (`selectors.official_choices`); a submitted one is looked up
    in the database, the query built only then."""

    _team: tuple[Any, tuple[str, ...]] | None = None

    def offer(self, agency: Any, roles: Any) -> None:
        from tinhso.onestop.selectors import official_choices

        self._team = (agency, tuple(roles))
        self._queryset = None
        empty = [] if self.empty_label is None else [("", self.empty_label)]
        self.widget.choices = [*empty, *official_choices(agency, roles)]

    def _get_queryset(self) -> Any:
        if self._queryset is None and self._team is not None:
            from tinhso.onestop.selectors import officials

            self._queryset = officials(*self._team)  # type: ignore[assignment]
        return self._queryset

    # Django's setter (not in its type stubs) with this getter
    queryset = property(_get_queryset, getattr(forms.ModelChoiceField, "_set_queryset"))  # noqa: B009

    def label_from_instance(self, obj: Any) -> str:
        from tinhso.onestop.selectors import person_label

        return person_label(obj)


def _people_field(form: forms.Form, name: str) -> _PeopleChoice:
    field = form.fields[name]
    assert isinstance(field, _PeopleChoice)
    return field


class AssignForm(ActionForm):
    assignee = _PeopleChoice(
        label=_("Người xử lý"), queryset=None, to_field_name="uid", required=False
    )
    note = _text(_("Ý kiến chỉ đạo"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        handling = self.dossier.handling_agency or self.dossier.agency
        _people_field(self, "assignee").offer(
            handling, (Role.SPECIALIST, Role.LEADER, Role.ONESTOP_OFFICER)
        )


class ForwardForm(ActionForm):
    to_user = _PeopleChoice(
        label=_("Người nhận (không bắt buộc)"),
        queryset=None,
        to_field_name="uid",
        required=False,
        empty_label=_("— Theo vai trò của bước —"),
    )
    note = _text(_("Ý kiến xử lý"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from tinhso.onestop.selectors import next_step_team

        _people_field(self, "to_user").offer(*next_step_team(self.dossier))


class _StepChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.order}. {obj.name}"


class SendBackForm(ActionForm):
    to_step = _StepChoice(
        label=_("Trả về bước"),
        queryset=ProcessStep.objects.none(),
        required=False,
        empty_label=_("— Bước liền trước —"),
    )
    note = _text(_("Lý do"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        d = self.dossier
        current = d.current_step.order if d.current_step is not None else 0
        field = self.fields["to_step"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = ProcessStep.objects.filter(
            template_id=d.process_template_id, order__lt=current
        ).order_by("order")


class ObligationForm(ActionForm):
    amount_vnd = forms.IntegerField(
        label=_("Số tiền (đồng)"),
        required=False,
        min_value=0,
        max_value=10**12,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "step": 1}),
    )
    note = _text(_("Nội dung"))


class PauseForm(ActionForm):
    reason = _text(_("Lý do"))


class ExtendForm(ActionForm):
    new_due_date = forms.DateField(
        label=_("Ngày hẹn mới"), widget=forms.DateInput(attrs={"type": "date"})
    )
    reason = _text(_("Lý do chậm"))
    apology = _text(_("Lời xin lỗi"), rows=2)


class ApproveForm(ActionForm):
    result_summary = _text(_("Tóm tắt kết quả"), max_length=1000)
    note = _text(_("Ý kiến phê duyệt"))
    signing = forms.ChoiceField(label=_("Ký số kết quả bằng"), widget=forms.RadioSelect)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from tinhso.onestop.services.results import latest_draft, signing_options

        options = (
            signing_options(self.user, self.dossier.agency) if latest_draft(self.dossier) else []
        )
        if not options:  # a paper result: signed on paper, nothing to choose
            del self.fields["signing"]
            return
        field = self.fields["signing"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(o.method, o.label) for o in options]
        field.initial = options[0].method


class ResultForm(ActionForm):
    file = forms.FileField(
        label=_("Tệp kết quả"), widget=forms.ClearableFileInput(attrs={"accept": ".pdf"})
    )
    name = _text(_("Tên kết quả"), max_length=500)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        default = (self.dossier.procedure.result_description or "").strip()
        self.fields["name"].initial = (default or "Kết quả giải quyết")[:200]


class ReturnForm(ActionForm):
    method = forms.ChoiceField(
        label=_("Hình thức"),
        required=False,
        choices=[("", _("Theo đăng ký của công dân"))] + list(ReturnMethod.choices),
    )
    note = _text(_("Ghi chú"))


class WithdrawForm(ActionForm):
    reason = _text(_("Lý do rút hồ sơ"), rows=2)


class _MultipleFiles(forms.ClearableFileInput):
    allow_multiple_selected = True


class _FilesField(forms.FileField):
    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        items = data if isinstance(data, list | tuple) else ([data] if data else [])
        return [super(_FilesField, self).clean(item, initial) for item in items]


class AnswerSupplementForm(ActionForm):
    uploads = _FilesField(
        label=_("Tệp bổ sung (PDF, JPG, PNG)"),
        required=False,
        widget=_MultipleFiles(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
    )
    note = _text(_("Ghi chú gửi cơ quan"), rows=2)

    def values(self) -> dict[str, Any]:
        from tinhso.onestop.services.common import Attachment

        files = self.cleaned_data.get("uploads") or []
        return {
            "attachments": [
                Attachment(file=f, name=f"Giấy tờ bổ sung {i}") for i, f in enumerate(files, 1)
            ],
            "note": self.cleaned_data.get("note") or "",
        }


class RateForm(ActionForm):
    score = forms.TypedChoiceField(
        label=_("Mức độ hài lòng"),
        coerce=int,
        choices=[
            (5, _("5 — Rất hài lòng")),
            (4, _("4 — Hài lòng")),
            (3, _("3 — Bình thường")),
            (2, _("2 — Không hài lòng")),
            (1, _("1 — Rất không hài lòng")),
        ],
    )
    comment = _text(_("Góp ý"), rows=2)


# ---------------------------------------------------------------------------------------
# Guards: what the dossier (and the person) must satisfy beyond the state and the role.

Guard = Callable[[Any, Dossier], None]


def _steps(dossier: Dossier) -> list[ProcessStep]:
    from tinhso.onestop.services.common import _steps as steps

    return steps(dossier)


def next_step(dossier: Dossier) -> ProcessStep | None:
    from tinhso.onestop.services.common import _next_step

    return _next_step(dossier)


def _needs_next_step(user: Any, dossier: Dossier) -> None:
    nxt = next_step(dossier)
    if nxt is None or nxt.kind == ProcessStep.Kind.RETURN:
        raise InvalidTransition(
            "Hồ sơ đang ở bước cuối của quy trình: trình phê duyệt hoặc dừng xử lý.",
            code=E.NO_NEXT_STEP,
        )


def _needs_previous_step(user: Any, dossier: Dossier) -> None:
    steps = _steps(dossier)
    index = next((i for i, s in enumerate(steps) if s.pk == dossier.current_step_id), None)
    if index is None or index == 0:
        raise InvalidTransition("Hồ sơ đang ở bước đầu tiên.", code=E.NO_PREVIOUS_STEP)


def _at_last_step(user: Any, dossier: Dossier) -> None:
    nxt = next_step(dossier) if dossier.current_step_id is not None else None
    if nxt is not None and nxt.kind != ProcessStep.Kind.RETURN:
        raise InvalidTransition(
            "Hồ sơ chưa đến bước phê duyệt của quy trình.", code=E.NOT_AT_LAST_STEP
        )


def _within_supplement_window(user: Any, dossier: Dossier) -> None:
    from tinhso.onestop.services.clock import now
    from tinhso.onestop.services.common import PROCESSING_SUPPLEMENT_DAYS
    from tinhso.workdays.services import VN, Calendar

    if PROCESSING_SUPPLEMENT_DAYS is None or dossier.received_at is None:
        return
    elapsed = Calendar().working_days_between(
        dossier.received_at.astimezone(VN).date(), now().astimezone(VN).date()
    )
    if elapsed > PROCESSING_SUPPLEMENT_DAYS:
        raise ValidationFailed(
            f"Đã quá {PROCESSING_SUPPLEMENT_DAYS} ngày làm việc kể từ ngày tiếp nhận: không "
            "thể yêu cầu bổ sung hồ sơ; vui lòng xử lý hoặc trả lại hồ sơ kèm lý do.",
            code=E.SUPPLEMENT_WINDOW_PASSED,
        )


def _extension_possible(user: Any, dossier: Dossier) -> None:
    from tinhso.onestop.models import Extension
    from tinhso.onestop.services.clock import now
    from tinhso.workdays.services import VN, Calendar

    if dossier.extended_once or Extension.objects.filter(dossier=dossier).exists():
        raise InvalidTransition(
            "Hồ sơ đã được gia hạn một lần; không thể gia hạn thêm.", code=E.ALREADY_EXTENDED
        )
    if dossier.due_at is None:
        raise InvalidTransition("Hồ sơ chưa có ngày hẹn trả.", code=E.INVALID_TRANSITION)
    today = now().astimezone(VN).date()
    if Calendar().working_days_between(today, dossier.due_at.astimezone(VN).date()) < 1:
        raise ValidationFailed(
            "Phải gửi thư xin lỗi và hẹn lại ngày trả ít nhất 01 ngày làm việc trước ngày hẹn.",
            code=E.EXTENSION_TOO_LATE,
        )


def _result_signable(user: Any, dossier: Dossier) -> None:
    """A result draft for an online return, and the means to sign (and seal) it."""
    from tinhso.onestop.services.results import latest_draft, seal_certificate, signing_options

    if latest_draft(dossier) is None:
        if dossier.return_method == ReturnMethod.ONLINE:
            raise InvalidTransition(
                "Chưa có dự thảo kết quả (PDF) để ký: người xử lý đính kèm dự thảo kết quả "
                "trước khi trình phê duyệt.",
                code=E.RESULT_FILE_REQUIRED,
            )
        return  # a paper result
    if not signing_options(user, dossier.agency):
        raise InvalidTransition(
            "Bạn chưa có chứng thư số còn hiệu lực để ký kết quả: đăng ký chứng thư số (hoặc "
            "USB token) tại trang Chứng thư số.",
            code=E.SIGNING_METHOD_UNAVAILABLE,
        )
    if dossier.procedure.result_needs_seal and seal_certificate(dossier.agency) is None:
        raise InvalidTransition(
            "Cơ quan chưa có chứng thư số (con dấu điện tử) để đóng dấu kết quả.",
            code=E.SEAL_UNAVAILABLE,
        )


def _token_signable(user: Any, dossier: Dossier) -> None:
    from tinhso.onestop.services.results import SigningMethod, latest_draft, signing_options

    _result_signable(user, dossier)
    methods = {o.method for o in signing_options(user, dossier.agency)}
    if latest_draft(dossier) is None or SigningMethod.TOKEN not in methods:
        raise InvalidTransition(
            "Không có dự thảo kết quả để ký bằng USB token, hoặc bạn chưa đăng ký chứng thư "
            "số của USB token.",
            code=E.SIGNING_METHOD_UNAVAILABLE,
        )


def _open_supplement(user: Any, dossier: Dossier) -> None:
    if not dossier.supplements.filter(answered_at__isnull=True).exists():
        raise InvalidTransition("Hồ sơ không ở trạng thái chờ bổ sung.", code=E.NO_OPEN_SUPPLEMENT)


def _not_rated(user: Any, dossier: Dossier) -> None:
    from tinhso.onestop.models import Rating

    if Rating.objects.filter(dossier=dossier).exists():
        raise Conflict("Hồ sơ này đã được đánh giá.", code=E.ALREADY_RATED)


def _all(*guards: Guard) -> Guard:
    def check(user: Any, dossier: Dossier) -> None:
        for guard in guards:
            guard(user, dossier)

    return check


# ---------------------------------------------------------------------------------------
# The service functions (imported when run: the services import this module).

Run = Callable[[Any, Dossier, dict[str, Any], int | None], Any]


def _svc():
    from tinhso.onestop import services

    return services


def _run_accept(user, d, v, version):
    return _svc().accept_dossier(officer=user, dossier=d, note=v.get("note", ""), version=version)


def _run_supplement(user, d, v, version):
    return _svc().request_supplement(
        official=user, dossier=d, items=v.get("items") or [], note=v.get("note", ""),
        version=version,
    )  # fmt: skip


def _run_refuse(user, d, v, version):
    return _svc().refuse_reception(
        officer=user, dossier=d, reasons=v.get("reasons", ""), version=version
    )


def _run_assign(user, d, v, version):
    return _svc().assign(
        official=user, dossier=d, assignee=v.get("assignee"), note=v.get("note", ""),
        version=version,
    )  # fmt: skip


def _run_start(user, d, v, version):
    return _svc().start_processing(official=user, dossier=d, version=version)


def _run_forward(user, d, v, version):
    return _svc().forward_to_next_step(
        official=user, dossier=d, to_user=v.get("to_user"), note=v.get("note", ""),
        version=version,
    )  # fmt: skip


def _run_send_back(user, d, v, version):
    return _svc().send_back(
        official=user, dossier=d, note=v.get("note", ""), to_step=v.get("to_step"),
        to_user=v.get("to_user"), version=version,
    )  # fmt: skip


def _run_obligation(user, d, v, version):
    return _svc().request_financial_obligation(
        official=user, dossier=d, amount_vnd=v.get("amount_vnd"), note=v.get("note", ""),
        version=version,
    )  # fmt: skip


def _run_pause(user, d, v, version):
    return _svc().pause(official=user, dossier=d, reason=v.get("reason", ""), version=version)


def _run_resume(user, d, v, version):
    return _svc().resume(official=user, dossier=d, note=v.get("note", ""), version=version)


def _run_extend(user, d, v, version):
    return _svc().propose_extension(
        official=user, dossier=d, new_due_date=v.get("new_due_date"),
        reason=v.get("reason", ""), apology=v.get("apology", ""), version=version,
    )  # fmt: skip


def _run_attach(user, d, v, version):
    return _svc().attach_result(
        official=user, dossier=d, file=v.get("file"),
        name=v.get("name") or "Kết quả giải quyết",
    )  # fmt: skip


def _run_approve(user, d, v, version):
    return _svc().approve(
        official=user, dossier=d, result_summary=v.get("result_summary", ""),
        note=v.get("note", ""), signing=v.get("signing") or "certificate", version=version,
    )  # fmt: skip


def _run_prepare_signature(user, d, v, version):
    return _svc().prepare_result_signature(official=user, dossier=d, version=version)


def _run_reject(user, d, v, version):
    return _svc().reject(official=user, dossier=d, reasons=v.get("reasons", ""), version=version)


def _run_return(user, d, v, version):
    return _svc().return_result(
        officer=user, dossier=d, method=v.get("method") or None, note=v.get("note", ""),
        version=version,
    )  # fmt: skip


def _run_withdraw(user, d, v, version):
    return _svc().withdraw(user=user, dossier=d, reason=v.get("reason", ""), version=version)


def _run_answer(user, d, v, version):
    return _svc().answer_supplement(
        user=user, dossier=d, attachments=v.get("attachments") or (), note=v.get("note", ""),
        form_data=v.get("form_data"), version=version,
    )  # fmt: skip


def _run_rate(user, d, v, version):
    return _svc().rate(user=user, dossier=d, score=v.get("score"), comment=v.get("comment", ""))


# ---------------------------------------------------------------------------------------
# The table


@dataclass(frozen=True)
class Action:
    name: str  # the page's name (URL) and the key of the table
    api_name: str  # the API's route name (kept as clients know it)
    label: str | Promise  # what the page and the API documentation call it
    verb: str  # "Không thể <verb> khi hồ sơ ở trạng thái …"
    states: frozenset[str]
    rules: tuple[str, ...]  # permission rules, any of them
    actor: Actor
    run: Run
    form: type[ActionForm] = NoteForm
    guard: Guard | None = None
    button: str | Promise = ""
    success: str | Promise = ""  # flash message; "{where}" = who has the dossier now
    hand_over: bool = False  # the dossier changes hands: say who has it now
    confirm: bool = False  # the page asks for a confirmation naming what will happen
    card: bool = True  # offered as a card of its own (else reached from another action)
    style: str = "primary"  # Bootstrap colour of its button
    help: str | Promise = ""
    extra: dict[str, Any] = field(default_factory=dict)

    # -- checks
    def permitted(self, user: Any, dossier: Dossier) -> bool:
        return any(can(user, rule, dossier) for rule in self.rules)

    def check(self, user: Any, dossier: Dossier) -> None:
        """Raise the domain error the service would raise; nothing when it may run."""
        if not self.permitted(user, dossier):
            raise PermissionDenied()
        if dossier.state not in self.states:
            raise InvalidTransition(
                f"Không thể {self.verb} khi hồ sơ ở trạng thái “{dossier.get_state_display()}”.",
                code=E.INVALID_TRANSITION,
            )
        if self.guard is not None:
            self.guard(user, dossier)

    def allowed(self, user: Any, dossier: Dossier) -> bool:
        from tinhso.core.errors import DomainError

        if dossier.state not in self.states:  # cheap first: no query
            return False
        try:
            self.check(user, dossier)
        except DomainError:
            return False
        return True

    # -- running
    def execute(
        self, *, user: Any, dossier: Dossier, values: dict[str, Any], version: int | None = None
    ) -> Any:
        """Check this very action (two actions may share a service), then run its service
        (which checks again inside its transaction).

        A `version` older than the dossier's means someone acted since the page was drawn:
        that is a conflict to report as such, before the checks, which would otherwise
        answer "not allowed" about a state the person never saw."""
        ensure_current(dossier, version)
        self.check(user, dossier)
        return self.run(user, dossier, values, version)

    def make_form(self, dossier: Dossier, user: Any, data: Any = None, files: Any = None):
        # plain field names (the same as the API's); ids unique on a page of many forms
        return self.form(data, files, dossier=dossier, user=user, auto_id=f"id_{self.name}_%s")


def dossier_changed() -> Conflict:
    """What an action on a dossier someone else has just moved is told."""
    return Conflict(
        "Hồ sơ vừa được người khác xử lý. Vui lòng tải lại trang để xem trạng thái mới "
        "rồi thao tác lại.",
        code=E.DOSSIER_CHANGED,
    )


def ensure_current(dossier: Dossier, version: int | None) -> None:
    """Refuse an action asked from a page (or a read) older than the dossier: checked
    before the action's form, its permission and its state, which would each otherwise
    answer about a dossier the person never saw. No version: nothing to compare."""
    if version is not None and version != dossier.version:
        raise dossier_changed()


def _action(**kwargs: Any) -> Action:
    kwargs["states"] = frozenset(kwargs["states"])
    return Action(**kwargs)


OFFICIAL = Actor.OFFICIAL
APPLICANT = Actor.APPLICANT

TABLE: tuple[Action, ...] = (
    # -- reception (one-stop desk of the receiving agency)
    _action(
        name="accept", api_name="accept", label=_("Tiếp nhận hồ sơ"), verb="tiếp nhận",
        states={S.SUBMITTED}, rules=("onestop.accept_dossier",), actor=OFFICIAL,
        run=_run_accept, button=_("Tiếp nhận"), style="success", hand_over=True,
        help=_("Hồ sơ đầy đủ, hợp lệ: cấp mã hồ sơ và giấy tiếp nhận, hẹn trả kết quả "
               "(Mẫu 01)."),
        success=_("Đã tiếp nhận hồ sơ, cấp mã và giấy hẹn (Mẫu 01). Hồ sơ đang ở: {where}."),
    ),
    _action(
        name="reception_supplement", api_name="request-supplement",
        label=_("Yêu cầu bổ sung (Mẫu 02)"), verb="yêu cầu bổ sung", states={S.SUBMITTED},
        rules=("onestop.accept_dossier",), actor=OFFICIAL, run=_run_supplement,
        form=SupplementForm, button=_("Gửi yêu cầu bổ sung"), style="warning",
        success=_("Đã gửi yêu cầu bổ sung (Mẫu 02) tới công dân."),
    ),
    _action(
        name="refuse", api_name="refuse", label=_("Từ chối tiếp nhận (Mẫu 03)"),
        verb="từ chối tiếp nhận", states={S.SUBMITTED, S.RECEPTION_SUPPLEMENT},
        rules=("onestop.accept_dossier",), actor=OFFICIAL, run=_run_refuse, form=ReasonsForm,
        button=_("Từ chối"), style="outline-danger",
        success=_("Đã từ chối tiếp nhận (Mẫu 03)."),
    ),
    # -- processing (the handling agency, step by step)
    _action(
        name="start", api_name="start", label=_("Nhận xử lý"), verb="bắt đầu xử lý",
        states={S.ACCEPTED}, rules=("onestop.process_dossier",), actor=OFFICIAL,
        run=_run_start, form=EmptyForm, button=_("Nhận xử lý"),
        help=_("Bắt đầu bước hiện tại của quy trình."), hand_over=True,
        success=_("Đã nhận hồ sơ để xử lý. Hồ sơ đang ở: {where}."),
    ),
    _action(
        name="forward", api_name="forward", label=_("Chuyển bước tiếp theo"),
        verb="chuyển bước tiếp theo", states=ACTIVE, rules=("onestop.process_dossier",),
        actor=OFFICIAL, run=_run_forward, form=ForwardForm, guard=_needs_next_step,
        button=_("Chuyển"), hand_over=True,
        success=_("Đã chuyển hồ sơ sang bước tiếp theo. Hồ sơ đang ở: {where}."),
    ),
    _action(
        name="assign", api_name="assign", label=_("Phân công xử lý"), verb="phân công",
        states={S.ACCEPTED, S.PROCESSING, S.PAUSED}, rules=("onestop.assign_dossier",),
        actor=OFFICIAL, run=_run_assign, form=AssignForm, button=_("Phân công"),
        hand_over=True, success=_("Đã phân công xử lý. Hồ sơ đang ở: {where}."),
    ),
    _action(
        name="send_back", api_name="send-back", label=_("Chuyển trả bước trước"),
        verb="chuyển trả", states={S.PROCESSING}, rules=("onestop.process_dossier",),
        actor=OFFICIAL, run=_run_send_back, form=SendBackForm, guard=_needs_previous_step,
        button=_("Chuyển trả"), style="outline-secondary", hand_over=True,
        success=_("Đã chuyển trả hồ sơ. Hồ sơ đang ở: {where}."),
    ),
    _action(
        name="supplement", api_name="request-supplement",
        label=_("Yêu cầu bổ sung (Mẫu 02)"), verb="yêu cầu bổ sung", states=ACTIVE,
        rules=("onestop.process_dossier",), actor=OFFICIAL, run=_run_supplement,
        form=SupplementForm, guard=_within_supplement_window,
        button=_("Gửi yêu cầu bổ sung"), style="warning",
        success=_("Đã gửi yêu cầu bổ sung (Mẫu 02) tới công dân."),
    ),
    _action(
        name="financial", api_name="request-obligation",
        label=_("Yêu cầu nghĩa vụ tài chính"), verb="yêu cầu thực hiện nghĩa vụ tài chính",
        states=ACTIVE, rules=("onestop.process_dossier",), actor=OFFICIAL,
        run=_run_obligation, form=ObligationForm, button=_("Thông báo"),
        style="outline-primary", success=_("Đã thông báo nghĩa vụ tài chính."),
    ),
    _action(
        name="pause", api_name="pause", label=_("Tạm dừng"), verb="tạm dừng", states=ACTIVE,
        rules=("onestop.process_dossier",), actor=OFFICIAL, run=_run_pause, form=PauseForm,
        button=_("Tạm dừng"), style="outline-secondary",
        success=_("Đã tạm dừng xử lý hồ sơ."),
    ),
    _action(
        name="resume", api_name="resume", label=_("Tiếp tục xử lý"), verb="tiếp tục xử lý",
        states={S.PAUSED}, rules=("onestop.process_dossier",), actor=OFFICIAL,
        run=_run_resume, button=_("Tiếp tục"), success=_("Đã tiếp tục xử lý hồ sơ."),
    ),
    _action(
        name="extend", api_name="extend", label=_("Gia hạn, thư xin lỗi (Mẫu 04 — một lần)"),
        verb="gia hạn", states={S.ACCEPTED, S.PROCESSING, S.PAUSED},
        rules=("onestop.process_dossier",), actor=OFFICIAL, run=_run_extend, form=ExtendForm,
        guard=_extension_possible, button=_("Gia hạn"), style="outline-warning",
        success=_("Đã gia hạn và gửi thư xin lỗi (Mẫu 04)."),
    ),
    _action(
        name="attach_result", api_name="attach-result", label=_("Đính kèm kết quả (PDF)"),
        verb="đính kèm kết quả", states=ACTIVE,
        rules=("onestop.process_dossier", "onestop.approve_dossier"), actor=OFFICIAL,
        run=_run_attach, form=ResultForm, button=_("Đính kèm"), style="outline-primary",
        success=_("Đã đính kèm kết quả."),
    ),
    _action(
        name="approve", api_name="approve", label=_("Phê duyệt kết quả"), verb="phê duyệt",
        states=ACTIVE, rules=("onestop.approve_dossier",), actor=OFFICIAL, run=_run_approve,
        form=ApproveForm, guard=_all(_at_last_step, _result_signable),
        button=_("Phê duyệt và ký số…"), style="success", hand_over=True, confirm=True,
        help=_("Bạn phê duyệt và ký số dự thảo kết quả; công dân nhận kết quả đã ký khi bộ "
               "phận một cửa trả kết quả."),
        success=_("Đã phê duyệt và ký số kết quả. Hồ sơ đang ở: {where}."),
    ),
    _action(
        name="prepare_signature", api_name="prepare-signature",
        label=_("Chuẩn bị ký bằng USB token"), verb="chuẩn bị ký số", states=ACTIVE,
        rules=("onestop.approve_dossier",), actor=OFFICIAL, run=_run_prepare_signature,
        form=EmptyForm, guard=_all(_at_last_step, _token_signable),
        button=_("Chuẩn bị ký bằng USB token"), card=False,
        success=_("Đã tạo phiên ký: ký phiên này bằng ứng dụng ký số trên máy tính có cắm "
                  "USB token, rồi bấm “Hoàn tất phê duyệt”."),
    ),
    _action(
        name="reject", api_name="reject", label=_("Dừng xử lý, từ chối giải quyết"),
        verb="dừng xử lý",
        states={S.ACCEPTED, S.PROCESSING, S.PAUSED, S.SUPPLEMENT, S.FINANCIAL},
        rules=("onestop.approve_dossier",), actor=OFFICIAL, run=_run_reject, form=ReasonsForm,
        button=_("Dừng xử lý"), style="outline-danger", success=_("Đã dừng xử lý hồ sơ."),
    ),
    # -- return (the one-stop desk of the receiving agency)
    _action(
        name="return_result", api_name="return", label=_("Trả kết quả"), verb="trả kết quả",
        states={S.APPROVED}, rules=("onestop.return_result",), actor=OFFICIAL,
        run=_run_return, form=ReturnForm, button=_("Trả kết quả"), style="success",
        success=_("Đã trả kết quả."),
    ),
    # -- the applicant (or the desk on their behalf)
    _action(
        name="answer_supplement", api_name="answer-supplement",
        label=_("Bổ sung hồ sơ"), verb="bổ sung hồ sơ",
        states={S.RECEPTION_SUPPLEMENT, S.SUPPLEMENT},
        rules=("onestop.act_as_applicant", "onestop.accept_dossier"), actor=APPLICANT,
        run=_run_answer, form=AnswerSupplementForm, guard=_open_supplement,
        button=_("Gửi bổ sung"), success=_("Đã gửi giấy tờ bổ sung."),
    ),
    _action(
        name="withdraw", api_name="withdraw", label=_("Rút hồ sơ"), verb="rút hồ sơ",
        states=WITHDRAWABLE, rules=("onestop.act_as_applicant",), actor=APPLICANT,
        run=_run_withdraw, form=WithdrawForm, button=_("Rút hồ sơ"), style="outline-danger",
        success=_("Đã rút hồ sơ."),
    ),
    _action(
        name="rate", api_name="rate", label=_("Đánh giá mức độ hài lòng"), verb="đánh giá",
        states={S.APPROVED, S.RETURNED, S.STOPPED}, rules=("onestop.act_as_applicant",),
        actor=APPLICANT, run=_run_rate, form=RateForm, guard=_not_rated,
        button=_("Gửi đánh giá"), success=_("Cảm ơn bạn đã đánh giá."),
    ),
)  # fmt: skip

ACTIONS: dict[str, Action] = {a.name: a for a in TABLE}
API_NAMES: tuple[str, ...] = tuple(dict.fromkeys(a.api_name for a in TABLE))

# What the person on the page most likely came to do, in this order.
EXPECTED_ORDER = (
    "accept",
    "answer_supplement",
    "resume",
    "approve",
    "attach_result",
    "forward",
    "start",
    "return_result",
    "rate",
)


def get(name: str) -> Action:
    return ACTIONS[name]


def states(name: str) -> frozenset[str]:
    return ACTIONS[name].states


def check(name: str, user: Any, dossier: Dossier) -> Action:
    """What every service calls first: raises what the page would not have offered."""
    action = ACTIONS[name]
    action.check(user, dossier)
    return action


def for_state(names: Iterable[str], dossier: Dossier) -> Action:
    """The action among `names` that applies in the dossier's state (else the first)."""
    candidates = [ACTIONS[n] for n in names]
    return next((a for a in candidates if dossier.state in a.states), candidates[0])


def for_api(api_name: str, dossier: Dossier) -> Action:
    return for_state([a.name for a in TABLE if a.api_name == api_name], dossier)


def available(user: Any, dossier: Dossier, actor: Actor | None = None) -> list[Action]:
    """The actions `user` may take on `dossier` now (what the page offers)."""
    return [a for a in TABLE if (actor is None or a.actor == actor) and a.allowed(user, dossier)]


def expected(user: Any, dossier: Dossier, offered: list[Action]) -> Action | None:
    """The next expected action among those offered (shown first on the page)."""
    names = {a.name for a in offered}
    if "attach_result" in names and "approve" not in names:
        # at the approval step, or the step before it, without a draft: the result draft
        # comes first (then the hand-over, or the approval)
        from tinhso.onestop.services.results import latest_draft

        if not (_near_approval(dossier) and latest_draft(dossier) is None):
            names.discard("attach_result")
    for name in EXPECTED_ORDER:
        if name in names:
            return ACTIONS[name]
    return None


def _is_end(step: ProcessStep | None) -> bool:
    return step is None or step.kind == ProcessStep.Kind.RETURN


def _near_approval(dossier: Dossier) -> bool:
    """At the last working step of the process, or the one before it."""
    after = next_step(dossier)
    return _is_end(after) or (after is not None and _is_end(next_step_after(dossier, after)))


def next_step_after(dossier: Dossier, step: ProcessStep) -> ProcessStep | None:
    steps = _steps(dossier)
    for index, candidate in enumerate(steps):
        if candidate.pk == step.pk and index + 1 < len(steps):
            return steps[index + 1]
    return None
