"""Login with lockout, the second factor (TOTP enrolment and verification), passwords."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from tinhso.accounts import crypto, otp, services
from tinhso.accounts.forms import (
    LoginForm,
    OtpForm,
    PasswordResetForm,
    RegistrationForm,
    RoleGrantForm,
)
from tinhso.accounts.middleware import SESSION_KEY
from tinhso.core.errors import DomainError
from tinhso.core.pagination import paginate

PENDING_SECRET_KEY = "tinhso_totp_pending"


def _safe_next(request: HttpRequest) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def _with_next(url: str, next_url: str) -> str:
    from urllib.parse import urlencode

    return f"{url}?{urlencode({'next': next_url})}"


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    form_class = LoginForm
    redirect_authenticated_user = False

    def form_valid(self, form):
        from tinhso.accounts import throttle

        response = super().form_valid(form)
        user = form.get_user()
        self.request.session.pop(SESSION_KEY, None)
        if user.needs_second_factor:
            target = "accounts:otp_verify" if user.totp_confirmed_at else "accounts:otp_enrol"
            response = redirect(_with_next(reverse(target), self.get_success_url()))
        else:
            services.record_login(user=user)
        # This browser is the owner's: others' wrong passwords will not delay it.
        throttle.trust_device(self.request, response, user.username)
        return response


@never_cache
def unlock(request: HttpRequest, token: str) -> HttpResponse:
    """The link e-mailed to the owner when their account name is being guessed."""
    from tinhso.accounts import throttle

    try:
        user = services.read_unlock_link(token)
    except DomainError as err:
        messages.error(request, err.message)
        return render(request, "accounts/login.html", {"form": LoginForm(request)}, status=400)
    messages.success(
        request, _("Trình duyệt này đã được mở khóa cho tài khoản của bạn. Mời đăng nhập.")
    )
    response = redirect(reverse("accounts:login"))
    throttle.trust_device(request, response, user.username)
    return response


class LogoutView(auth_views.LogoutView):
    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        messages.info(request, _("Bạn đã đăng xuất."))
        return response


def _finish_second_factor(request: HttpRequest) -> HttpResponse:
    request.session.cycle_key()
    request.session[SESSION_KEY] = True
    request.session.pop(PENDING_SECRET_KEY, None)
    services.record_login(user=request.user, second_factor=True)  # type: ignore[arg-type]
    return redirect(_safe_next(request))


@never_cache
@sensitive_post_parameters("code")
@login_required
def otp_verify(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    if not user.needs_second_factor or request.session.get(SESSION_KEY):
        return redirect(_safe_next(request))
    if not user.totp_confirmed_at:
        return redirect(_with_next(reverse("accounts:otp_enrol"), _safe_next(request)))
    form = OtpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.verify_totp(user=user, code=form.cleaned_data["code"])
        except DomainError as err:
            form.add_error("code", err.message)
        else:
            return _finish_second_factor(request)
    return render(
        request,
        "accounts/otp_verify.html",
        {"form": form, "next": _safe_next(request)},
        status=400 if form.errors else 200,
    )


@never_cache
@sensitive_post_parameters("code")
@login_required
def otp_enrol(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    if user.totp_confirmed_at:
        return redirect(_with_next(reverse("accounts:otp_verify"), _safe_next(request)))
    pending = request.session.get(PENDING_SECRET_KEY)
    try:
        secret = crypto.decrypt(pending) if pending else None
    except ValueError:
        secret = None
    if secret is None:
        secret = otp.new_secret()
        request.session[PENDING_SECRET_KEY] = crypto.encrypt(secret)
    form = OtpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.confirm_totp_enrolment(
                user=user, secret=secret, code=form.cleaned_data["code"]
            )
        except DomainError as err:
            form.add_error("code", err.message)
        else:
            messages.success(request, _("Đã bật xác thực hai lớp cho tài khoản của bạn."))
            return _finish_second_factor(request)
    uri = otp.provisioning_uri(user.username, secret)
    return render(
        request,
        "accounts/otp_enrol.html",
        {
            "form": form,
            "next": _safe_next(request),
            "qr_data_uri": otp.qr_data_uri(uri),
            "secret_grouped": otp.grouped(secret),
            "issuer": otp.issuer(),
        },
        status=400 if form.errors else 200,
    )


class PasswordResetView(auth_views.PasswordResetView):
    """The same answer for every address; a flood from one IP or to one address is
    answered the same way but sends nothing more."""

    template_name = "accounts/password_reset_form.html"
    form_class = PasswordResetForm
    success_url = reverse_lazy("accounts:password_reset_done")

    def form_valid(self, form):
        from django.http import HttpResponseRedirect

        from tinhso.core import ratelimit
        from tinhso.core.middleware import client_ip

        rate = settings.ACCOUNTS_PASSWORD_RESET_RATE
        ip_ok = ratelimit.hit("accounts_reset_ip", client_ip(self.request) or "?", rate).allowed
        address = form.cleaned_data["email"].strip().casefold()
        address_ok = ratelimit.hit("accounts_reset_address", address, "3/h").allowed
        if ip_ok and address_ok:
            return super().form_valid(form)
        return HttpResponseRedirect(self.get_success_url())


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change_form.html"
    success_url = reverse_lazy("accounts:password_change_done")


class PasswordChangeDoneView(auth_views.PasswordChangeDoneView):
    template_name = "accounts/password_change_done.html"


@never_cache
@sensitive_post_parameters("password1", "password2")
def register(request: HttpRequest) -> HttpResponse:
    """Citizens and businesses ask for an account themselves (officials are created by
    admins). The answer is the same whether or not the number is already registered."""
    from tinhso.core import ratelimit
    from tinhso.core.middleware import client_ip

    if request.user.is_authenticated:
        return redirect(settings.LOGIN_REDIRECT_URL)
    form = RegistrationForm(request.POST or None)
    status = 200
    if request.method == "POST":
        allowed = ratelimit.hit(
            "accounts_register", client_ip(request) or "unknown", settings.ACCOUNTS_REGISTER_RATE
        ).allowed
        if not allowed:
            form.is_valid()
            form.add_error(
                None, _("Bạn đã gửi quá nhiều yêu cầu đăng ký. Vui lòng thử lại sau ít phút.")
            )
            status = 429
        elif form.is_valid():
            data = form.cleaned_data
            business = data["kind"] == "business"
            services.register_citizen(
                full_name=data["full_name"],
                citizen_id=None if business else data["citizen_id"],
                tax_code=data["tax_code"] if business else None,
                email=data["email"],
                phone=data["phone"],
                password=data["password1"],
            )
            return render(request, "accounts/register_sent.html", {"email": data["email"]})
        else:
            status = 400
    return render(
        request,
        "accounts/register.html",
        {"form": form, "next": _safe_next(request)},
        status=status,
    )


@never_cache
def activate(request: HttpRequest, token: str) -> HttpResponse:
    """The link sent to a new account's e-mail address: open the account and sign in."""
    from django.contrib.auth import login

    try:
        user = services.activate_registration(token=token)
    except DomainError as err:
        messages.error(request, err.message)
        return render(request, "accounts/login.html", {"form": LoginForm(request)}, status=400)
    login(request, user, backend="tinhso.accounts.backends.LockoutModelBackend")
    messages.success(request, _("Đã kích hoạt tài khoản. Chào mừng bạn!"))
    return redirect(settings.LOGIN_REDIRECT_URL)


