"""Write use-cases for accounts: creating people and granting roles."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from tinhso.accounts.errors import AccountsErrorCode
from tinhso.accounts.models import Role, RoleGrant, User
from tinhso.accounts.rules import forget_grants
from tinhso.audit.services import record


@transaction.atomic
def create_official(
    *,
    username: str,
    full_name: str,
    email: str = "",
    phone: str = "",
    password: str | None = None,
    actor: Any = None,
) -> User:
    user = User(
        username=username, full_name=full_name, email=email, phone=phone, kind=User.Kind.OFFICIAL
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    record(actor=actor, action="accounts.create_official", obj=user, summary={"username": username})
    return user


@transaction.atomic
def create_citizen(
    *,
    username: str,
    full_name: str,
    citizen_id: str | None = None,
    tax_code: str | None = None,
    email: str = "",
    phone: str = "",
    password: str | None = None,
    actor: Any = None,
    pending_activation: bool = False,
) -> User:
    kind = User.Kind.BUSINESS if tax_code and not citizen_id else User.Kind.CITIZEN
    user = User(
        username=username,
        full_name=full_name,
        email=email,
        phone=phone,
        kind=kind,
        citizen_id=citizen_id or None,
        tax_code=tax_code or None,
        is_active=not pending_activation,
        pending_activation=pending_activation,
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    record(actor=actor, action="accounts.create_citizen", obj=user, summary={"username": username})
    return user


@transaction.atomic
def grant_role(
    *, user: User, agency: Any, role: str, org_unit: Any = None, actor: Any = None
) -> RoleGrant:
    """Grant `role` in `agency` (idempotent: granting twice keeps one grant)."""
    if role not in Role.values:
        from tinhso.core.errors import ValidationFailed

        raise ValidationFailed(_("Vai trò không tồn tại."), code=AccountsErrorCode.UNKNOWN_ROLE)
    grant, created = RoleGrant.objects.get_or_create(
        user=user, agency=agency, role=role, defaults={"org_unit": org_unit}
    )
    if created:
        record(
            actor=actor,
            action="accounts.grant_role",
            obj=user,
            agency=agency,
            summary={"role": role, "agency": agency.code},
        )
    forget_grants(user)
    return grant


@transaction.atomic
def revoke_role(*, user: User, agency: Any, role: str, actor: Any = None) -> None:
    deleted, _count = RoleGrant.objects.filter(user=user, agency=agency, role=role).delete()
    if deleted:
        record(
            actor=actor,
            action="accounts.revoke_role",
            obj=user,
            agency=agency,
            summary={"role": role, "agency": agency.code},
        )
    forget_grants(user)


# ---------------------------------------------------------------------------------------
# Second factor (TOTP)


def _otp_failure(user: User) -> None:
    """Count a wrong one-time code. Only a right code resets the count (not the password),
    and past the free attempts each failure makes the next attempt wait longer."""
    from django.db.models import F
    from django.utils import timezone

    from tinhso.accounts import throttle

    User.objects.filter(pk=user.pk).update(otp_failure_count=F("otp_failure_count") + 1)
    user.refresh_from_db(fields=["otp_failure_count"])
    from tinhso.core.signals import security_event

    security_event.send(sender=__name__, kind="otp_failed", user_name=user.username)
    wait = throttle.delay_after(user.otp_failure_count)
    if wait:
        user.otp_blocked_until = timezone.now() + wait
        User.objects.filter(pk=user.pk).update(otp_blocked_until=user.otp_blocked_until)
    if user.otp_failure_count == throttle.max_failures():
        # Someone who knows the password is guessing codes: tell the owner.
        from tinhso.notify.services import notify_user

        notify_user(
            user=user,
            template="accounts_otp_failures",
            context={"user": user, "count": user.otp_failure_count},
            related_object=f"accounts.user:{user.uid}",
        )


def _accept_step(user: User, step: int) -> bool:
    """Record `step` as used; False when it (or a later one) was already used (replay)."""
    updated = User.objects.filter(pk=user.pk, totp_last_step__lt=step).update(
        totp_last_step=step, otp_failure_count=0, otp_blocked_until=None
    )
    if updated:
        user.totp_last_step = step
        user.otp_failure_count = 0
        user.otp_blocked_until = None
    return bool(updated)


def _wrong_code() -> Exception:
    from tinhso.core.errors import ValidationFailed

    return ValidationFailed(
        _("Mã xác thực không đúng hoặc đã được dùng. Vui lòng nhập mã mới trên ứng dụng."),
        code=AccountsErrorCode.OTP_INVALID,
    )


def _check_not_locked(user: User) -> None:
    from django.utils import timezone

    if user.otp_blocked_until and user.otp_blocked_until > timezone.now():
        from tinhso.core.errors import PermissionDenied

        raise PermissionDenied(
            locked_message(user.otp_blocked_until), code=AccountsErrorCode.ACCOUNT_LOCKED
        )


def locked_message(until) -> str:
    from django.utils import timezone

    local = timezone.localtime(until)
    return _(
        "Tài khoản tạm khóa do nhập sai nhiều lần. Vui lòng thử lại sau %(time)s ngày %(date)s."
    ) % {"time": f"{local:%H:%M}", "date": f"{local:%d/%m/%Y}"}


def confirm_totp_enrolment(*, user: User, secret: str, code: str) -> User:
    """Store `secret` (encrypted) once the user proves they hold it with a valid code."""
    from django.utils import timezone

    from tinhso.accounts import crypto, otp

    secret = otp.normalise_secret(secret)
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        _check_not_locked(locked)
        step = otp.matching_step(secret, code)
        if step is not None:
            User.objects.filter(pk=user.pk).update(
                totp_secret_encrypted=crypto.encrypt(secret),
                totp_confirmed_at=timezone.now(),
                totp_last_step=step,
                otp_failure_count=0,
                otp_blocked_until=None,
            )
            user.refresh_from_db()
            record(actor=user, action="accounts.enrol_totp", obj=user, summary={})
            return user
    with transaction.atomic():
        _otp_failure(locked)
    raise _wrong_code()


def verify_totp(*, user: User, code: str) -> User:
    """Check the second factor; raises ValidationFailed for a wrong or replayed code."""
    from tinhso.accounts import otp

    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        _check_not_locked(locked)
        secret = otp.user_secret(locked)
        if secret is None or locked.totp_confirmed_at is None:
            from tinhso.core.errors import InvalidTransition

            raise InvalidTransition(
                _("Tài khoản chưa đăng ký xác thực hai lớp."),
                code=AccountsErrorCode.OTP_NOT_ENROLLED,
            )
        step = otp.matching_step(secret, code)
        ok = step is not None and _accept_step(locked, step)
        if ok:
            user.totp_last_step = locked.totp_last_step
            user.otp_failure_count = 0
            user.otp_blocked_until = None
            return user
    # Outside the rolled-back block: the failure must be counted even though we raise.
    with transaction.atomic():
        _otp_failure(locked)
    raise _wrong_code()


@transaction.atomic
def set_totp_secret(*, user: User, secret: str, actor: Any = None) -> User:
    """Give `user` a confirmed TOTP secret (demo data, or an administrator's reset flow)."""
    from django.utils import timezone

    from tinhso.accounts import crypto, otp

    secret = otp.normalise_secret(secret)
    User.objects.filter(pk=user.pk).update(
        totp_secret_encrypted=crypto.encrypt(secret),
        totp_confirmed_at=timezone.now(),
        totp_last_step=0,
    )
    user.refresh_from_db(fields=["totp_secret_encrypted", "totp_confirmed_at", "totp_last_step"])
    record(actor=actor, action="accounts.set_totp", obj=user, summary={})
    return user


@transaction.atomic
def reset_totp(*, user: User, actor: Any) -> User:
    """Remove the second factor so the user enrols again (platform administrators)."""
    from tinhso.accounts.rules import require

    require(actor, "accounts.reset_second_factor", user)
    User.objects.filter(pk=user.pk).update(
        totp_secret_encrypted="", totp_confirmed_at=None, totp_last_step=0
    )
    user.refresh_from_db(fields=["totp_secret_encrypted", "totp_confirmed_at", "totp_last_step"])
    record(actor=actor, action="accounts.reset_totp", obj=user, summary={})
    return user


# ---------------------------------------------------------------------------------------
# API tokens for other systems


MAX_TOKEN_DAYS = 3650


@transaction.atomic
def issue_token(*, user: User, actor: Any = None, days: int | None = None, name: str = "") -> str:
    """A new API token for `user`, valid `days` (settings.API_TOKEN_DAYS by default);
    the user's other tokens are revoked. Returns the key (shown once, stored hashed)."""
    import secrets
    from datetime import timedelta

    from django.conf import settings
    from django.utils import timezone

    from tinhso.accounts.models import ApiToken
    from tinhso.core.errors import ValidationFailed

    days = settings.API_TOKEN_DAYS if days is None else days
    if not isinstance(days, int) or not 1 <= days <= MAX_TOKEN_DAYS:
        raise ValidationFailed(
            _("Thời hạn của mã truy cập phải từ 1 đến %(max)d ngày.") % {"max": MAX_TOKEN_DAYS},
            code=AccountsErrorCode.INVALID_TOKEN_DAYS,
        )
    now = timezone.now()
    ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=now)
    key = secrets.token_hex(20)
    token = ApiToken.objects.create(
        user=user,
        name=name[:100],
        key_prefix=key[:8],
        key_hash=ApiToken.hash_key(key),
        expires_at=now + timedelta(days=days),
    )
    record(
        actor=actor,
        action="accounts.issue_token",
        obj=user,
        summary={"token": str(token.uid), "expires_at": token.expires_at.isoformat()},
    )
    return key


