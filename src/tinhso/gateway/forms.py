"""HTML forms of the gateway's pages (the services validate again: one rule)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from tinhso.directory.models import Agency


class ProviderForm(forms.Form):
    code = forms.CharField(label=_("Mã hệ thống"), max_length=40, help_text=_("ví dụ: datdai"))
    name = forms.CharField(label=_("Tên hệ thống"), max_length=200)
    agency = forms.ModelChoiceField(label=_("Cơ quan chủ quản"), queryset=Agency.objects.none())
    contact_name = forms.CharField(label=_("Người đầu mối"), max_length=150)
    contact_email = forms.EmailField(label=_("Thư điện tử đầu mối"), required=False)
    contact_phone = forms.CharField(label=_("Điện thoại đầu mối"), max_length=20, required=False)

    def __init__(self, *args, agencies=None, **kwargs):
        super().__init__(*args, **kwargs)
        if agencies is not None:
            self.fields["agency"].queryset = agencies  # type: ignore[attr-defined]


class ConsumerForm(ProviderForm):
    rate_per_minute = forms.IntegerField(
        label=_("Giới hạn yêu cầu mỗi phút"), min_value=1, max_value=1_000_000, initial=600
    )
    quota_per_day = forms.IntegerField(
        label=_("Hạn mức yêu cầu mỗi ngày"), min_value=1, max_value=1_000_000_000, initial=100_000
    )


class PublishForm(forms.Form):
    code = forms.CharField(label=_("Mã dịch vụ"), max_length=40)
    openapi_url = forms.URLField(
        label=_("Địa chỉ mô tả OpenAPI 3"), required=False, assume_scheme="https"
    )
    openapi_text = forms.CharField(
        label=_("hoặc dán mô tả OpenAPI 3 (JSON/YAML)"),
        widget=forms.Textarea(attrs={"rows": 6}),
        required=False,
    )
    base_url = forms.URLField(
        assume_scheme="https",
        label=_("Địa chỉ gốc của dịch vụ"),
        required=False,
        help_text=_("bỏ trống để lấy từ `servers` của mô tả"),
    )
    title = forms.CharField(label=_("Tên dịch vụ"), max_length=200, required=False)
    timeout_ms = forms.IntegerField(
        label=_("Thời gian chờ (ms)"), min_value=100, max_value=300_000, initial=10_000
    )


class ServiceSettingsForm(forms.Form):
    timeout_ms = forms.IntegerField(label=_("Thời gian chờ (ms)"), min_value=100, max_value=300_000)
    log_bodies = forms.BooleanField(
        label=_("Lưu nội dung yêu cầu/trả lời (mã hóa)"), required=False
    )
    upstream_headers = forms.CharField(
        label=_("Thông tin xác thực gửi tới hệ thống cung cấp"),
        widget=forms.Textarea(attrs={"rows": 2, "autocomplete": "off", "spellcheck": "false"}),
        required=False,
        max_length=20_000,
        help_text=_(
            "Mỗi dòng một tiêu đề HTTP “Tên: giá trị” (ví dụ Authorization: Token …), cổng "
            "gửi kèm mọi lượt gọi tới hệ thống cung cấp. Lưu mã hóa, không hiển thị lại; "
            "để trống thì giữ như cũ."
        ),
    )
    clear_upstream_headers = forms.BooleanField(
        label=_("Xóa thông tin xác thực đã lưu"), required=False
    )

    def clean_upstream_headers(self) -> dict[str, str] | None:
        text = self.cleaned_data.get("upstream_headers") or ""
        headers: dict[str, str] = {}
        for line in text.splitlines():
            if not line.strip():
                continue
            name, sep, value = line.partition(":")
            if not sep:
                raise forms.ValidationError(_("Mỗi dòng cần có dạng “Tên: giá trị”."))
            headers[name.strip()] = value.strip()
        return headers or None


class GrantForm(forms.Form):
    consumer = forms.CharField(label=_("Mã hệ thống khai thác"), max_length=40)
    endpoint = forms.TypedChoiceField(
        label=_("Điểm cuối"), required=False, coerce=int, empty_value=None
    )

    def __init__(self, *args, endpoints=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["endpoint"].choices = [("", _("Toàn bộ dịch vụ"))] + [  # type: ignore[attr-defined]
            (e.pk, str(e)) for e in endpoints
        ]


class RequestAccessForm(forms.Form):
    consumer = forms.ChoiceField(label=_("Hệ thống khai thác"))
    reason = forms.CharField(
        label=_("Mục đích sử dụng"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )

    def __init__(self, *args, consumers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["consumer"].choices = [(c.code, str(c)) for c in consumers]  # type: ignore[attr-defined]


class DecideForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", "approve"), ("refuse", "refuse")])
    note = forms.CharField(label=_("Ghi chú"), max_length=500, required=False)


class LimitsForm(forms.Form):
    rate_per_minute = forms.IntegerField(
        label=_("Giới hạn yêu cầu mỗi phút"), min_value=1, max_value=1_000_000
    )
    quota_per_day = forms.IntegerField(
        label=_("Hạn mức yêu cầu mỗi ngày"), min_value=1, max_value=1_000_000_000
    )


class CertificateForm(forms.Form):
    pem = forms.CharField(label=_("Chứng thư (PEM)"), widget=forms.Textarea)


class LogSearchForm(forms.Form):
    consumer = forms.CharField(label=_("Hệ thống khai thác"), max_length=40, required=False)
    service = forms.CharField(label=_("Dịch vụ (hệ thống/dịch vụ)"), max_length=81, required=False)
    result = forms.ChoiceField(
        label=_("Kết quả"),
        required=False,
        choices=[("", _("Tất cả")), ("ok", _("Thành công")), ("failed", _("Lỗi"))],
    )
    request_id = forms.CharField(label=_("Mã yêu cầu"), max_length=64, required=False)
    issue = forms.CharField(label=_("Mã hồ sơ/văn bản"), max_length=100, required=False)
    since = forms.DateField(
        label=_("Từ ngày"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("Đến ngày"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
