"""Write use-cases of the directory: agencies, reorganisations, org units, positions,
memberships and administrative units.

Every function takes keyword-only arguments, runs in one transaction, checks permission
(`directory.manage_agency`: agency admins within their subtree, platform admins
everywhere), writes an `AgencyEvent` for the agency's history and an audit entry.

`actor=None` means the platform itself (demo loader, `tinhso directory` command run by
the operator): no permission check, audited as "system". Views and the API always pass
the requesting user.

Nothing is ever deleted: a renamed agency keeps its row (the event keeps the old name),
a merged or closed agency stays with its status, closing date and successor, so
documents and dossiers keep pointing at the agency as it was.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import EmailValidator, URLValidator
from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Concat, Substr
from django.utils import timezone

from tinhso.accounts.rules import require
from tinhso.audit.services import record
from tinhso.core.errors import Conflict, InvalidTransition, ValidationFailed
from tinhso.core.text import fold
from tinhso.directory.codes import validate_code, validate_legacy_code
from tinhso.directory.models import (
    AdministrativeUnit,
    Agency,
    AgencyEvent,
    Membership,
    OrgUnit,
    Position,
    code_of,
)

# Fields an ordinary update may change (name, parent and status have their own use-cases).
UPDATABLE_FIELDS = (
    "short_name",
    "kind",
    "legacy_code",
    "admin_unit",
    "address",
    "phone",
    "email",
    "website",
    "established_on",
)
SNAPSHOT_FIELDS = ("code", "legacy_code", "name", "short_name", "kind", "status")

ADMIN_UNIT_CODE_LENGTH: dict[str, int] = {
    AdministrativeUnit.Level.PROVINCE: 2,
    AdministrativeUnit.Level.DISTRICT: 3,
    AdministrativeUnit.Level.COMMUNE: 5,
}


# ---------------------------------------------------------------------------- helpers


def _today() -> dt.date:
    return timezone.localdate()


def _check(actor: Any, agency: Agency | None, message: str | None = None) -> None:
    """Permission to manage `agency` (None: a top-level agency → platform admins only)."""
    if actor is None:
        return
    if message is None:
        message = (
            f"Bạn không có quyền quản lý cơ quan '{agency.name}'."
            if agency is not None
            else "Chỉ quản trị nền tảng được tạo cơ quan cấp cao nhất."
        )
    require(actor, "directory.manage_agency", agency, message)


def _actor_name(actor: Any) -> str:
    return getattr(actor, "username", "") if actor is not None else "system"


def _snapshot(agency: Agency) -> dict[str, Any]:
    data: dict[str, Any] = {name: getattr(agency, name) for name in SNAPSHOT_FIELDS}
    data["parent"] = code_of(agency.parent)
    data["admin_unit"] = code_of(agency.admin_unit)
    return data


def _event(
    *,
    agency: Agency,
    kind: str,
    effective_on: dt.date | None,
    actor: Any,
    before: dict | None = None,
    after: dict | None = None,
    successor: Agency | None = None,
    note: str = "",
    action: str,
    summary: dict | None = None,
) -> AgencyEvent:
    """Write the agency's history line and, in the same transaction, the audit entry
    (`summary` defaults to the before/after pair)."""
    event = AgencyEvent.objects.create(
        agency=agency,
        kind=kind,
        effective_on=effective_on or _today(),
        before=before or {},
        after=after or {},
        successor=successor,
        note=note,
        actor_name=_actor_name(actor),
    )
    if summary is None:
        summary = {"before": before, "after": after}
    record(actor=actor, action=action, obj=agency, agency=agency, summary=summary)
    return event


def _locked(agency: Agency) -> Agency:
    """Re-read the agency under a row lock (PostgreSQL) so concurrent reorganisations queue."""
    return (
        Agency.objects.select_for_update(of=("self",))
        .select_related("parent", "admin_unit")
        .get(pk=agency.pk)
    )


def _lock_all(*agencies: Agency | None) -> None:
    """Lock several agencies' rows in primary-key order (PostgreSQL), so that two
    reorganisations touching the same agencies queue instead of deadlocking."""
    ids = sorted({a.pk for a in agencies if a is not None})
    if len(ids) > 1:
        list(Agency.objects.select_for_update(of=("self",)).filter(pk__in=ids).order_by("pk"))


def _require_active(agency: Agency) -> None:
    if not agency.is_active:
        raise InvalidTransition(
            f"Cơ quan '{agency.name}' ({agency.code}) không còn hoạt động "
            f"({agency.get_status_display().lower()}).",
            code="agency_not_active",
        )


def _clean_contact(*, email: str, website: str) -> None:
    if email:
        try:
            EmailValidator()(email)
        except DjangoValidationError as exc:
            raise ValidationFailed(
                f"Địa chỉ thư điện tử '{email}' không hợp lệ.", code="invalid_email"
            ) from exc
    if website:
        try:
            URLValidator(schemes=["http", "https"])(website)
        except DjangoValidationError as exc:
            raise ValidationFailed(
                f"Địa chỉ trang web '{website}' không hợp lệ (cần bắt đầu bằng http:// "
                "hoặc https://).",
                code="invalid_website",
            ) from exc


def _clean_kind(kind: str) -> str:
    if kind not in Agency.Kind.values:
        allowed = ", ".join(Agency.Kind.values)
        raise ValidationFailed(
            f"Loại cơ quan '{kind}' không hợp lệ (chọn một trong: {allowed}).",
            code="invalid_agency_kind",
        )
    return kind


def _clean_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise ValidationFailed("Tên cơ quan không được để trống.", code="agency_name_required")
    if len(name) > 255:
        raise ValidationFailed("Tên cơ quan dài quá 255 ký tự.", code="agency_name_too_long")
    return name


def _check_unique_codes(*, code: str | None, legacy_code: str | None, exclude_pk=None) -> None:
    qs = Agency.objects.exclude(pk=exclude_pk) if exclude_pk else Agency.objects.all()
    if code and qs.filter(code=code).exists():
        raise Conflict(f"Mã định danh '{code}' đã được dùng.", code="agency_code_taken")
    if legacy_code and qs.filter(legacy_code=legacy_code).exists():
        raise Conflict(
            f"Mã định danh (QCVN 102) '{legacy_code}' đã được dùng.", code="agency_code_taken"
        )


# --------------------------------------------------------------------------- agencies


@transaction.atomic
def create_agency(
    *,
    actor: Any,
    code: str,
    name: str,
    kind: str = Agency.Kind.OTHER,
    parent: Agency | None = None,
    legacy_code: str | None = None,
    short_name: str = "",
    admin_unit: AdministrativeUnit | None = None,
    address: str = "",
    phone: str = "",
    email: str = "",
    website: str = "",
    established_on: dt.date | None = None,
    note: str = "",
) -> Agency:
    """Create an agency under `parent` (a top-level agency when None)."""
    code = validate_code(code)
    legacy_code = validate_legacy_code(legacy_code) if legacy_code else None
    name = _clean_name(name)
    _clean_kind(kind)
    _clean_contact(email=email, website=website)
    if parent is not None:
        parent = _locked(parent)
    _check(actor, parent)
    if parent is not None:
        _require_active(parent)
    _check_unique_codes(code=code, legacy_code=legacy_code)
    agency = Agency(
        code=code,
        legacy_code=legacy_code,
        name=name,
        short_name=(short_name or "").strip(),
        kind=kind,
        parent=parent,
        admin_unit=admin_unit,
        address=address,
        phone=phone,
        email=email,
        website=website,
        established_on=established_on,
    )
    agency.save()
    _event(
        agency=agency,
        kind=AgencyEvent.Kind.CREATED,
        effective_on=established_on,
        actor=actor,
        after=_snapshot(agency),
        note=note,
        action="directory.create_agency",
        summary=_snapshot(agency),
    )
    return agency


@transaction.atomic
def update_agency(
    *, actor: Any, agency: Agency, effective_on: dt.date | None = None, **changes: Any
) -> Agency:
    """Change an agency's descriptive fields (see UPDATABLE_FIELDS); no-op when unchanged."""
    unknown = set(changes) - set(UPDATABLE_FIELDS)
    if unknown:
        raise ValidationFailed(
            f"Không thể cập nhật trường {', '.join(sorted(unknown))} bằng thao tác này.",
            code="field_not_updatable",
        )
    agency = _locked(agency)
    _check(actor, agency)
    if "kind" in changes:
        _clean_kind(changes["kind"])
    if "legacy_code" in changes:
        changes["legacy_code"] = (
            validate_legacy_code(changes["legacy_code"]) if changes["legacy_code"] else None
        )
        _check_unique_codes(code=None, legacy_code=changes["legacy_code"], exclude_pk=agency.pk)
    _clean_contact(email=changes.get("email", ""), website=changes.get("website", ""))
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for field, value in changes.items():
        if field == "short_name":
            value = (value or "").strip()
        old = getattr(agency, field)
        if old != value:
            before[field] = getattr(old, "code", old)
            after[field] = getattr(value, "code", value)
            setattr(agency, field, value)
    if not after:
        return agency
    agency.save()
    _event(
        agency=agency,
        kind=AgencyEvent.Kind.UPDATED,
        effective_on=effective_on,
        actor=actor,
        before=before,
        after=after,
        action="directory.update_agency",
    )
    return agency