@transaction.atomic
def revoke_token(*, actor: Any, token_uid: Any) -> None:
    """The owner (or a platform administrator) revokes one of the owner's tokens."""
    from django.core.exceptions import ValidationError
    from django.utils import timezone

    from tinhso.accounts.models import ApiToken
    from tinhso.accounts.rules import is_platform_admin
    from tinhso.core.errors import NotFound

    try:
        token = ApiToken.objects.select_for_update().filter(uid=token_uid).first()
    except (ValidationError, ValueError):
        token = None
    if token is None or not (token.user_id == actor.pk or is_platform_admin(actor)):
        raise NotFound(_("Không tìm thấy mã truy cập."), code=AccountsErrorCode.TOKEN_NOT_FOUND)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        record(
            actor=actor,
            action="accounts.revoke_token",
            obj=token.user,
            summary={"token": str(token.uid)},
        )


@transaction.atomic
def revoke_all_tokens(*, user: User, reason: str) -> int:
    """Revoke every active token of `user` (their password changed or was reset)."""
    from django.utils import timezone

    from tinhso.accounts.models import ApiToken

    count = ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    if count:
        record(
            actor=None,
            action="accounts.revoke_tokens",
            obj=user,
            summary={"count": count, "reason": reason},
        )
    return count


@transaction.atomic
def record_login(*, user: User, second_factor: bool = False) -> None:
    record(
        actor=user,
        action="accounts.login_2fa" if second_factor else "accounts.login",
        obj=user,
        summary={},
    )


