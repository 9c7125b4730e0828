"""Forms of the login, second-factor and password pages."""

from __future__ import annotations

from django import forms
from django.contrib.auth import forms as auth_forms
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from tinhso.accounts.errors import AccountsErrorCode
from tinhso.accounts.services import throttled_message


class LoginForm(auth_forms.AuthenticationForm):
    error_messages = {
        "invalid_login": _(
            "Tên đăng nhập hoặc mật khẩu không đúng. Lưu ý: nhập sai nhiều lần sẽ phải chờ "
            "lâu hơn mới được thử lại."
        ),
        "inactive": _("Tài khoản này đã bị vô hiệu hóa."),
    }

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.fields["username"].label = _("Tên đăng nhập")
        self.fields["username"].help_text = _(
            "Người dân: số định danh cá nhân; doanh nghiệp: mã số thuế."
        )
        self.fields["password"].label = _("Mật khẩu")

    def clean(self):
        try:
            return super().clean()
        except forms.ValidationError as err:
            until = getattr(self.request, "tinhso_locked_until", None)
            if until is not None:
                raise forms.ValidationError(
                    throttled_message(until), code=AccountsErrorCode.LOGIN_THROTTLED
                ) from err
            raise


class OtpForm(forms.Form):
    code = forms.CharField(
        label=_("Mã xác thực (6 chữ số)"),
        max_length=10,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "pattern": r"[0-9 ]{6,7}",
                "autofocus": True,
            }
        ),
    )


class PasswordResetForm(auth_forms.PasswordResetForm):
    """Sends the reset link through the notification outbox (never blocking the request)."""

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        from tinhso.notify.models import Message
        from tinhso.notify.services import enqueue

        user = context["user"]
        protocol = context["protocol"]
        path = reverse(
            "accounts:password_reset_confirm",
            kwargs={"uidb64": context["uid"], "token": context["token"]},
        )
        link = f"{protocol}://{context['domain']}{path}"
        with transaction.atomic():
            enqueue(
                channel=Message.Channel.EMAIL,
                address=to_email,
                template="accounts_password_reset",
                context={"user": user, "link": link, "site_name": context["site_name"]},
                recipient=user,
                related_object=f"accounts.user:{user.uid}",
            )


class RegistrationForm(forms.Form):
    """Self-registration of a citizen or a business; the ID number is the username."""

    kind = forms.ChoiceField(
        label=_("Đăng ký cho"),
        choices=[("citizen", _("Cá nhân (công dân)")), ("business", _("Doanh nghiệp, tổ chức"))],
        initial="citizen",
    )
    full_name = forms.CharField(label=_("Họ và tên / tên doanh nghiệp"), max_length=150)
    citizen_id = forms.CharField(
        label=_("Số định danh cá nhân (12 chữ số)"),
        max_length=12,
        required=False,
        help_text=_("Bắt buộc với cá nhân; dùng làm tên đăng nhập."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    tax_code = forms.CharField(
        label=_("Mã số thuế"),
        max_length=14,
        required=False,
        help_text=_("Bắt buộc với doanh nghiệp; dùng làm tên đăng nhập."),
    )
    email = forms.EmailField(
        label=_("Thư điện tử"),
        help_text=_("Để nhận thông báo và đặt lại mật khẩu."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    phone = forms.CharField(
        label=_("Số điện thoại"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    password1 = forms.CharField(
        label=_("Mật khẩu"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("Nhập lại mật khẩu"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, **kwargs):
        from django.contrib.auth import password_validation

        super().__init__(*args, **kwargs)
        self.fields[
            "password1"
        ].help_text = password_validation.password_validators_help_text_html()

    def clean_citizen_id(self) -> str:
        return "".join((self.cleaned_data.get("citizen_id") or "").split())

    def clean_tax_code(self) -> str:
        return "".join((self.cleaned_data.get("tax_code") or "").split())

    def clean(self):
        from django.contrib.auth import password_validation

        from tinhso.accounts.models import User, validate_citizen_id, validate_tax_code

        data = super().clean()
        kind = data.get("kind")
        field, validator = (
            ("citizen_id", validate_citizen_id)
            if kind == "citizen"
            else ("tax_code", validate_tax_code)
        )
        value = data.get(field) or ""
        if not value:
            self.add_error(field, _("Vui lòng nhập trường này."))
        else:
            try:
                validator(value)
            except forms.ValidationError as err:
                self.add_error(field, err)
            # Whether the number is already registered is never said here (the owner is
            # told through their own channel instead: services.register_citizen).
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("Hai mật khẩu không khớp."))
        elif p1:
            probe = User(
                username=value, full_name=data.get("full_name", ""), email=data.get("email", "")
            )
            try:
                password_validation.validate_password(p1, probe)
            except forms.ValidationError as err:
                self.add_error("password1", err)
        return data

    @property
    def username(self) -> str:
        kind = self.cleaned_data["kind"]
        return self.cleaned_data["citizen_id" if kind == "citizen" else "tax_code"]


class RoleGrantForm(forms.Form):
    username = forms.CharField(label=_("Tên đăng nhập của cán bộ"), max_length=150)
    role = forms.ChoiceField(label=_("Vai trò"))

    def __init__(self, *args, platform_admin: bool = False, **kwargs):
        from tinhso.accounts.models import Role

        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [  # type: ignore[attr-defined]
            (value, label)
            for value, label in Role.choices
            if platform_admin or value != Role.PLATFORM_ADMIN
        ]

    def clean_username(self):
        from tinhso.accounts.models import User

        username = self.cleaned_data["username"].strip()
        try:
            self.user = User.objects.get(username=username, is_active=True)
        except User.DoesNotExist:
            raise forms.ValidationError(
                _("Không có tài khoản nào với tên đăng nhập này."),
                code=AccountsErrorCode.UNKNOWN_USER,
            ) from None
        return username