@transaction.atomic
def rename_agency(
    *,
    actor: Any,
    agency: Agency,
    name: str,
    short_name: str | None = None,
    effective_on: dt.date | None = None,
    note: str = "",
) -> Agency:
    """Rename; the old name stays in the agency's history."""
    agency = _locked(agency)
    _check(actor, agency)
    _require_active(agency)
    name = _clean_name(name)
    new_short = agency.short_name if short_name is None else short_name.strip()
    if name == agency.name and new_short == agency.short_name:
        return agency
    before = {"name": agency.name, "short_name": agency.short_name}
    agency.name, agency.short_name = name, new_short
    agency.save()
    after = {"name": agency.name, "short_name": agency.short_name}
    _event(
        agency=agency,
        kind=AgencyEvent.Kind.RENAMED,
        effective_on=effective_on,
        actor=actor,
        before=before,
        after=after,
        note=note,
        action="directory.rename_agency",
    )
    return agency


@transaction.atomic
def edit_agency(
    *, actor: Any, agency: Agency, name: str, short_name: str = "", **changes: Any
) -> Agency:
    """The edit form: rename (when the name changed) and update the other fields, all or
    nothing."""
    agency = rename_agency(actor=actor, agency=agency, name=name, short_name=short_name)
    return update_agency(actor=actor, agency=agency, **changes)


