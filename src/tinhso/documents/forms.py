"""HTML forms of the document pages."""

from __future__ import annotations

import time

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tinhso.accounts.models import Role, User
from tinhso.core.collation import vi
from tinhso.core.dates import FormDateField
from tinhso.core.stamps import Stamp
from tinhso.documents.models import (
    DOC_TYPE_CHOICES,
    Confidentiality,
    IncomingDocument,
    OutgoingDocument,
    Urgency,
)

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
PDF_INPUT = forms.ClearableFileInput(attrs={"accept": "application/pdf,.pdf"})


class BootstrapMixin:
    def _style(self) -> None:
        for field in self.fields.values():  # type: ignore[attr-defined]
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, forms.Select | forms.SelectMultiple):
                widget.attrs.setdefault("class", "form-select")
            else:
                widget.attrs.setdefault("class", "form-control")


def _posts(agency, user_ids) -> dict[int, str]:
    """'Position, unit' of each official in the agency (their current post there)."""
    from tinhso.directory.models import Membership

    posts: dict[int, str] = {}
    memberships = (
        Membership.objects.filter(agency=agency, user_id__in=user_ids, ended_on__isnull=True)
        .select_related("position", "org_unit")
        .order_by("-is_primary", "id")
    )
    for m in memberships:
        if m.user_id in posts:
            continue
        parts = [p for p in (getattr(m.position, "name", ""), getattr(m.org_unit, "name", "")) if p]
        posts[m.user_id] = ", ".join(parts)
    return posts


def _labelled(agency, users) -> list[tuple[str, str]]:
    users = list(users)
    posts = _posts(agency, [u.pk for u in users])
    out = []
    for u in users:
        name = u.full_name or u.username
        out.append((str(u.uid), f"{name} — {posts[u.pk]}" if posts.get(u.pk) else name))
    return out


def people_of(agency, *, exclude=None) -> list[tuple[str, str]]:
    """(uid, 'name — position, unit') of the officials working in the agency."""
    from django.db.models import Q

    users = (
        User.objects.filter(is_active=True)
        .filter(
            Q(role_grants__agency=agency)
            | Q(memberships__agency=agency, memberships__ended_on__isnull=True)
        )
        .distinct()
        .order_by(vi("full_name"), "username")
    )
    if exclude is not None:
        users = users.exclude(pk=exclude.pk)
    return _labelled(agency, users)


def leaders_of(agency) -> list[tuple[str, str]]:
    users = User.objects.filter(
        is_active=True, role_grants__agency=agency, role_grants__role=Role.LEADER
    ).order_by(vi("full_name"))
    return _labelled(agency, users)


# How many documents of each type an agency set had in the last year orders a select's
# options: a day's documents do not reorder it, so each process keeps it a while rather
# than counting two tables on every registration form and search page (two GROUP BYs:
# an eighth of either page's CPU). Dropped with everything kept (`stamps.forget_all`).
TYPE_USE_SECONDS = 600
_TYPE_USE = Stamp("documents-type-use")
_type_use: dict[tuple[int, ...], tuple[float, dict[str, int]]] = {}
_TYPE_USE.on_change(_type_use.clear)


def _type_use_of(agency_ids: tuple[int, ...]) -> dict[str, int]:
    from datetime import timedelta

    from django.db.models import Count

    kept = _type_use.get(agency_ids)
    if kept is not None and kept[0] > time.monotonic():
        return kept[1]
    uses: dict[str, int] = {}
    since = timezone.now() - timedelta(days=365)
    for model, field in ((IncomingDocument, "arrived_at"), (OutgoingDocument, "created_at")):
        rows = (
            model.objects.filter(agency_id__in=agency_ids, **{f"{field}__gte": since})
            .values("doc_type")
            .annotate(n=Count("id"))
        )
        for row in rows:
            uses[row["doc_type"]] = uses.get(row["doc_type"], 0) + row["n"]
    if len(_type_use) > 1000:
        _type_use.clear()
    _type_use[agency_ids] = (time.monotonic() + TYPE_USE_SECONDS, uses)
    return uses


def doc_types_by_use(agencies=None) -> list[tuple[str, str]]:
    """Document types, the most used first (by the agencies' documents of the last year);
    without history the official letter (công văn), then decisions, reports, plans..."""
    from tinhso.documents.models import DOC_TYPES

    default = ["cv", "qd", "bc", "kh", "tb", "gm", "ttr", "ct", "hd"]
    rank = {key: i for i, key in enumerate(default)}
    uses: dict[str, int] = {}
    if agencies is not None:
        uses = _type_use_of(tuple(sorted(agencies.values_list("pk", flat=True))))
    order = list(DOC_TYPES)
    keys = sorted(order, key=lambda k: (-uses.get(k, 0), rank.get(k, 99), order.index(k)))
    return [(k, DOC_TYPES[k][1]) for k in keys]


