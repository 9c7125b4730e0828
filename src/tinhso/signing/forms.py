from django import forms
from django.utils.translation import gettext_lazy as _


class VerifyForm(forms.Form):
    file = forms.FileField(
        label=_("Tệp PDF đã ký số"),
        help_text=_("Tệp PDF (ví dụ văn bản, kết quả giải quyết thủ tục hành chính) có chữ ký số."),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,application/pdf"}),
    )


class SignatureImageForm(forms.Form):
    image = forms.FileField(
        label=_("Ảnh chữ ký (PNG nền trong suốt, mực xanh)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".png,image/png"}),
    )


class TokenCertificateForm(forms.Form):
    certificate = forms.CharField(
        label=_("Chứng thư số của USB token (PEM)"),
        help_text=_("Dán nội dung chứng thư, bắt đầu bằng -----BEGIN CERTIFICATE-----."),
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}),
    )