@transaction.atomic
def set_totp_secrets(*, secrets: dict[User, str], actor: Any = None, reason: str = "") -> int:
    """Bulk `set_totp_secret` (demo data): one audit entry for the whole batch."""
    from django.utils import timezone

    from tinhso.accounts import crypto, otp

    now = timezone.now()
    users = []
    for user, secret in secrets.items():
        user.totp_secret_encrypted = crypto.encrypt(otp.normalise_secret(secret))
        user.totp_confirmed_at = now
        user.totp_last_step = 0
        users.append(user)
    User.objects.bulk_update(
        users, ["totp_secret_encrypted", "totp_confirmed_at", "totp_last_step"], batch_size=500
    )
    if users:
        record(
            actor=actor,
            action="accounts.set_totp_bulk",
            object_type="accounts.user",
            object_id="*",
            summary={"count": len(users), "reason": reason},
        )
    return len(users)


# ---------------------------------------------------------------------------------------
# Roles granted by an administrator (permission-checked wrappers of grant/revoke)


def _check_role_change(*, actor: Any, user: User, agency: Any, role: str) -> None:
    from tinhso.accounts.rules import can, is_platform_admin
    from tinhso.core.errors import PermissionDenied, ValidationFailed

    if agency is None or not can(actor, "accounts.manage_roles", agency):
        raise PermissionDenied(
            _("Bạn chỉ quản lý được vai trò trong cơ quan mình quản trị."),
            code=AccountsErrorCode.AGENCY_NOT_MANAGED,
        )
    if role == Role.PLATFORM_ADMIN and not is_platform_admin(actor):
        raise PermissionDenied(
            _("Chỉ quản trị nền tảng mới cấp được vai trò quản trị nền tảng."),
            code=AccountsErrorCode.PLATFORM_ADMIN_ONLY,
        )
    if role not in Role.values:
        raise ValidationFailed(_("Vai trò không tồn tại."), code=AccountsErrorCode.UNKNOWN_ROLE)
    if not user.is_official:
        raise ValidationFailed(
            _("Chỉ cấp vai trò cho tài khoản cán bộ, công chức."),
            code=AccountsErrorCode.NOT_AN_OFFICIAL,
        )


