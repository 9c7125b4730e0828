"""Login pages (the full flow with TOTP enrolment lands with issue 2's accounts work)."""

from django.contrib.auth import views as auth_views
from django.http import HttpResponse


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"


def otp_verify(request):
    return HttpResponse("OTP", status=501)


def otp_enrol(request):
    return HttpResponse("OTP enrol", status=501)