def agency_groups(exclude=None) -> list[tuple[str, list[tuple[int, str]]]]:
    """Active agencies grouped by level (kind), for a recipient picker of dozens."""
    from tinhso.core.text import fold
    from tinhso.directory.models import Agency
    from tinhso.directory.selectors import agency_options

    order = [k for k, _label in Agency.Kind.choices]
    labels = dict(Agency.Kind.choices)
    groups: dict[str, list[tuple[int, str]]] = {}
    for a in agency_options():
        if exclude is None or a.pk != exclude.pk:
            groups.setdefault(a.kind, []).append((a.pk, a.name))
    return [
        (str(labels.get(kind, kind)), sorted(groups[kind], key=lambda o: fold(o[1])))
        for kind in sorted(groups, key=lambda k: order.index(k) if k in order else 99)
    ]


class RecipientsField(forms.ModelMultipleChoiceField):
    """Agencies picked in the grouped, searchable picker (documents/_recipients.html)."""

    def __init__(self, *args, exclude=None, **kwargs):
        from tinhso.directory.models import Agency

        kwargs.setdefault("queryset", Agency.objects.active())
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)
        self.exclude = exclude
        self.picker = True
        self.selected: set[str] = set()
        self.saved_groups: list = []

    def groups(self):
        return agency_groups(self.exclude)


def _picker(form, name: str, owners) -> None:
    """What the picker shows as chosen, and the saved groups of the owning agencies."""
    from tinhso.documents.models import RecipientGroup

    field = form.fields[name]
    if form.is_bound:
        raw = form.data.getlist(form.add_prefix(name)) if hasattr(form.data, "getlist") else []
    else:
        raw = [getattr(v, "pk", v) for v in (form.initial.get(name) or [])]
    field.selected = {str(v) for v in raw}
    field.saved_groups = list(
        RecipientGroup.objects.filter(agency__in=owners).prefetch_related("members")
    )


def targets_of(agency) -> list[tuple[str, str]]:
    from tinhso.directory.models import OrgUnit

    units = [
        (f"o:{u.pk}", f"{_('Đơn vị')}: {u.name}")
        for u in OrgUnit.objects.filter(agency=agency, is_active=True).order_by(vi("name"))
    ]
    return [(f"u:{uid}", label) for uid, label in people_of(agency)] + units


def resolve_target(value: str):
    from tinhso.directory.models import OrgUnit

    kind, _sep, ref = value.partition(":")
    if kind == "o":
        return OrgUnit.objects.get(pk=int(ref))
    return User.objects.get(uid=ref)


class IncomingForm(BootstrapMixin, forms.Form):
    agency: forms.ModelChoiceField = forms.ModelChoiceField(
        queryset=None, label=_("Cơ quan nhận (vào sổ của)")
    )
    file = forms.FileField(label=_("Tệp PDF văn bản (bản điện tử hoặc bản quét)"), widget=PDF_INPUT)
    sender_agency: forms.ModelChoiceField = forms.ModelChoiceField(
        queryset=None, required=False, label=_("Cơ quan ban hành (trên nền tảng)")
    )
    sender_name = forms.CharField(
        required=False, max_length=255, label=_("hoặc tên cơ quan ban hành bên ngoài")
    )
    number_notation = forms.CharField(max_length=60, label=_("Số, ký hiệu"))
    issued_on = FormDateField(label=_("Ngày ban hành"), widget=DATE)
    doc_type = forms.ChoiceField(choices=DOC_TYPE_CHOICES, label=_("Loại văn bản"), initial="cv")
    subject = forms.CharField(label=_("Trích yếu"), widget=forms.Textarea(attrs={"rows": 3}))
    urgency = forms.ChoiceField(choices=Urgency.choices, label=_("Độ khẩn"))
    confidentiality = forms.ChoiceField(choices=Confidentiality.choices, label=_("Độ mật"))
    page_count = forms.IntegerField(required=False, min_value=1, label=_("Số trang"))
    deadline = FormDateField(required=False, label=_("Hạn xử lý"), widget=DATE)
    source = forms.ChoiceField(
        choices=[("upload", _("Tệp điện tử")), ("paper", _("Bản giấy (đã quét)"))],
        label=_("Hình thức nhận"),
    )
    allow_duplicate = forms.BooleanField(
        required=False, label=_("Tôi đã kiểm tra: vẫn vào sổ dù có thể trùng")
    )

    def __init__(self, *args, agencies=None, **kwargs):
        from tinhso.directory.models import Agency
        from tinhso.directory.selectors import agency_options

        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = agencies
        # every active agency of the province is an option, from the list each process
        # keeps; a submitted sender is looked up (what registering reads of it: its name)
        sender = self.fields["sender_agency"]
        sender.queryset = Agency.objects.active().only("pk", "name")
        sender.widget.choices = [
            ("", sender.empty_label),
            *((a.pk, a.name) for a in agency_options()),
        ]
        self.fields["doc_type"].choices = doc_types_by_use(agencies)
        self._style()