def refuse_self_grant(*, actor: Any, user: Any) -> None:
    """Nobody grants roles to themselves (also used by directory's appointments)."""
    from tinhso.core.errors import PermissionDenied

    if user is not None and actor is not None and user.pk == getattr(actor, "pk", None):
        raise PermissionDenied(
            _("Bạn không thể tự cấp vai trò cho chính mình; hãy nhờ một quản trị viên khác."),
            code=AccountsErrorCode.SELF_GRANT,
        )


@transaction.atomic
def assign_role(*, actor: Any, user: User, agency: Any, role: str) -> RoleGrant:
    """An administrator grants `role` in `agency` to an official (never to themselves:
    a role one holds must come from another administrator)."""
    _check_role_change(actor=actor, user=user, agency=agency, role=role)
    refuse_self_grant(actor=actor, user=user)
    return grant_role(user=user, agency=agency, role=role, actor=actor)


@transaction.atomic
def withdraw_role(*, actor: Any, user: User, agency: Any, role: str) -> None:
    """An administrator withdraws `role` in `agency` from an official."""
    from tinhso.core.errors import Conflict

    _check_role_change(actor=actor, user=user, agency=agency, role=role)
    if role == Role.AGENCY_ADMIN and user.pk == getattr(actor, "pk", None):
        others = (
            RoleGrant.objects.filter(agency=agency, role=Role.AGENCY_ADMIN)
            .exclude(user=user)
            .exists()
        )
        if not others:
            raise Conflict(
                _("Không thể tự thu hồi: cơ quan sẽ không còn ai quản trị."),
                code=AccountsErrorCode.LAST_AGENCY_ADMIN,
            )
    revoke_role(user=user, agency=agency, role=role, actor=actor)


# ---------------------------------------------------------------------------------------
# Unlock links (the owner's way past the delay that someone else's guesses caused)

UNLOCK_SALT = "tinhso.accounts.unlock"
UNLOCK_MAX_AGE = 24 * 3600


def send_unlock_link(*, user: User) -> None:
    """E-mail (and SMS) the owner a link that lets their browser past the login delay.
    At most 3 a day per account, so the outbox cannot be flooded through it."""
    from django.conf import settings
    from django.core import signing
    from django.urls import reverse

    from tinhso.core import ratelimit
    from tinhso.notify.services import notify_user

    if not (user.email or user.phone) or not user.is_active:
        return
    if not ratelimit.hit("accounts_unlock_mail", str(user.pk), "3/day").allowed:
        return
    token = signing.dumps({"u": str(user.uid)}, salt=UNLOCK_SALT)
    link = settings.TINHSO_SITE_URL.rstrip("/") + reverse("accounts:unlock", args=[token])
    with transaction.atomic():
        notify_user(
            user=user,
            template="accounts_unlock",
            context={"user": user, "link": link},
            related_object=f"accounts.user:{user.uid}",
        )


def read_unlock_link(token: str) -> User:
    """The account an unlock link was sent for; ValidationFailed when it is not valid."""
    from django.core import signing

    from tinhso.core.errors import ValidationFailed

    invalid = ValidationFailed(
        _("Đường dẫn mở khóa không hợp lệ hoặc đã hết hạn (hiệu lực 24 giờ)."),
        code=AccountsErrorCode.UNLOCK_LINK_INVALID,
    )
    try:
        data = signing.loads(token, salt=UNLOCK_SALT, max_age=UNLOCK_MAX_AGE)
        user = User.objects.get(uid=data["u"], is_active=True)
    except (signing.BadSignature, KeyError, TypeError, ValueError, User.DoesNotExist):
        raise invalid from None
    return user


def throttled_message(until) -> str:
    """The same words for every account name, existing or not."""
    from django.utils import timezone

    local = timezone.localtime(until)
    return _(
        "Đăng nhập sai nhiều lần. Vui lòng thử lại sau %(time)s ngày %(date)s. Nếu đây là "
        "tài khoản của bạn, đường dẫn mở khóa đã được gửi tới thư điện tử đã đăng ký."
    ) % {"time": f"{local:%H:%M:%S}", "date": f"{local:%d/%m/%Y}"}


