"""The one permission check used everywhere.

    can(user, "onestop.accept_dossier", dossier) -> bool
    require(user, "onestop.accept_dossier", dossier)   # raises PermissionDenied
    Agency.objects.visible_to(user)

An official acts only inside the agencies where they hold a role; leaders and agency
administrators of a parent agency also see the agencies below it. Apps register their
own actions with `@rule("app.action")`; a predicate gets (user, obj) and returns a bool.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.db.models import Q

from tinhso.accounts.models import Role, RoleGrant
from tinhso.core.errors import PermissionDenied

Predicate = Callable[[Any, Any], bool]
_RULES: dict[str, Predicate] = {}

# Roles whose holder also sees the subtree below their agency.
SUBTREE_ROLES = {Role.LEADER, Role.AGENCY_ADMIN}


def rule(action: str) -> Callable[[Predicate], Predicate]:
    def register(predicate: Predicate) -> Predicate:
        _RULES[action] = predicate
        return predicate

    return register


def is_platform_admin(user) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser:
        return True
    return _grants(user).get(Role.PLATFORM_ADMIN) is not None


def _grants(user) -> dict[str, list[tuple[int, str]]]:
    """{role: [(agency_id, agency_path), ...]} for the user, cached on the user object."""
    cache = getattr(user, "_tinhso_grants", None)
    if cache is None:
        cache = {}
        rows = RoleGrant.objects.filter(user_id=user.pk).values_list(
            "role", "agency_id", "agency__path"
        )
        for role, agency_id, path in rows:
            cache.setdefault(role, []).append((agency_id, path))
        user._tinhso_grants = cache
    return cache


def forget_grants(user) -> None:
    """Drop the per-object caches after roles change."""
    for name in ("_tinhso_grants", "_tinhso_agency_ids"):
        if hasattr(user, name):
            delattr(user, name)


def roles_in(user, agency) -> set[str]:
    """Roles the user holds in `agency` itself or, for subtree roles, in an ancestor."""
    if not getattr(user, "is_authenticated", False) or agency is None:
        return set()
    result = set()
    for role, rows in _grants(user).items():
        for agency_id, path in rows:
            if agency_id == agency.pk or (role in SUBTREE_ROLES and agency.path.startswith(path)):
                result.add(role)
    return result


def has_role(user, agency, roles: Iterable[str] | str) -> bool:
    if is_platform_admin(user):
        return True
    wanted = {roles} if isinstance(roles, str) else set(roles)
    return bool(roles_in(user, agency) & wanted)


def holds_role(user, roles: Iterable[str]) -> bool:
    """Whether the user holds one of `roles` in some agency (a platform administrator holds
    every role): what `Agency.objects.filter(visible_agency_filter(user, roles)).exists()`
    says, from the grants already read, without a query (menus ask it on every page)."""
    if not getattr(user, "is_authenticated", False):
        return False
    if is_platform_admin(user):
        return True
    grants = _grants(user)
    return any(grants.get(role) for role in roles)


def visible_agency_filter(user, roles: Iterable[str] | None = None) -> Q:
    """A Q over Agency: the agencies the user may see (optionally only through `roles`)."""
    if not getattr(user, "is_authenticated", False):
        return Q(pk__in=[])
    if is_platform_admin(user):
        return Q()
    wanted = set(roles) if roles is not None else None
    q = Q(pk__in=[])
    direct: set[int] = set()
    for role, rows in _grants(user).items():
        if wanted is not None and role not in wanted:
            continue
        for agency_id, path in rows:
            if role in SUBTREE_ROLES:
                q |= Q(path__startswith=path)
            else:
                direct.add(agency_id)
    if direct:
        q |= Q(pk__in=direct)
    return q


def visible_agency_ids(user, roles: Iterable[str] | None = None) -> frozenset[int] | None:
    """The ids of the agencies `visible_agency_filter` selects, or None for every agency (a
    platform administrator). No query unless a subtree role needs the agencies below it,
    and those are read once per user object: a list page filters by these ids instead of
    a subquery, which PostgreSQL plans several times faster on wide joins."""
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    if is_platform_admin(user):
        return None
    wanted = set(roles) if roles is not None else None
    ids: set[int] = set()
    paths: set[str] = set()
    for role, rows in _grants(user).items():
        if wanted is not None and role not in wanted:
            continue
        for agency_id, path in rows:
            ids.add(agency_id)
            if role in SUBTREE_ROLES:
                paths.add(path)
    subtrees: dict[str, frozenset[int]] = user.__dict__.setdefault("_tinhso_agency_ids", {})
    missing = paths - subtrees.keys()
    if missing:
        from tinhso.directory.models import Agency

        below = Q()
        for path in missing:
            below |= Q(path__startswith=path)
        found: dict[str, set[int]] = {path: set() for path in missing}
        for pk, path in Agency.objects.filter(below).order_by().values_list("pk", "path"):
            for top in missing:
                if path.startswith(top):
                    found[top].add(pk)
        subtrees.update({path: frozenset(pks) for path, pks in found.items()})
    for path in paths:
        ids |= subtrees[path]
    return frozenset(ids)


def agency_in(field: str, user, roles: Iterable[str] | None = None) -> Q:
    """A Q limiting `field` (a foreign key to Agency) to `visible_agency_ids`: what
    `field__in=Agency.objects.filter(visible_agency_filter(...))` selects (so never a row
    without an agency, even for a platform administrator), safe to OR with others."""
    ids = visible_agency_ids(user, roles)
    if ids is None:
        return Q(**{f"{field}__isnull": False})
    return Q(**{f"{field}__in": sorted(ids)})


def can(user, action: str, obj: Any = None) -> bool:
    predicate = _RULES.get(action)
    if predicate is None:
        raise KeyError(f"unknown permission action {action!r}")
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return False
    return bool(predicate(user, obj))


def require(user, action: str, obj: Any = None, message: str | None = None) -> None:
    if not can(user, action, obj):
        from tinhso.core.signals import security_event

        security_event.send(
            sender=__name__,
            kind="permission_denied",
            user_name=getattr(user, "username", "") or "",
            detail=action,
        )
        raise PermissionDenied(message)


@rule("directory.view_agency")
def _view_agency(user, agency) -> bool:
    return user.is_authenticated


@rule("directory.manage_agency")
def _manage_agency(user, agency) -> bool:
    return has_role(user, agency, {Role.AGENCY_ADMIN}) if agency else is_platform_admin(user)


@rule("audit.view_trail")
def _view_trail(user, obj) -> bool:
    return is_platform_admin(user) or bool(_grants(user).get(Role.AGENCY_ADMIN))


@rule("accounts.reset_second_factor")
def _reset_second_factor(user, target) -> bool:
    """Platform admins, or an agency admin of an agency where the target holds a role."""
    if is_platform_admin(user):
        return True
    admin_paths = [path for _, path in _grants(user).get(Role.AGENCY_ADMIN, [])]
    if target is None or not admin_paths:
        return False
    target_paths = RoleGrant.objects.filter(user_id=target.pk).values_list(
        "agency__path", flat=True
    )
    return any(tp.startswith(ap) for tp in target_paths for ap in admin_paths)


@rule("accounts.issue_token")
def _issue_token(user, target) -> bool:
    return is_platform_admin(user)


@rule("accounts.manage_roles")
def _manage_roles(user, agency) -> bool:
    """Agency administrators grant roles in their agency and the agencies below it."""
    if agency is None:
        return is_platform_admin(user) or bool(_grants(user).get(Role.AGENCY_ADMIN))
    return has_role(user, agency, {Role.AGENCY_ADMIN})