def _move(
    *,
    actor: Any,
    agency: Agency,
    new_parent: Agency | None,
    effective_on: dt.date | None,
    note: str = "",
) -> Agency:
    """Re-parent `agency` and rewrite the materialised path of its whole subtree."""
    if new_parent is not None and new_parent.path.startswith(agency.path):
        raise ValidationFailed(
            f"Không thể chuyển '{agency.name}' vào chính nó hoặc một cơ quan trực thuộc nó.",
            code="agency_move_cycle",
        )
    if (new_parent.pk if new_parent else None) == agency.parent_id:
        return agency
    before = {"parent": code_of(agency.parent)}
    old_path, old_depth = agency.path, agency.depth
    agency.parent = new_parent
    agency.save()  # recomputes path and depth
    delta = agency.depth - old_depth
    Agency.objects.filter(path__startswith=old_path).exclude(pk=agency.pk).update(
        path=Concat(Value(agency.path), Substr("path", len(old_path) + 1)),
        depth=F("depth") + delta,
    )
    after = {"parent": new_parent.code if new_parent else None}
    _event(
        agency=agency,
        kind=AgencyEvent.Kind.MOVED,
        effective_on=effective_on,
        actor=actor,
        before=before,
        after=after,
        note=note,
        action="directory.move_agency",
    )
    return agency


@transaction.atomic
def move_agency(
    *,
    actor: Any,
    agency: Agency,
    new_parent: Agency | None,
    effective_on: dt.date | None = None,
    note: str = "",
) -> Agency:
    """Put `agency` (and everything below it) under `new_parent`."""
    _lock_all(agency, new_parent)
    agency = _locked(agency)
    _check(actor, agency)
    if new_parent is not None:
        new_parent = _locked(new_parent)
        _require_active(new_parent)
    _check(actor, new_parent)
    _require_active(agency)
    return _move(
        actor=actor, agency=agency, new_parent=new_parent, effective_on=effective_on, note=note
    )


