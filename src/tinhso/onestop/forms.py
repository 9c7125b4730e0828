"""HTML forms of the one-stop pages (the e-form itself is rendered by onestop.eforms)."""

from __future__ import annotations

from datetime import date

from django import forms
from django.utils.translation import gettext_lazy as _

from tinhso.core.dates import FormDateField
from tinhso.onestop.models import Level, OnlineType, ReturnMethod
from tinhso.web.widgets import Select

LEVEL_CHOICES = [("", _("Tất cả các cấp"))] + [
    (v, label) for v, label in Level.choices if v != Level.CENTRAL
]
ONLINE_CHOICES = [("", _("Tất cả"))] + list(OnlineType.choices)


class CatalogSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Tìm thủ tục"),
        required=False,
        max_length=200,
        help_text=_("Gõ có dấu hoặc không dấu, ví dụ: khai sinh, giay phep xay dung, 1.001193."),
    )
    field = forms.ChoiceField(label=_("Lĩnh vực"), required=False, widget=Select)
    agency = forms.ChoiceField(label=_("Cơ quan thực hiện"), required=False, widget=Select)
    level = forms.ChoiceField(
        label=_("Cấp thực hiện"), required=False, choices=LEVEL_CHOICES, widget=Select
    )
    online_type = forms.ChoiceField(
        label=_("Dịch vụ công trực tuyến"), required=False, choices=ONLINE_CHOICES, widget=Select
    )

    def __init__(self, *args, fields=(), agencies=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["field"].choices = [("", _("Tất cả lĩnh vực"))] + [
            (f.code, f"{f.name} ({f.procedure_count})") for f in fields
        ]
        self.fields["agency"].choices = [("", _("Tất cả cơ quan"))] + [
            (a.code, a.name) for a in agencies
        ]


class LookupForm(forms.Form):
    code = forms.CharField(
        label=_("Mã hồ sơ hoặc mã theo dõi"),
        max_length=40,
        help_text=_(
            "Mã hồ sơ in trên giấy tiếp nhận (ví dụ 000.00.04.H99-250704-0012), hoặc mã theo "
            "dõi nhận được khi nộp (ví dụ TD-250704-K7Q2MX)."
        ),
    )
    secret = forms.CharField(
        label=_("4 số cuối điện thoại hoặc số định danh của người nộp"),
        min_length=4,
        max_length=4,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )

    def clean_secret(self) -> str:
        value = self.cleaned_data["secret"].strip()
        if not value.isdigit():
            raise forms.ValidationError(_("Nhập đúng 4 chữ số."))
        return value


class SubmitMetaForm(forms.Form):
    """What is not in the e-form: the agency (when every commune performs it), delivery."""

    agency = forms.ChoiceField(label=_("Nộp hồ sơ đến"), required=False)
    return_method = forms.ChoiceField(
        label=_("Hình thức nhận kết quả"),
        choices=ReturnMethod.choices,
        initial="online",
        required=False,  # the e-form's delivery block, when it has one, decides
    )
    postal_address = forms.CharField(
        label=_("Địa chỉ nhận kết quả qua bưu chính"), required=False, max_length=500
    )

    def __init__(self, *args, agencies=None, **kwargs):
        super().__init__(*args, **kwargs)
        if agencies is None:
            del self.fields["agency"]
        else:
            self.fields["agency"].required = True
            self.fields["agency"].choices = [("", _("— Chọn UBND xã/phường —"))] + [
                (a.code, a.name) for a in agencies
            ]


class CitizenLookupForm(forms.Form):
    """Counter: find the citizen by their 12-digit personal ID number (CCCD)."""

    cccd = forms.CharField(
        label=_("Số định danh cá nhân (CCCD)"),
        max_length=12,
        help_text=_("12 chữ số in trên thẻ căn cước; tìm tài khoản và hồ sơ trước của công dân."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )

    def clean_cccd(self) -> str:
        value = "".join(self.cleaned_data["cccd"].split())
        if not (len(value) == 12 and value.isdigit()):
            raise forms.ValidationError(_("Số định danh cá nhân phải gồm đúng 12 chữ số."))
        return value


class CounterApplicantForm(forms.Form):
    """What the counter asks about the applicant beyond the e-form: each field appears only
    when the e-form does not ask it already (`asked`: name / id_number / phone / email /
    address), and the delivery choice only when the e-form has no delivery block."""

    applicant_name = forms.CharField(label=_("Họ tên người nộp / tên tổ chức"), max_length=255)
    applicant_id_number = forms.CharField(
        label=_("Số định danh cá nhân / mã số thuế"), max_length=20, required=False
    )
    applicant_phone = forms.CharField(label=_("Số điện thoại"), max_length=20, required=False)
    applicant_email = forms.EmailField(label=_("Thư điện tử"), required=False)
    applicant_address = forms.CharField(label=_("Địa chỉ"), max_length=500, required=False)
    return_method = forms.ChoiceField(
        label=_("Hình thức nhận kết quả"), choices=ReturnMethod.choices, initial="counter"
    )
    postal_address = forms.CharField(
        label=_("Địa chỉ nhận kết quả qua bưu chính"), required=False, max_length=500
    )
    fee_paid_cash = forms.BooleanField(label=_("Đã thu phí, lệ phí bằng tiền mặt"), required=False)

    FROM_EFORM = {
        "name": "applicant_name",
        "id_number": "applicant_id_number",
        "phone": "applicant_phone",
        "email": "applicant_email",
        "address": "applicant_address",
    }

    def __init__(self, *args, asked=(), has_delivery=False, has_fee=True, **kwargs):
        super().__init__(*args, **kwargs)
        for ours in asked:
            self.fields.pop(self.FROM_EFORM[ours], None)
        if has_delivery:
            self.fields.pop("return_method")
            self.fields.pop("postal_address")
        if not has_fee:
            self.fields.pop("fee_paid_cash")

    @property
    def applicant_fields(self) -> list:
        return [self[name] for name in self.FROM_EFORM.values() if name in self.fields]

    @property
    def delivery_fields(self) -> list:
        return [self[name] for name in ("return_method", "postal_address") if name in self.fields]


class SupplementAnswerForm(forms.Form):
    note = forms.CharField(
        label=_("Ghi chú gửi cơ quan"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=_("Lý do rút hồ sơ"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}),
    )


class RateForm(forms.Form):
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
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    comment = forms.CharField(
        label=_("Góp ý"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}),
    )


class WalletUploadForm(forms.Form):
    name = forms.CharField(label=_("Tên giấy tờ"), max_length=500)
    file = forms.FileField(label=_("Tệp (PDF, JPG, PNG; tối đa 10 MB)"))


class PeriodForm(forms.Form):
    start = FormDateField(label=_("Từ ngày"), widget=forms.DateInput(attrs={"type": "date"}))
    end = FormDateField(label=_("Đến ngày"), widget=forms.DateInput(attrs={"type": "date"}))
    group_by = forms.ChoiceField(
        label=_("Thống kê theo"),
        required=False,
        choices=[
            ("agency", _("Cơ quan giải quyết")),
            ("field", _("Lĩnh vực")),
            ("procedure", _("Thủ tục")),
            ("receiving_agency", _("Nơi tiếp nhận")),
        ],
    )
    agency = forms.ChoiceField(label=_("Cơ quan"), required=False)

    def __init__(self, *args, agencies=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agency"].choices = [("", _("Toàn tỉnh (trong phạm vi được xem)"))] + [
            (a.code, a.name) for a in agencies
        ]

    def clean(self):
        from tinhso.core.errors import ValidationFailed
        from tinhso.onestop.statistics import Period

        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end:
            try:
                Period.checked(start, end)  # the same rule as the API's
            except ValidationFailed as exc:
                raise forms.ValidationError(exc.message, code=exc.code) from exc
        return data


def default_period() -> tuple[date, date]:
    today = date.today()
    return date(today.year, 1, 1), today


class CatalogUploadForm(forms.Form):
    file = forms.FileField(label=_("Tệp danh mục (JSON hoặc XLSX)"))


class ProcedureForm(forms.Form):
    name = forms.CharField(label=_("Tên thủ tục"), max_length=500)
    field = forms.ChoiceField(label=_("Lĩnh vực"))
    levels = forms.MultipleChoiceField(
        label=_("Cấp thực hiện"), choices=Level.choices, widget=forms.CheckboxSelectMultiple
    )
    agency = forms.ChoiceField(
        label=_("Cơ quan có thẩm quyền"),
        required=False,
        help_text=_("Để trống nếu mọi UBND cấp xã đều thực hiện."),
    )
    receiving_agency = forms.ChoiceField(label=_("Cơ quan tiếp nhận"), required=False)
    processing_days = forms.DecimalField(
        label=_("Thời hạn giải quyết (ngày làm việc)"),
        min_value=0.5,
        max_digits=6,
        decimal_places=1,
    )
    processing_time_note = forms.CharField(
        label=_("Ghi chú thời hạn"), max_length=255, required=False
    )
    fee_vnd = forms.IntegerField(label=_("Phí, lệ phí (đồng)"), min_value=0)
    fee_note = forms.CharField(
        label=_("Ghi chú phí, lệ phí"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    online_type = forms.ChoiceField(label=_("Dịch vụ công trực tuyến"), choices=OnlineType.choices)
    legal_basis = forms.CharField(
        label=_("Căn cứ pháp lý (mỗi văn bản một dòng)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    result_description = forms.CharField(label=_("Kết quả"), required=False)
    is_active = forms.BooleanField(label=_("Đang áp dụng"), required=False)
    form_schema = forms.CharField(
        label=_("Biểu mẫu điện tử (JSON Schema)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 14, "class": "font-monospace", "spellcheck": "false"}),
    )
    papers = forms.CharField(
        label=_("Thành phần hồ sơ"),
        required=False,
        help_text=_(
            "Mỗi dòng một giấy tờ: tên | số bản chính | số bản sao | bắt buộc (có/không) | mẫu đơn"
        ),
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    steps = forms.CharField(
        label=_("Quy trình nội bộ"),
        help_text=_(
            "Mỗi dòng một bước: tên | vai trò (onestop_officer, specialist, leader) | "
            "số ngày | đơn vị thực hiện. Tổng số ngày phải bằng thời hạn giải quyết."
        ),
        widget=forms.Textarea(attrs={"rows": 5}),
    )

    def __init__(self, *args, fields=(), agencies=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["field"].choices = [(f.code, f.name) for f in fields]
        agency_choices = [("", "—")] + [(a.code, a.name) for a in agencies]
        self.fields["agency"].choices = agency_choices
        self.fields["receiving_agency"].choices = agency_choices