@login_required
def roles(request: HttpRequest) -> HttpResponse:
    """Agency administrators grant and withdraw roles in the agencies they administer."""
    from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
    from django.core.exceptions import ValidationError

    from tinhso.accounts import selectors
    from tinhso.accounts.models import User
    from tinhso.accounts.rules import can, is_platform_admin

    actor: Any = request.user
    if not can(actor, "accounts.manage_roles"):
        raise DjangoPermissionDenied
    agencies = selectors.manageable_agencies(actor)
    code = request.POST.get("agency") or request.GET.get("agency")
    named = agencies.filter(code=code).first() if code else None
    agency = named or agencies.first()
    if agency is None:
        raise DjangoPermissionDenied
    platform_admin = is_platform_admin(actor)
    form = RoleGrantForm(platform_admin=platform_admin)
    status = 200
    if request.method == "POST" and named is None:
        # Never apply a change to another agency than the one the administrator named.
        messages.error(request, _("Bạn chỉ quản lý được vai trò trong cơ quan mình quản trị."))
        status = 403
    elif request.method == "POST":
        here = f"{reverse('accounts:roles')}?{urlencode({'agency': agency.code})}"
        if request.POST.get("action") == "revoke":
            try:
                target = User.objects.get(uid=request.POST.get("user", ""))
                services.withdraw_role(
                    actor=actor, user=target, agency=agency, role=request.POST.get("role", "")
                )
            except DomainError as err:
                messages.error(request, err.message)
            except (User.DoesNotExist, ValidationError):
                messages.error(request, _("Không tìm thấy tài khoản."))
            else:
                messages.success(request, _("Đã thu hồi vai trò."))
            return redirect(here)
        form = RoleGrantForm(request.POST, platform_admin=platform_admin)
        if form.is_valid():
            try:
                services.assign_role(
                    actor=actor, user=form.user, agency=agency, role=form.cleaned_data["role"]
                )
            except DomainError as err:
                form.add_error(None, err.message)
                status = err.status
            else:
                messages.success(request, _("Đã cấp vai trò."))
                return redirect(here)
        else:
            status = 400
    return render(
        request,
        "accounts/roles.html",
        {
            "agencies": agencies,
            "agency": agency,
            "grants": paginate(request, selectors.grants_in(agency), 50),
            "form": form,
        },
        status=status,
    )


@login_required
@never_cache
def tokens(request: HttpRequest) -> HttpResponse:
    """The user's API tokens: when each expires, when it was last used; revoke any."""
    from tinhso.accounts.models import ApiToken

    user: Any = request.user
    rows = ApiToken.objects.filter(user=user).order_by("-created_at")[:100]
    return render(request, "accounts/tokens.html", {"tokens": rows})


@login_required
@require_POST
def revoke_token(request: HttpRequest, uid: str) -> HttpResponse:
    try:
        services.revoke_token(actor=request.user, token_uid=uid)
    except DomainError as err:
        messages.error(request, err.message)
    else:
        messages.success(request, _("Đã thu hồi mã truy cập."))
    return redirect(reverse("accounts:tokens"))
