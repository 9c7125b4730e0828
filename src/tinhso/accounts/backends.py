"""Password authentication with lockout after repeated failures."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.utils import timezone

MAX_FAILURES = getattr(settings, "LOGIN_MAX_FAILURES", 5)
LOCKOUT = timedelta(minutes=getattr(settings, "LOGIN_LOCKOUT_MINUTES", 15))


class LockoutModelBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        from tinhso.accounts.models import User

        if username is None:
            username = kwargs.get(User.USERNAME_FIELD)
        try:
            user = User.objects.get(username=username)
        except User.DoesNotExist:
            User().set_password(password)  # same time either way
            return None
        now = timezone.now()
        if user.locked_until and user.locked_until > now:
            if request is not None:
                request.tinhso_locked_until = user.locked_until
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            if user.failed_login_count or user.locked_until:
                User.objects.filter(pk=user.pk).update(failed_login_count=0, locked_until=None)
            return user
        failures = user.failed_login_count + 1
        locked = now + LOCKOUT if failures >= MAX_FAILURES else None
        User.objects.filter(pk=user.pk).update(
            failed_login_count=0 if locked else failures, locked_until=locked
        )
        if locked and request is not None:
            request.tinhso_locked_until = locked
        return None