def _transfer_members(*, actor: Any, source: Agency, target: Agency, effective_on: dt.date) -> int:
    """End current memberships in `source` and re-create them in `target` (same post,
    org unit mapped by name), moving role grants too. Returns the number moved."""
    from tinhso.accounts import services as accounts_services
    from tinhso.accounts.models import RoleGrant

    unit_map: dict[int, OrgUnit] = {}
    for unit in source.org_units.filter(is_active=True):
        target_unit, _ = OrgUnit.objects.get_or_create(
            agency=target, name=unit.name, defaults={"short_name": unit.short_name}
        )
        unit_map[unit.pk] = target_unit
    moved = 0
    for membership in source.memberships.filter(ended_on__isnull=True).select_related("user"):
        membership.ended_on = effective_on
        membership.save(update_fields=["ended_on", "updated_at"])
        org_unit = unit_map.get(membership.org_unit_id or 0)
        duplicate = Membership.objects.filter(
            user=membership.user,
            agency=target,
            org_unit=org_unit,
            position=membership.position,
            ended_on__isnull=True,
        ).exists()
        if not duplicate:
            Membership.objects.create(
                user=membership.user,
                agency=target,
                org_unit=org_unit,
                position=membership.position,
                is_primary=membership.is_primary,
                started_on=effective_on,
                person_name_folded=membership.person_name_folded,
            )
        moved += 1
    for grant in list(RoleGrant.objects.filter(agency=source).select_related("user")):
        accounts_services.grant_role(user=grant.user, agency=target, role=grant.role, actor=actor)
        accounts_services.revoke_role(user=grant.user, agency=source, role=grant.role, actor=actor)
    source.org_units.filter(is_active=True).update(is_active=False)
    return moved


def _end_members(*, actor: Any, agency: Agency, effective_on: dt.date) -> None:
    from tinhso.accounts import services as accounts_services
    from tinhso.accounts.models import RoleGrant

    agency.memberships.filter(ended_on__isnull=True).update(ended_on=effective_on)
    for grant in list(RoleGrant.objects.filter(agency=agency).select_related("user")):
        accounts_services.revoke_role(user=grant.user, agency=agency, role=grant.role, actor=actor)
    agency.org_units.filter(is_active=True).update(is_active=False)


@transaction.atomic
def merge_agencies(
    *,
    actor: Any,
    predecessors: Sequence[Agency],
    successor: Agency,
    effective_on: dt.date | None = None,
    move_members: bool = True,
    move_children: bool = True,
    note: str = "",
) -> Agency:
    """Merge agencies into `successor` (sáp nhập): each predecessor becomes `merged` with
    its successor recorded; its active children and members move to the successor when
    chosen. Returns the successor."""
    effective_on = effective_on or _today()
    _lock_all(successor, *predecessors)
    successor = _locked(successor)
    _check(actor, successor)
    _require_active(successor)
    preds = [_locked(a) for a in predecessors]
    if not preds:
        raise ValidationFailed("Cần ít nhất một cơ quan được sáp nhập.", code="nothing_to_merge")
    for pred in preds:
        _check(actor, pred)
        _require_active(pred)
        if pred.pk == successor.pk:
            raise ValidationFailed(
                "Cơ quan tiếp nhận không thể đồng thời là cơ quan bị sáp nhập.",
                code="merge_into_itself",
            )
        if successor.path.startswith(pred.path):
            raise ValidationFailed(
                f"Không thể sáp nhập '{pred.name}' vào một cơ quan trực thuộc nó.",
                code="merge_into_descendant",
            )
    for pred in preds:
        # re-read: an earlier predecessor's move may have re-parented this one
        pred = _locked(pred)
        children_moved: list[str] = []
        if move_children:
            for child in pred.children.filter(status=Agency.Status.ACTIVE):
                _move(
                    actor=actor,
                    agency=child,
                    new_parent=successor,
                    effective_on=effective_on,
                    note=f"Do sáp nhập {pred.code}",
                )
                children_moved.append(child.code)
        members_moved = 0
        if move_members:
            members_moved = _transfer_members(
                actor=actor, source=pred, target=successor, effective_on=effective_on
            )
        before = _snapshot(pred)
        pred.status = Agency.Status.MERGED
        pred.successor = successor
        pred.closed_on = effective_on
        pred.save()
        summary = {
            "successor": successor.code,
            "children_moved": children_moved,
            "members_moved": members_moved,
        }
        _event(
            agency=pred,
            kind=AgencyEvent.Kind.MERGED,
            effective_on=effective_on,
            actor=actor,
            before=before,
            after={"status": pred.status, **summary},
            successor=successor,
            note=note,
            action="directory.merge_agency",
            summary=summary,
        )
    _event(
        agency=successor,
        kind=AgencyEvent.Kind.MERGED,
        effective_on=effective_on,
        actor=actor,
        after={"absorbed": [p.code for p in preds]},
        note=note,
        action="directory.absorb_agencies",
        summary={"absorbed": [p.code for p in preds]},
    )
    return successor