class AssignForm(BootstrapMixin, forms.Form):
    lead = forms.ChoiceField(label=_("Chủ trì"))
    cooperate = forms.MultipleChoiceField(required=False, label=_("Phối hợp"))
    info = forms.MultipleChoiceField(required=False, label=_("Để biết"))
    deadline = FormDateField(required=False, label=_("Hạn xử lý"), widget=DATE)
    instruction = forms.CharField(
        required=False, label=_("Ý kiến chỉ đạo"), widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, agency=None, **kwargs):
        super().__init__(*args, **kwargs)
        choices = targets_of(agency)
        self.fields["lead"].choices = choices
        self.fields["cooperate"].choices = choices
        self.fields["info"].choices = choices
        self._style()


class NoteForm(BootstrapMixin, forms.Form):
    text = forms.CharField(
        required=False, label=_("Ý kiến xử lý"), widget=forms.Textarea(attrs={"rows": 2})
    )
    file = forms.FileField(required=False, label=_("Tệp PDF kèm theo"), widget=PDF_INPUT)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style()


class ForwardForm(BootstrapMixin, forms.Form):
    to = forms.ChoiceField(label=_("Chuyển tiếp cho"))
    instruction = forms.CharField(required=False, label=_("Ghi chú"))

    def __init__(self, *args, agency=None, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        # No one chosen in advance (the first person listed was the clerk), never oneself.
        choices = [c for c in targets_of(agency) if user is None or c[0] != f"u:{user.uid}"]
        self.fields["to"].choices = [("", _("— chọn người hoặc đơn vị —")), *choices]
        self._style()


class FinishForm(BootstrapMixin, forms.Form):
    result = forms.CharField(
        required=False, label=_("Kết quả xử lý"), widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style()


class DraftForm(BootstrapMixin, forms.Form):
    agency: forms.ModelChoiceField = forms.ModelChoiceField(
        queryset=None, label=_("Cơ quan ban hành")
    )
    doc_type = forms.ChoiceField(choices=DOC_TYPE_CHOICES, label=_("Loại văn bản"), initial="cv")
    subject = forms.CharField(label=_("Trích yếu"), widget=forms.Textarea(attrs={"rows": 3}))
    file = forms.FileField(label=_("Tệp PDF dự thảo"), widget=PDF_INPUT)
    drafting_unit: forms.ModelChoiceField = forms.ModelChoiceField(
        queryset=None, required=False, label=_("Đơn vị soạn thảo")
    )
    urgency = forms.ChoiceField(choices=Urgency.choices, label=_("Độ khẩn"))
    confidentiality = forms.ChoiceField(choices=Confidentiality.choices, label=_("Độ mật"))
    recipients = RecipientsField(label=_("Nơi nhận trên nền tảng"))
    external = forms.CharField(
        required=False,
        label=_("Nơi nhận bên ngoài (mỗi dòng: tên; mã định danh)"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Cần ít nhất một nơi nhận: trên nền tảng hoặc bên ngoài."),
    )
    in_reply_to = forms.ChoiceField(required=False, label=_("Trả lời văn bản đến (nếu có)"))

    def __init__(self, *args, agencies=None, **kwargs):
        from tinhso.directory.models import OrgUnit

        super().__init__(*args, **kwargs)
        self.fields["doc_type"].choices = doc_types_by_use(agencies)
        recent = (
            IncomingDocument.objects.filter(agency__in=agencies)
            .exclude(status=IncomingDocument.Status.PENDING)
            .order_by("-arrived_at")[:200]
        )
        self.fields["in_reply_to"].choices = [("", _("— không —"))] + [
            (str(d.uid), f"{d.number_notation} — {d.sender_name}: {d.subject[:70]}") for d in recent
        ]
        _picker(self, "recipients", agencies)
        self.fields["agency"].queryset = agencies
        self.fields["drafting_unit"].queryset = OrgUnit.objects.filter(
            agency__in=agencies, is_active=True
        ).select_related("agency")
        self.fields["drafting_unit"].label_from_instance = lambda u: f"{u.name} ({u.agency})"
        self._style()

    def external_list(self) -> list[tuple[str, str]]:
        from tinhso.documents.services.outgoing import parse_external

        return parse_external(self.cleaned_data.get("external") or "")


class VersionForm(BootstrapMixin, forms.Form):
    file = forms.FileField(label=_("Phiên bản mới (PDF)"), widget=PDF_INPUT)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style()


class SubmitForm(BootstrapMixin, forms.Form):
    reviewers = forms.MultipleChoiceField(
        required=False,
        label=_("Người xem xét (theo thứ tự chọn)"),
        help_text=_("Bỏ trống để trình thẳng lãnh đạo ký."),
    )
    signer = forms.ChoiceField(label=_("Lãnh đạo ký"))

    def __init__(self, *args, agency=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reviewers"].choices = people_of(agency)
        self.fields["signer"].choices = leaders_of(agency)
        self._style()


class CommentForm(BootstrapMixin, forms.Form):
    comment = forms.CharField(
        required=False, label=_("Ý kiến"), widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style()


class DispatchForm(BootstrapMixin, forms.Form):
    agencies = RecipientsField(label=_("Nơi nhận trên nền tảng"))
    external = forms.CharField(
        required=False,
        label=_("Nơi nhận bên ngoài (mỗi dòng: tên; mã định danh)"),
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, exclude=None, **kwargs):
        from tinhso.directory.models import Agency

        super().__init__(*args, **kwargs)
        qs = Agency.objects.active().order_by(vi("name"))
        if exclude is not None:
            qs = qs.exclude(pk=exclude.pk)
        self.fields["agencies"].queryset = qs
        self.fields["agencies"].exclude = exclude
        _picker(self, "agencies", [exclude] if exclude is not None else [])
        self._style()

    def external_list(self) -> list[tuple[str, str]]:
        from tinhso.documents.services.outgoing import parse_external

        return parse_external(self.cleaned_data.get("external") or "")


class RecipientGroupForm(BootstrapMixin, forms.Form):
    # Not required in the page: it sits in the dispatch form (the service requires a name).
    name = forms.CharField(
        max_length=120, required=False, label=_("Lưu các nơi nhận đã chọn thành nhóm")
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style()


class SearchForm(BootstrapMixin, forms.Form):
    q = forms.CharField(
        required=False,
        max_length=200,
        label=_("Từ khóa, số ký hiệu hoặc cơ quan gửi"),
    )
    kind = forms.ChoiceField(
        choices=[
            ("all", _("Tất cả văn bản")),
            ("incoming", _("Văn bản đến")),
            ("outgoing", _("Văn bản đi")),
        ],
        required=False,
        initial="all",
        label=_("Văn bản đến/đi"),
    )
    doc_type = forms.ChoiceField(
        choices=[("", _("Tất cả")), *DOC_TYPE_CHOICES], required=False, label=_("Loại văn bản")
    )
    status = forms.ChoiceField(
        required=False,
        label=_("Trạng thái"),
        choices=[
            ("", _("Tất cả")),
            *[(k, v) for k, v in IncomingDocument.Status.choices if k != "pending"],
            *[(k, f"{v} ({_('đi')})") for k, v in OutgoingDocument.Status.choices],
        ],
    )
    agency: forms.ModelChoiceField = forms.ModelChoiceField(
        queryset=None, required=False, label=_("Cơ quan")
    )
    date_from = FormDateField(required=False, label=_("Từ ngày"), widget=DATE)
    date_to = FormDateField(required=False, label=_("Đến ngày"), widget=DATE)

    def __init__(self, *args, agencies=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = agencies
        self.fields["doc_type"].choices = [("", _("Tất cả")), *doc_types_by_use(agencies)]
        self._style()


class WorkRecordForm(BootstrapMixin, forms.Form):
    agency: forms.ModelChoiceField = forms.ModelChoiceField(queryset=None, label=_("Cơ quan"))
    title = forms.CharField(max_length=500, label=_("Tiêu đề hồ sơ"))

    def __init__(self, *args, agencies=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = agencies
        self._style()


class FileToRecordForm(BootstrapMixin, forms.Form):
    record: forms.ModelChoiceField = forms.ModelChoiceField(
        queryset=None, label=_("Hồ sơ công việc")
    )

    def __init__(self, *args, agency=None, **kwargs):
        from tinhso.documents.models import WorkRecord

        super().__init__(*args, **kwargs)
        self.fields["record"].queryset = WorkRecord.objects.filter(agency=agency, status="open")
        self._style()


class PeriodForm(BootstrapMixin, forms.Form):
    date_from = FormDateField(required=False, label=_("Từ ngày"), widget=DATE)
    date_to = FormDateField(required=False, label=_("Đến ngày"), widget=DATE)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style()

    def period(self):
        today = timezone.localdate()
        data = self.cleaned_data if self.is_valid() else {}
        return (
            data.get("date_from") or today.replace(month=1, day=1),
            data.get("date_to") or today,
        )
