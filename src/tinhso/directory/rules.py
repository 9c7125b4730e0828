"""Permission predicates of the directory (registered with tinhso.accounts.rules).

`directory.manage_agency` (in accounts/rules.py): agency administrators within their
subtree, platform administrators everywhere. Added here:

- `directory.import_agencies`: replacing the agency table from CSV — platform admins only.
- `directory.view_personal_contact`: officials' personal phone numbers — officials and
  platform admins (never anonymous users or citizens).
- `directory.view_people`: the people pages — any logged-in user.
"""

from __future__ import annotations

from tinhso.accounts.rules import is_platform_admin, rule


@rule("directory.import_agencies")
def _import_agencies(user, obj) -> bool:
    return is_platform_admin(user)


@rule("directory.view_personal_contact")
def _view_personal_contact(user, obj) -> bool:
    return bool(getattr(user, "is_official", False)) or is_platform_admin(user)


@rule("directory.view_people")
def _view_people(user, obj) -> bool:
    return bool(getattr(user, "is_authenticated", False))