@transaction.atomic
def close_agency(
    *,
    actor: Any,
    agency: Agency,
    effective_on: dt.date | None = None,
    successor: Agency | None = None,
    move_children: bool = False,
    move_members: bool = False,
    note: str = "",
) -> Agency:
    """Close (giải thể) an agency, optionally naming a successor that takes over its
    active children and members. Without a successor the active children must have been
    moved or closed first; current memberships end and role grants are revoked."""
    effective_on = effective_on or _today()
    _lock_all(agency, successor)
    agency = _locked(agency)
    _check(actor, agency)
    _require_active(agency)
    if successor is not None:
        successor = _locked(successor)
        _check(actor, successor)
        _require_active(successor)
        if successor.path.startswith(agency.path):
            raise ValidationFailed(
                "Cơ quan kế thừa không thể là chính cơ quan bị giải thể hoặc cơ quan trực "
                "thuộc nó.",
                code="successor_in_subtree",
            )
    if (move_children or move_members) and successor is None:
        raise ValidationFailed(
            "Cần chỉ định cơ quan kế thừa để chuyển cơ quan trực thuộc hoặc nhân sự.",
            code="successor_required",
        )
    active_children = list(agency.children.filter(status=Agency.Status.ACTIVE))
    if active_children and not move_children:
        raise Conflict(
            f"Cơ quan '{agency.name}' còn {len(active_children)} cơ quan trực thuộc đang "
            "hoạt động: hãy chuyển hoặc giải thể chúng trước, hoặc chọn chuyển sang cơ quan "
            "kế thừa.",
            code="agency_has_active_children",
        )
    for child in active_children:
        _move(
            actor=actor,
            agency=child,
            new_parent=successor,
            effective_on=effective_on,
            note=f"Do giải thể {agency.code}",
        )
    if move_members and successor is not None:
        _transfer_members(actor=actor, source=agency, target=successor, effective_on=effective_on)
    else:
        _end_members(actor=actor, agency=agency, effective_on=effective_on)
    before = _snapshot(agency)
    agency.status = Agency.Status.CLOSED
    agency.successor = successor
    agency.closed_on = effective_on
    agency.save()
    summary = {
        "successor": successor.code if successor else None,
        "children_moved": [c.code for c in active_children],
    }
    _event(
        agency=agency,
        kind=AgencyEvent.Kind.CLOSED,
        effective_on=effective_on,
        actor=actor,
        before=before,
        after={"status": agency.status, **summary},
        successor=successor,
        note=note,
        action="directory.close_agency",
        summary=summary,
    )
    return agency


# ------------------------------------------------------------ the 2025 two-level reform


@transaction.atomic
def abolish_district(
    *,
    actor: Any,
    district: Agency,
    successor: Agency,
    effective_on: dt.date = dt.date(2025, 7, 1),
    note: str = "Chính quyền địa phương hai cấp (Luật 72/2025/QH15)",
) -> Agency:
    """Abolish a district-level People's Committee (from 1 July 2025): its communes move up
    to the province, its other active units close with `successor`, its members move to
    `successor`, and the district closes with `successor` recorded. The district's
    administrative unit ends the day before and its communes are re-attached to the
    province unit."""
    district = _locked(district)
    province = district.parent
    if province is None:
        raise ValidationFailed(
            "Cơ quan cấp huyện phải có cơ quan cấp tỉnh phía trên.",
            code="district_without_province",
        )
    _check(actor, district)
    _check(actor, province)
    _require_active(district)
    for child in list(
        district.children.filter(status=Agency.Status.ACTIVE).select_related("admin_unit")
    ):
        child_unit = child.admin_unit
        is_commune = child_unit is not None and child_unit.level == AdministrativeUnit.Level.COMMUNE
        if is_commune:
            _move(
                actor=actor, agency=child, new_parent=province, effective_on=effective_on, note=note
            )
        else:
            close_agency(
                actor=actor,
                agency=child,
                effective_on=effective_on,
                successor=successor,
                move_members=True,
                move_children=True,
                note=note,
            )
    unit = district.admin_unit
    if unit is not None and unit.is_active:
        province_unit = province.admin_unit
        if province_unit is not None:
            unit.children.update(parent=province_unit)
        unit.is_active = False
        unit.valid_to = effective_on - dt.timedelta(days=1)
        unit.save()
        record(
            actor=actor,
            action="directory.close_admin_unit",
            obj=unit,
            summary={"code": unit.code, "valid_to": unit.valid_to},
        )
    return close_agency(
        actor=actor,
        agency=district,
        effective_on=effective_on,
        successor=successor,
        move_members=True,
        move_children=False,
        note=note,
    )


