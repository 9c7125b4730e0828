"""Password authentication behind a growing delay, per account name and per client IP.

No account is ever locked: after LOGIN_MAX_FAILURES wrong passwords for one account name
(LOGIN_IP_MAX_FAILURES from one IP) each further attempt waits longer (see throttle.py).
Unknown names are counted and answered exactly like existing ones. When the delay starts
for a real account, its owner gets an unlock link by e-mail: it marks their browser as
theirs, where the attacker's failures do not count.
"""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend

from tinhso.accounts import throttle
from tinhso.core.prepared import by_pk


class LockoutModelBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        from tinhso.accounts.models import User
        from tinhso.core.middleware import client_ip

        if username is None:
            username = kwargs.get(User.USERNAME_FIELD)
        if username is None or password is None:
            return None
        account = throttle.account_ident(request, username)
        ip = client_ip(request) or "unknown"
        waits = [throttle.blocked_until("account", account), throttle.blocked_until("ip", ip)]
        if any(waits):
            _remember(request, max(w for w in waits if w))
            return None
        user = User.objects.filter(username=username).first()
        if user is None:
            User().set_password(password)  # the same time either way
            ok = False
        else:
            ok = user.check_password(password) and self.user_can_authenticate(user)
        if ok:
            throttle.clear("account", account)
            return user
        failures, account_wait = throttle.record_failure(
            "account", account, throttle.max_failures()
        )
        _count, ip_wait = throttle.record_failure("ip", ip, throttle.ip_max_failures())
        if user is not None and failures == throttle.max_failures():
            from tinhso.accounts.services import send_unlock_link

            send_unlock_link(user=user)
        waits = [w for w in (account_wait, ip_wait) if w]
        if waits:
            _remember(request, max(waits))
        return None

    def get_user(self, user_id):
        """The session's account, read on every request: its SELECT written once
        (`tinhso.core.prepared.by_pk`), otherwise Django's own `get_user`."""
        from tinhso.accounts.models import User

        user = by_pk(User, user_id)
        return user if user is not None and self.user_can_authenticate(user) else None


def _remember(request, until) -> None:
    if request is not None:
        request.tinhso_locked_until = until