# ---------------------------------------------------------------------------------------
# Self-registration: the same answer whether or not the number is already registered

ACTIVATION_SALT = "tinhso.accounts.activate"
ACTIVATION_MAX_AGE = 48 * 3600


def _activation_token(user: User) -> str:
    from django.core import signing
    from django.utils.crypto import salted_hmac

    proof = salted_hmac(ACTIVATION_SALT, f"{user.pk}:{user.password}").hexdigest()[:24]
    return signing.dumps({"u": str(user.uid), "p": proof}, salt=ACTIVATION_SALT)


def register_citizen(
    *,
    full_name: str,
    email: str,
    password: str,
    citizen_id: str | None = None,
    tax_code: str | None = None,
    phone: str = "",
) -> None:
    """A person or business asks for an account; its number is the username.

    Returns nothing the caller could show: a new number gets an account waiting for the
    activation link sent to `email`; a number already registered changes nothing and its
    owner is told through their own channels (at most 3 times a day)."""
    from django.conf import settings
    from django.contrib.auth.hashers import make_password
    from django.core.exceptions import ValidationError
    from django.db import IntegrityError
    from django.db.models import Q
    from django.urls import reverse

    from tinhso.core import ratelimit
    from tinhso.notify.models import Message
    from tinhso.notify.services import enqueue, notify_user

    number = citizen_id or tax_code or ""
    field = "citizen_id" if citizen_id else "tax_code"
    site = settings.TINHSO_SITE_URL.rstrip("/")
    with transaction.atomic():
        existing = (
            User.objects.select_for_update()
            .filter(Q(username=number) | Q(**{field: number}))
            .first()
        )
        if existing is not None and not existing.pending_activation:
            make_password(password)  # the same time as a registration
            if ratelimit.hit("accounts_register_notice", number, "3/day").allowed:
                notify_user(
                    user=existing,
                    template="accounts_register_existing",
                    context={
                        "user": existing,
                        "reset_link": site + reverse("accounts:password_reset"),
                    },
                    related_object=f"accounts.user:{existing.uid}",
                )
            return
        if existing is not None:
            # An earlier request never activated: this one replaces it (its link stops
            # working, since the link is bound to the password hash).
            existing.full_name = full_name
            existing.email = email
            existing.phone = phone
            existing.set_password(password)
            existing.full_clean(exclude=["password"])
            existing.save()
            user = existing
        else:
            try:
                with transaction.atomic():
                    user = create_citizen(
                        username=number,
                        full_name=full_name,
                        citizen_id=citizen_id,
                        tax_code=tax_code,
                        email=email,
                        phone=phone,
                        password=password,
                        pending_activation=True,
                    )
            except (IntegrityError, ValidationError):  # registered a moment ago by another
                return
        link = site + reverse("accounts:activate", args=[_activation_token(user)])
        enqueue(
            channel=Message.Channel.EMAIL,
            address=email,
            template="accounts_activate",
            context={"user": user, "link": link},
            recipient=user,
            related_object=f"accounts.user:{user.uid}",
        )


@transaction.atomic
def activate_registration(*, token: str) -> User:
    """Open the account once its owner followed the link sent to their e-mail."""
    from django.core import signing
    from django.utils.crypto import constant_time_compare, salted_hmac

    from tinhso.core.errors import ValidationFailed

    invalid = ValidationFailed(
        _("Đường dẫn kích hoạt không hợp lệ, đã dùng hoặc đã hết hạn (hiệu lực 48 giờ)."),
        code=AccountsErrorCode.REGISTRATION_LINK_INVALID,
    )
    try:
        data = signing.loads(token, salt=ACTIVATION_SALT, max_age=ACTIVATION_MAX_AGE)
        user = User.objects.select_for_update().get(uid=data["u"], pending_activation=True)
    except (signing.BadSignature, KeyError, TypeError, ValueError, User.DoesNotExist):
        raise invalid from None
    proof = salted_hmac(ACTIVATION_SALT, f"{user.pk}:{user.password}").hexdigest()[:24]
    if not constant_time_compare(proof, str(data.get("p", ""))):
        raise invalid
    user.is_active = True
    user.pending_activation = False
    user.save(update_fields=["is_active", "pending_activation"])
    record(actor=user, action="accounts.activate", obj=user, summary={})
    return user