@transaction.atomic
def merge_provinces(
    *,
    actor: Any,
    provinces: Sequence[Agency],
    new_name: str,
    effective_on: dt.date = dt.date(2025, 7, 1),
    note: str = "Sắp xếp đơn vị hành chính cấp tỉnh năm 2025",
) -> Agency:
    """Merge provincial agencies (all People's Committees, or all People's Councils).

    The new province keeps the level-1 code of the predecessor with the same name
    (Decision 09/2025/QĐ-TTg); the others are merged into it with their subtrees and
    members. Their administrative units end and record the kept unit as successor.
    """
    wanted = fold(new_name)
    keep = [
        p
        for p in provinces
        if fold(p.name).endswith(wanted)
        or (p.admin_unit is not None and fold(p.admin_unit.name).endswith(wanted))
    ]
    if len(keep) != 1:
        raise ValidationFailed(
            f"Phải có đúng một tỉnh trước sáp nhập mang tên '{new_name}' để giữ mã định danh "
            "cấp 1.",
            code="no_namesake_province",
        )
    kept = keep[0]
    others = [p for p in provinces if p.pk != kept.pk]
    merge_agencies(
        actor=actor,
        predecessors=others,
        successor=kept,
        effective_on=effective_on,
        move_members=True,
        move_children=True,
        note=note,
    )
    for other in others:
        unit = other.admin_unit
        kept_unit = kept.admin_unit
        if unit is not None and unit.is_active and kept_unit is not None:
            unit.children.update(parent=kept_unit)
            unit.is_active = False
            unit.successor = kept_unit
            unit.valid_to = effective_on - dt.timedelta(days=1)
            unit.save()
            record(
                actor=actor,
                action="directory.close_admin_unit",
                obj=unit,
                summary={"code": unit.code, "successor": kept_unit.code},
            )
    return kept


# -------------------------------------------------------------- administrative units


@transaction.atomic
def create_admin_unit(
    *,
    actor: Any,
    code: str,
    name: str,
    level: str,
    parent: AdministrativeUnit | None = None,
) -> AdministrativeUnit:
    """An administrative unit with its statistics code (province 2 digits, district 3,
    commune 5)."""
    _check(actor, None, "Chỉ quản trị nền tảng được quản lý đơn vị hành chính.")
    code = (code or "").strip()
    if level not in ADMIN_UNIT_CODE_LENGTH:
        raise ValidationFailed(f"Cấp hành chính '{level}' không hợp lệ.", code="invalid_level")
    length = ADMIN_UNIT_CODE_LENGTH[level]
    if not (code.isdigit() and len(code) == length):
        raise ValidationFailed(
            f"Mã đơn vị hành chính '{code}' không hợp lệ: cấp này cần đúng {length} chữ số.",
            code="invalid_admin_unit_code",
        )
    if AdministrativeUnit.objects.filter(code=code).exists():
        raise Conflict(f"Mã đơn vị hành chính '{code}' đã tồn tại.", code="admin_unit_code_taken")
    unit = AdministrativeUnit.objects.create(
        code=code, name=_clean_name(name), level=level, parent=parent
    )
    record(
        actor=actor,
        action="directory.create_admin_unit",
        obj=unit,
        summary={"code": code, "name": unit.name, "level": level},
    )
    return unit


# ------------------------------------------------------------- org units and positions


@transaction.atomic
def create_org_unit(
    *,
    actor: Any,
    agency: Agency,
    name: str,
    short_name: str = "",
    parent: OrgUnit | None = None,
) -> OrgUnit:
    agency = _locked(agency)
    _check(actor, agency)
    _require_active(agency)
    name = " ".join((name or "").split())
    if not name:
        raise ValidationFailed("Tên đơn vị không được để trống.", code="org_unit_name_required")
    if parent is not None and parent.agency_id != agency.pk:
        raise ValidationFailed(
            "Đơn vị cấp trên phải thuộc cùng cơ quan.", code="org_unit_wrong_agency"
        )
    if OrgUnit.objects.filter(agency=agency, name=name).exists():
        raise Conflict(f"Cơ quan đã có đơn vị '{name}'.", code="org_unit_exists")
    unit = OrgUnit.objects.create(agency=agency, name=name, short_name=short_name, parent=parent)
    record(
        actor=actor,
        action="directory.create_org_unit",
        obj=unit,
        agency=agency,
        summary={"name": name},
    )
    return unit


