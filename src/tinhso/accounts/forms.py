"""Forms of the login, second-factor and password pages."""

from __future__ import annotations

from django import forms
from django.contrib.auth import forms as auth_forms
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from tinhso.accounts.services import locked_message


class LoginForm(auth_forms.AuthenticationForm):
    error_messages = {
        "invalid_login": _(
            "Tên đăng nhập hoặc mật khẩu không đúng. Lưu ý: nhập sai nhiều lần tài khoản "
            "sẽ bị tạm khóa."
        ),
        "inactive": _("Tài khoản này đã bị vô hiệu hóa."),
    }

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.fields["username"].label = _("Tên đăng nhập")
        self.fields["password"].label = _("Mật khẩu")

    def clean(self):
        try:
            return super().clean()
        except forms.ValidationError as err:
            until = getattr(self.request, "tinhso_locked_until", None)
            if until is not None:
                raise forms.ValidationError(locked_message(until), code="account_locked") from err
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
