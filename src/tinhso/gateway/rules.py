"""Who may do what in the gateway. Providers and consumers belong to agencies: their
agency administrators (and the platform administrators) manage them."""

from __future__ import annotations

from typing import Any

from tinhso.accounts.models import Role
from tinhso.accounts.rules import _grants, has_role, is_platform_admin, rule


def _admin_of(user, agency) -> bool:
    return has_role(user, agency, {Role.AGENCY_ADMIN})


def is_gateway_admin(user) -> bool:
    """Platform admins and agency administrators (who run providers or consumers)."""
    return is_platform_admin(user) or bool(_grants(user).get(Role.AGENCY_ADMIN))


@rule("gateway.view")
def _view(user, obj: Any) -> bool:
    return bool(getattr(user, "is_official", False)) or is_platform_admin(user)


@rule("gateway.publish")
def _publish(user, agency) -> bool:
    return _admin_of(user, agency) if agency is not None else is_gateway_admin(user)


@rule("gateway.manage_provider")
def _manage_provider(user, provider) -> bool:
    return _admin_of(user, provider.agency)


@rule("gateway.manage_service")
def _manage_service(user, service) -> bool:
    return _admin_of(user, service.provider.agency)


@rule("gateway.manage_consumer")
def _manage_consumer(user, consumer) -> bool:
    if consumer is None:
        return is_gateway_admin(user)
    return _admin_of(user, consumer.agency)


@rule("gateway.decide_request")
def _decide_request(user, request) -> bool:
    return _admin_of(user, request.service.provider.agency)


@rule("gateway.manage_groups")
def _manage_groups(user, obj) -> bool:
    return is_platform_admin(user)


@rule("gateway.view_log")
def _view_log(user, obj) -> bool:
    return is_gateway_admin(user)


@rule("gateway.lookup_citizen")
def _lookup_citizen(user, obj) -> bool:
    return bool(
        is_platform_admin(user)
        or _grants(user).get(Role.ONESTOP_OFFICER)
        or _grants(user).get(Role.SPECIALIST)
    )