@transaction.atomic
def rename_org_unit(*, actor: Any, org_unit: OrgUnit, name: str) -> OrgUnit:
    _check(actor, org_unit.agency)
    name = " ".join((name or "").split())
    if not name:
        raise ValidationFailed("Tên đơn vị không được để trống.", code="org_unit_name_required")
    if name == org_unit.name:
        return org_unit
    if OrgUnit.objects.filter(agency=org_unit.agency, name=name).exists():
        raise Conflict(f"Cơ quan đã có đơn vị '{name}'.", code="org_unit_exists")
    before = org_unit.name
    org_unit.name = name
    org_unit.save()
    record(
        actor=actor,
        action="directory.rename_org_unit",
        obj=org_unit,
        agency=org_unit.agency,
        summary={"before": before, "after": name},
    )
    return org_unit


@transaction.atomic
def close_org_unit(*, actor: Any, org_unit: OrgUnit, ended_on: dt.date | None = None) -> OrgUnit:
    _check(actor, org_unit.agency)
    if not org_unit.is_active:
        return org_unit
    org_unit.memberships.filter(ended_on__isnull=True).update(ended_on=ended_on or _today())
    org_unit.is_active = False
    org_unit.save()
    record(
        actor=actor,
        action="directory.close_org_unit",
        obj=org_unit,
        agency=org_unit.agency,
        summary={"name": org_unit.name},
    )
    return org_unit


@transaction.atomic
def ensure_position(*, actor: Any, name: str, rank: int = 100, is_leader: bool = False) -> Position:
    """The post called `name`, created when missing (reference data: platform admins)."""
    name = " ".join((name or "").split())
    if not name:
        raise ValidationFailed("Tên chức vụ không được để trống.", code="position_name_required")
    position = Position.objects.filter(name=name).first()
    if position is not None:
        return position
    _check(actor, None, "Chỉ quản trị nền tảng được thêm chức vụ.")
    position = Position.objects.create(name=name, rank=rank, is_leader=is_leader)
    record(
        actor=actor,
        action="directory.create_position",
        obj=position,
        summary={"name": name, "rank": rank},
    )
    return position


# ---------------------------------------------------------------------- memberships


@transaction.atomic
def add_membership(
    *,
    actor: Any,
    user: Any,
    agency: Agency,
    position: Position | None = None,
    org_unit: OrgUnit | None = None,
    is_primary: bool = True,
    started_on: dt.date | None = None,
) -> Membership:
    """Give an official a post in an agency (a person may hold posts in several). Adding
    the same current post twice returns the existing membership."""
    agency = _locked(agency)
    _check(actor, agency)
    _require_active(agency)
    if not getattr(user, "is_official", False):
        raise ValidationFailed(
            f"Tài khoản '{user.username}' không phải cán bộ, công chức.", code="not_an_official"
        )
    if org_unit is not None and org_unit.agency_id != agency.pk:
        raise ValidationFailed("Đơn vị phải thuộc cơ quan được chọn.", code="org_unit_wrong_agency")
    existing = Membership.objects.filter(
        user=user, agency=agency, position=position, org_unit=org_unit, ended_on__isnull=True
    ).first()
    if existing is not None:
        return existing
    membership = Membership.objects.create(
        user=user,
        agency=agency,
        position=position,
        org_unit=org_unit,
        is_primary=is_primary,
        started_on=started_on,
        person_name_folded=fold(user.full_name or user.username)[:150],
    )
    record(
        actor=actor,
        action="directory.add_membership",
        obj=user,
        agency=agency,
        summary={
            "agency": agency.code,
            "position": position.name if position else None,
            "org_unit": org_unit.name if org_unit else None,
        },
    )
    return membership


@transaction.atomic
def end_membership(
    *, actor: Any, membership: Membership, ended_on: dt.date | None = None
) -> Membership:
    _check(actor, membership.agency)
    if membership.ended_on is not None:
        return membership
    membership.ended_on = ended_on or _today()
    membership.save(update_fields=["ended_on", "updated_at"])
    record(
        actor=actor,
        action="directory.end_membership",
        obj=membership.user,
        agency=membership.agency,
        summary={"agency": membership.agency.code, "ended_on": membership.ended_on},
    )
    return membership


def refresh_person_name(*, user: Any) -> None:
    """Re-fold the person's name on their memberships after the name changed."""
    Membership.objects.filter(user=user).update(
        person_name_folded=fold(user.full_name or user.username)[:150]
    )


@transaction.atomic
def register_official(
    *,
    actor: Any,
    username: str,
    full_name: str,
    agency: Agency,
    position: Position | None = None,
    org_unit: OrgUnit | None = None,
    roles: Iterable[str] = (),
    email: str = "",
    phone: str = "",
    started_on: dt.date | None = None,
) -> Membership:
    """Create an official's account (accounts.services), their post and their roles."""
    from tinhso.accounts import services as accounts_services
    from tinhso.accounts.models import User

    _check(actor, agency)
    _require_active(agency)
    if User.objects.filter(username=username).exists():
        raise Conflict(f"Tên đăng nhập '{username}' đã được dùng.", code="username_taken")
    user = accounts_services.create_official(
        username=username, full_name=full_name, email=email, phone=phone, actor=actor
    )
    membership = add_membership(
        actor=actor,
        user=user,
        agency=agency,
        position=position,
        org_unit=org_unit,
        started_on=started_on,
    )
    for role in roles:
        accounts_services.grant_role(
            user=user, agency=agency, role=role, org_unit=org_unit, actor=actor
        )
    return membership


@transaction.atomic
def close_admin_unit(
    *,
    actor: Any,
    unit: AdministrativeUnit,
    valid_to: dt.date,
    successor: AdministrativeUnit | None = None,
) -> AdministrativeUnit:
    """End an administrative unit (kept for history), optionally naming its successor."""
    _check(actor, None, "Chỉ quản trị nền tảng được quản lý đơn vị hành chính.")
    if not unit.is_active:
        return unit
    unit.is_active = False
    unit.valid_to = valid_to
    unit.successor = successor
    unit.save()
    record(
        actor=actor,
        action="directory.close_admin_unit",
        obj=unit,
        summary={
            "code": unit.code,
            "valid_to": valid_to,
            "successor": successor.code if successor else None,
        },
    )
    return unit


# Roles an agency administrator may hand out inside their subtree (platform admin: never).
AGENCY_ROLES = ("leader", "specialist", "clerk", "onestop_officer", "agency_admin")


@transaction.atomic
def appoint_official(
    *,
    actor: Any,
    agency: Agency,
    username: str,
    full_name: str = "",
    email: str = "",
    phone: str = "",
    position: Position | None = None,
    org_unit: OrgUnit | None = None,
    roles: Iterable[str] = (),
    is_primary: bool = True,
) -> Membership:
    """Give a post (and roles) in `agency` to an existing official, or create the official
    when the username is new (then `full_name` is required)."""
    from tinhso.accounts import services as accounts_services
    from tinhso.accounts.models import User

    _check(actor, agency)
    roles = list(roles)
    bad = [r for r in roles if r not in AGENCY_ROLES]
    if bad:
        raise ValidationFailed(
            f"Không thể cấp vai trò {', '.join(bad)} tại cơ quan.", code="role_not_grantable"
        )
    username = (username or "").strip()
    if not username:
        raise ValidationFailed("Cần nhập tên đăng nhập.", code="username_required")
    user = User.objects.filter(username=username).first()
    if roles:
        accounts_services.refuse_self_grant(actor=actor, user=user)
    if user is None:
        if not full_name.strip():
            raise ValidationFailed(
                f"Tài khoản '{username}' chưa có: hãy nhập họ và tên để tạo mới.",
                code="full_name_required",
            )
        return register_official(
            actor=actor,
            username=username,
            full_name=full_name.strip(),
            agency=agency,
            position=position,
            org_unit=org_unit,
            roles=roles,
            email=email,
            phone=phone,
        )
    membership = add_membership(
        actor=actor,
        user=user,
        agency=agency,
        position=position,
        org_unit=org_unit,
        is_primary=is_primary,
    )
    for role in roles:
        accounts_services.grant_role(
            user=user, agency=agency, role=role, org_unit=org_unit, actor=actor
        )
    return membership
