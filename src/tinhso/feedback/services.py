"""Write use-cases of the feedback app: one function per thing a person does.

Each runs in one transaction, checks permission (`tinhso.accounts.rules` / the workflow
table), records the audit entry inside the transaction and leaves messages in the notify
outbox (delivered after commit).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import IO, Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from tinhso.accounts.rules import require
from tinhso.audit.services import record
from tinhso.core import ratelimit
from tinhso.core.errors import Conflict, NotFound, ValidationFailed
from tinhso.core.text import clean_text
from tinhso.directory.models import AdministrativeUnit, Agency
from tinhso.feedback import geo, images, reference, workflow
from tinhso.feedback.errors import FeedbackErrorCode as E
from tinhso.feedback.models import (
    Area,
    Category,
    Centre,
    Follower,
    Open311Key,
    Photo,
    Report,
    ReportState,
    Route,
    Tier,
    Update,
)
from tinhso.feedback.rules import centre as get_centre
from tinhso.workdays.services import add_working_days

S = ReportState
K = Update.Kind
MAX_DESCRIPTION = 4000
HTML_RE = re.compile(r"<\s*/?\s*[a-zA-Z!][^>]*>|&(#\d+|[a-zA-Z]+);")


def submit_rate() -> str:
    return str(getattr(settings, "FEEDBACK_SUBMIT_RATE", "20/hour"))


# ---------------------------------------------------------------------------------------
# Configuration (data: tiers, categories, areas, routes, the centre)


@transaction.atomic
def save_tier(*, actor: Any, code: str, name: str, workdays: Decimal | int | str) -> Tier:
    require(actor, "feedback.centre")
    tier, _created = Tier.objects.update_or_create(
        code=code, defaults={"name": clean_text(name), "workdays": Decimal(str(workdays))}
    )
    record(actor=actor, action="feedback.tier_saved", obj=tier, summary={"workdays": workdays})
    return tier


@transaction.atomic
def save_category(
    *,
    actor: Any,
    code: str,
    name: str,
    tier: Tier,
    notice: str = "",
    description: str = "",
    group: str = "",
    keywords: str = "",
    duplicate_radius_m: int = 50,
    attributes: list | None = None,
    order: int = 100,
) -> Category:
    require(actor, "feedback.centre")
    category, _created = Category.objects.update_or_create(
        code=code,
        defaults=dict(
            name=clean_text(name),
            tier=tier,
            notice=clean_text(notice),
            description=clean_text(description),
            group=clean_text(group),
            keywords=clean_text(keywords),
            duplicate_radius_m=max(0, int(duplicate_radius_m)),
            attributes=attributes or [],
            order=order,
        ),
    )
    record(actor=actor, action="feedback.category_saved", obj=category)
    return category


@transaction.atomic
def set_centre(
    *, actor: Any, agency: Agency, jurisdiction_id: str = "", reopen_days: int = 7
) -> Centre:
    if Centre.objects.exists():
        require(actor, "feedback.centre")
    else:
        from tinhso.accounts.rules import is_platform_admin
        from tinhso.core.errors import PermissionDenied

        if not is_platform_admin(actor):
            raise PermissionDenied()
    config = Centre.objects.first() or Centre(agency=agency)
    config.agency = agency
    config.jurisdiction_id = jurisdiction_id
    config.reopen_days = reopen_days
    config.save()
    record(actor=actor, action="feedback.centre_set", obj=config, agency=agency)
    return config


@transaction.atomic
def import_areas(*, actor: Any, geojson: dict) -> int:
    """Store the polygons of a GeoJSON FeatureCollection whose features carry the
    administrative unit's `code` in their properties. Returns how many were stored."""
    require(actor, "feedback.centre")
    features = geojson.get("features") if isinstance(geojson, dict) else None
    if not isinstance(features, list) or not features:
        raise ValidationFailed(_("Ranh giới không hợp lệ."), code=E.INVALID_GEOJSON)
    count = 0
    for feature in features:
        code = str((feature.get("properties") or {}).get("code", ""))
        unit = AdministrativeUnit.objects.filter(code=code).first()
        if unit is None:
            raise ValidationFailed(
                _("Không có đơn vị hành chính mã %(code)s.") % {"code": code[:20]},
                code=E.INVALID_GEOJSON,
            )
        geom = geo.geometry_of(feature.get("geometry"))
        lng0, lat0, lng1, lat1 = geom.bounds
        Area.objects.update_or_create(
            admin_unit=unit,
            defaults=dict(
                geometry=feature["geometry"], min_lat=lat0, max_lat=lat1, min_lng=lng0, max_lng=lng1
            ),
        )
        count += 1
    record(actor=actor, action="feedback.areas_imported", summary={"areas": count})
    transaction.on_commit(geo.forget)
    return count


@transaction.atomic
def set_route(
    *,
    actor: Any,
    agency: Agency,
    category: Category | None = None,
    admin_unit: AdministrativeUnit | None = None,
) -> Route:
    require(actor, "feedback.centre")
    route = Route.objects.filter(category=category, admin_unit=admin_unit).first()
    if route is None:
        route = Route(category=category, admin_unit=admin_unit)
    route.agency = agency
    route.save()
    record(
        actor=actor,
        action="feedback.route_set",
        obj=agency,
        summary={
            "category": getattr(category, "code", None),
            "admin_unit": getattr(admin_unit, "code", None),
        },
    )
    return route


def issue_open311_key(*, actor: Any, name: str) -> tuple[Open311Key, str]:
    """A new Open311 API key; the key itself is returned once, only its hash is kept."""
    import hashlib

    require(actor, "feedback.centre")
    key = secrets.token_urlsafe(24)
    with transaction.atomic():
        row = Open311Key.objects.create(
            name=clean_text(name)[:150],
            key_prefix=key[:8],
            key_hash=hashlib.sha256(key.encode()).hexdigest(),
        )
        record(actor=actor, action="feedback.open311_key_issued", obj=row)
    return row, key


# ---------------------------------------------------------------------------------------
# Routing and deadlines


def route_for(category: Category, unit_id: int | None) -> Agency | None:
    """The handling agency of a category in an administrative unit (`reference.route`)."""
    return reference.route(category.pk, unit_id)


def deadline_for(category: Category, start: datetime) -> datetime:
    return add_working_days(start, category.tier.workdays)


# ---------------------------------------------------------------------------------------
# Input checks (one path for the page, the app's API and Open311)


def get_category(code: Any) -> Category:
    category = reference.active_category(str(code or "")[:40])
    if category is None:
        raise ValidationFailed(_("Lĩnh vực phản ánh không tồn tại."), code=E.UNKNOWN_CATEGORY)
    return category


def clean_description(value: Any, *, required: bool = True) -> str:
    text = clean_text(str(value or ""), multiline=True).strip()
    if not text and required:
        raise ValidationFailed(_("Vui lòng mô tả vấn đề."), code=E.DESCRIPTION_REQUIRED)
    if len(text) > MAX_DESCRIPTION:
        raise ValidationFailed(
            _("Nội dung tối đa %(n)d ký tự.") % {"n": MAX_DESCRIPTION},
            code=E.DESCRIPTION_TOO_LONG,
        )
    if HTML_RE.search(text):
        raise ValidationFailed(_("Nội dung không được chứa mã HTML."), code=E.HTML_NOT_ALLOWED)
    return text


def locate(*, lat: Any = None, lng: Any = None, address: str = "") -> tuple[float, float, int]:
    """(lat, lng, admin unit id) from coordinates, or from an address naming a commune."""
    address = clean_text(str(address or ""))[:255]
    if lat in (None, "") or lng in (None, ""):
        if not address:
            raise ValidationFailed(
                _("Vui lòng chọn vị trí trên bản đồ, dùng GPS hoặc nhập địa chỉ."),
                code=E.PLACE_REQUIRED,
            )
        from tinhso.core.text import fold

        folded = fold(address)
        for area in Area.objects.select_related("admin_unit"):
            name = fold(area.admin_unit.name)
            bare = name.split(" ", 1)[1] if " " in name else name
            if name in folded or bare in folded:
                point = geo.representative_point(area.admin_unit_id)
                if point is not None:
                    return point[0], point[1], area.admin_unit_id
        raise ValidationFailed(
            _("Không tìm thấy địa chỉ trên địa bàn tỉnh; hãy chọn vị trí trên bản đồ."),
            code=E.ADDRESS_NOT_FOUND,
        )
    lat_f, lng_f = geo.check_coordinates(lat, lng)
    unit_id = geo.unit_at(lat_f, lng_f)
    if unit_id is None:
        raise ValidationFailed(_("Vị trí nằm ngoài địa bàn tỉnh."), code=E.OUTSIDE_PROVINCE)
    return lat_f, lng_f, unit_id


def clean_attributes(category: Category, values: dict | None) -> dict[str, Any]:
    values = values or {}
    result: dict[str, Any] = {}
    for attr in category.attributes or []:
        code = attr.get("code")
        value = values.get(code)
        if value in (None, "", []):
            if attr.get("required"):
                raise ValidationFailed(
                    _("Thiếu thông tin bắt buộc: %(name)s.")
                    % {"name": attr.get("description", code)},
                    code=E.INVALID_ATTRIBUTE,
                )
            continue
        keys = {str(v.get("key")) for v in attr.get("values") or []}
        if attr.get("datatype") in ("singlevaluelist", "multivaluelist"):
            items = value if isinstance(value, list) else [value]
            items = [str(v) for v in items]
            if not set(items) <= keys:
                raise ValidationFailed(
                    _("Giá trị không hợp lệ: %(name)s.") % {"name": attr.get("description", code)},
                    code=E.INVALID_ATTRIBUTE,
                )
            result[code] = items if attr["datatype"] == "multivaluelist" else items[0]
        else:
            result[code] = clean_text(str(value))[:500]
    return result


def _photos(files: Iterable[Any] | None) -> list[images.Processed]:
    files = [f for f in (files or []) if f]
    if not files:
        return []
    config = get_centre()
    limit = config.max_photos if config else 5
    if len(files) > limit:
        raise ValidationFailed(_("Tối đa %(n)d ảnh.") % {"n": limit}, code=E.TOO_MANY_PHOTOS)
    return [
        images.process(f if isinstance(f, bytes) else f.read(images.MAX_BYTES + 1)) for f in files
    ]


def _store_photos(
    report: Report, processed: list[images.Processed], kind: str, stored: list[str]
) -> list[Photo]:
    """Store the files; their names go into `stored` so a rollback can delete them."""
    photos = []
    for item in processed:
        photo = Photo(
            report=report, kind=kind, sha256=item.sha256, width=item.width, height=item.height
        )
        photo.file.save(f"{photo.uid}.jpg", ContentFile(item.data), save=False)
        stored.append(str(photo.file.name))
        photo.save()
        photos.append(photo)
    return photos


def _delete_files(names: list[str]) -> None:
    from django.core.files.storage import default_storage

    for name in names:
        default_storage.delete(name)


CODE_DRAWS = 5


def _new_code(now: datetime) -> str:
    """PA, the day, six random digits. Not looked up first: the unique index refuses the
    rare repeat and `submit_report` draws again, a query saved on every report."""
    day = timezone.localtime(now).strftime("%y%m%d")
    return f"PA{day}{secrets.randbelow(10**6):06d}"


def _update(
    report: Report,
    kind: str,
    *,
    actor: Any = None,
    text: str = "",
    public: bool = True,
    agency: Any = None,
) -> Update:
    return Update.objects.create(
        report=report,
        kind=kind,
        text=text,
        public=public,
        actor=actor if getattr(actor, "pk", None) else None,
        agency=agency,
        state_after=report.state,
    )


def _notify(report: Report, update: Update, *, new: bool = False) -> None:
    """Tell the reporter and the followers (outbox: e-mail / SMS, and the in-app inbox).
    A `new` report has no follower but its reporter."""
    from tinhso.core.site import absolute_url
    from tinhso.notify.models import Message
    from tinhso.notify.services import enqueue, notify_user

    context = {
        "code": report.code,
        "category": report.category.name,
        # The enums, not get_FOO_display(), which hashes every choice's label at each call.
        "state": ReportState(report.state).label,
        "kind": Update.Kind(update.kind).label,
        "text": update.text,
        "url": absolute_url(f"/feedback/r/{report.code}/"),
    }
    related = f"feedback:{report.code}"
    seen: set[int] = set()
    if report.reporter_id is not None:
        seen.add(report.reporter_id)
        notify_user(
            user=report.reporter,
            template="feedback_update",
            context=context,
            related_object=related,
        )
    elif report.reporter_email:
        enqueue(
            channel=Message.Channel.EMAIL,
            address=report.reporter_email,
            template="feedback_update",
            context=context,
            related_object=related,
        )
    if new:
        return
    for follower in report.followers.select_related("user").exclude(user_id__in=seen):
        notify_user(
            user=follower.user,
            template="feedback_update",
            context=context,
            related_object=related,
        )


# ---------------------------------------------------------------------------------------
# The citizen


def submit_report(
    *,
    actor: Any,
    category: str,
    description: str,
    lat: Any = None,
    lng: Any = None,
    address: str = "",
    photos: Iterable[IO[bytes] | bytes] | None = None,
    attributes: dict | None = None,
    source: str = Report.Source.WEB,
    device_id: str = "",
    contact: dict[str, str] | None = None,
    client: str = "",
    now: datetime | None = None,
) -> Report:
    """Validate, locate, route, store and notify a new report. Everything is checked
    before anything is written; a refusal writes nothing."""
    now = now or timezone.now()
    cat = get_category(category)
    text = clean_description(description)
    processed = _photos(photos)
    if lat in (None, "") or lng in (None, ""):
        gps = next((p.gps for p in processed if p.gps), None)  # the photo's own position
        if gps is not None:
            lat, lng = gps
    lat_f, lng_f, unit_id = locate(lat=lat, lng=lng, address=address)
    attrs = clean_attributes(cat, attributes)
    contact = {k: clean_text(str(v or ""))[:150] for k, v in (contact or {}).items()}
    device_id = clean_text(str(device_id or ""))[:100]
    # Rate limit: per account, device and client address (whichever are known).
    keys = []
    if getattr(actor, "is_authenticated", False):
        keys.append(f"u{actor.pk}")
    if device_id:
        keys.append(f"d{device_id}")
    if client:
        keys.append(f"ip{client}")
    refused = [
        d for d in ratelimit.hit_each("feedback_submit", keys, submit_rate()) if not d.allowed
    ]
    if refused:
        raise ratelimit.RateLimited(
            _("Bạn đã gửi quá nhiều phản ánh; vui lòng thử lại sau."),
            code=E.RATE_LIMITED,
            retry_after=max(d.retry_after for d in refused),
        )
    reporter = actor if getattr(actor, "is_authenticated", False) else None
    report = Report(
        category=cat,
        description=text,
        lat=lat_f,
        lng=lng_f,
        address=clean_text(str(address or ""))[:255],
        admin_unit_id=unit_id,
        agency=route_for(cat, unit_id),
        source=source,
        attributes=attrs,
        reporter=reporter,
        reporter_name=contact.get("name", "") or getattr(reporter, "full_name", ""),
        reporter_phone=(contact.get("phone", "") or getattr(reporter, "phone", ""))[:20],
        reporter_email=contact.get("email", "") or getattr(reporter, "email", ""),
        device_id=device_id,
        token=secrets.token_hex(8) if source == Report.Source.OPEN311 else "",
        deadline=deadline_for(cat, now),
        follower_count=1 if reporter is not None else 0,
    )
    for draw in range(1, CODE_DRAWS + 1):
        report.code = _new_code(now)
        try:
            return _write_new_report(report, processed)
        except IntegrityError:
            if draw == CODE_DRAWS or not Report.objects.filter(code=report.code).exists():
                raise
            report.pk = None  # that code was taken and nothing was written: draw another
    raise AssertionError("unreachable")  # the last draw returns or raises


def _write_new_report(report: Report, processed: list[images.Processed]) -> Report:
    """Store a new report with its photos, first update, audit entry and the reporter's
    notice, in one transaction; a failure leaves no row and no file."""
    stored_names: list[str] = []
    try:
        with transaction.atomic():
            report._state.adding = True
            report.save(force_insert=True)
            _store_photos(report, processed, Photo.Kind.REPORT, stored_names)
            if report.reporter is not None:
                Follower.objects.create(report=report, user=report.reporter)
            update = _update(report, K.SUBMITTED, actor=report.reporter)
            record(
                actor=report.reporter,
                action="feedback.report_submitted",
                obj=report,
                agency=report.agency,
                summary={
                    "category": report.category.code,
                    "source": report.source,
                    "photos": len(processed),
                },
            )
            _notify(report, update, new=True)
    except BaseException:
        _delete_files(stored_names)
        raise
    return report


@transaction.atomic
def follow(*, actor: Any, report: Report) -> bool:
    """Follow an open report instead of filing a duplicate; True if newly followed."""
    from tinhso.core.errors import PermissionDenied

    if not getattr(actor, "is_authenticated", False):
        raise PermissionDenied()
    if report.hidden:
        raise NotFound()
    _row, created = Follower.objects.get_or_create(report=report, user=actor)
    if created:
        Report.objects.filter(pk=report.pk).update(follower_count=F("follower_count") + 1)
        record(actor=actor, action="feedback.followed", obj=report)
    return created


@transaction.atomic
def unfollow(*, actor: Any, report: Report) -> None:
    deleted, _x = Follower.objects.filter(report=report, user_id=actor.pk).delete()
    if deleted:
        Report.objects.filter(pk=report.pk).update(follower_count=F("follower_count") - 1)


def check_reopen_window(report: Report, now: datetime | None = None) -> None:
    config = get_centre()
    days = config.reopen_days if config else 7
    now = now or timezone.now()
    if report.answered_at is None or now > report.answered_at + timedelta(days=days):
        raise Conflict(
            _("Đã quá %(days)d ngày kể từ khi trả lời, không thể mở lại.") % {"days": days},
            code=E.REOPEN_WINDOW_PASSED,
        )


# ---------------------------------------------------------------------------------------
# Workflow actions (centre, agency, reporter): `act(..., action=NAME, **input)`


def _reason(value: Any, *, required: bool = True, limit: int = 500) -> str:
    text = clean_text(str(value or ""), multiline=True).strip()
    if required and not text:
        raise ValidationFailed(_("Vui lòng nêu lý do."), code=E.REASON_REQUIRED)
    if len(text) > limit:
        raise ValidationFailed(
            _("Nội dung tối đa %(n)d ký tự.") % {"n": limit}, code=E.DESCRIPTION_TOO_LONG
        )
    if HTML_RE.search(text):
        raise ValidationFailed(_("Nội dung không được chứa mã HTML."), code=E.HTML_NOT_ALLOWED)
    return text


def _reroute(report: Report, now: datetime) -> None:
    """After a change of category or place: the route and the deadline follow."""
    agency = route_for(report.category, report.admin_unit_id)
    if report.state in (S.ROUTED, S.IN_PROGRESS, S.INFO_REQUESTED):
        if agency is None:
            raise ValidationFailed(
                _("Chưa có cơ quan xử lý cho lĩnh vực và địa bàn này."), code=E.NO_ROUTE
            )
        if agency.pk != report.agency_id:
            report.agency = agency
            report.assignee = None
            report.state = S.ROUTED
            report.routed_at = now
            report.deadline = deadline_for(report.category, now)
    else:
        report.agency = agency
        report.deadline = deadline_for(report.category, report.created_at)


def _do_accept(report, actor, now, data):
    if report.agency_id is None:
        report.agency = route_for(report.category, report.admin_unit_id)
    if report.agency is None:
        raise ValidationFailed(
            _("Chưa có cơ quan xử lý cho lĩnh vực và địa bàn này."), code=E.NO_ROUTE
        )
    report.state = S.ROUTED
    report.routed_at = now
    report.returned_by_agency = False
    if report.deadline is None:
        report.deadline = deadline_for(report.category, report.created_at)
    note = _reason(data.get("note"), required=False)
    text = _("Đã chuyển %(agency)s xử lý.") % {"agency": report.agency.name}
    return K.ACCEPTED, (f"{text} {note}".strip()), True


def _do_reject(report, actor, now, data):
    reason = _reason(data.get("reason"))
    report.state = S.REJECTED
    report.reject_reason = reason
    return K.REJECTED, reason, True


def _do_merge(report, actor, now, data):
    code = str(data.get("original") or "").strip().upper()[:20]
    original = Report.objects.filter(code=code).first()
    if original is None or original.pk == report.pk or original.duplicate_of_id == report.pk:
        raise ValidationFailed(_("Phản ánh gốc không hợp lệ."), code=E.DUPLICATE_TARGET)
    while original.duplicate_of_id is not None:
        original = original.duplicate_of
    report.state = S.DUPLICATE
    report.duplicate_of = original
    # the reporter and followers now follow the original
    users = set(report.followers.values_list("user_id", flat=True))
    if report.reporter_id:
        users.add(report.reporter_id)
    existing = set(original.followers.values_list("user_id", flat=True))
    new = [Follower(report=original, user_id=u) for u in users - existing]
    Follower.objects.bulk_create(new)
    Report.objects.filter(pk=original.pk).update(follower_count=F("follower_count") + len(new))
    return K.MERGED, _("Trùng với phản ánh %(code)s.") % {"code": original.code}, True


def _do_recategorise(report, actor, now, data):
    category = get_category(data.get("category"))
    old = report.category.name
    report.category = category
    _reroute(report, now)
    return K.RECATEGORISED, f"{old} → {category.name}", True


def _do_move(report, actor, now, data):
    address = data.get("address") or ""
    lat, lng, unit_id = locate(lat=data.get("lat"), lng=data.get("lng"), address=address)
    report.lat, report.lng, report.admin_unit_id = lat, lng, unit_id
    if address:
        report.address = clean_text(str(address))[:255]
    _reroute(report, now)
    return K.MOVED, report.address, True


def _do_hide(report, actor, now, data):
    report.hidden = True
    return K.HIDDEN, _reason(data.get("reason")), False


def _do_show(report, actor, now, data):
    report.hidden = False
    return K.SHOWN, "", False


def _do_redact(report, actor, now, data):
    photo = report.photos.filter(uid=_uuid(data.get("photo")), redacted=False).first()
    if photo is None:
        raise ValidationFailed(_("Ảnh không tồn tại."), code=E.UNKNOWN_PHOTO)
    old = photo.file.name
    grey = images.redacted_copy(photo.width, photo.height)
    photo.file.save(f"{photo.uid}-r.jpg", ContentFile(grey), save=False)
    import hashlib

    photo.sha256 = hashlib.sha256(grey).hexdigest()
    photo.redacted = True
    photo.save()
    from django.core.files.storage import default_storage

    transaction.on_commit(lambda: default_storage.delete(old))
    return K.REDACTED, "", False


def _uuid(value: Any):
    import uuid

    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError):
        return None


def _do_anonymise(report, actor, now, data):
    report.anonymised = True
    report.reporter_name = ""
    report.reporter_phone = ""
    report.reporter_email = ""
    report.device_id = ""
    return K.ANONYMISED, "", False


def _do_assign(report, actor, now, data):
    from tinhso.accounts.models import User
    from tinhso.feedback.selectors import agency_handlers

    uid = _uuid(data.get("assignee"))
    user = User.objects.filter(uid=uid).first() if uid else None
    if user is None or user not in agency_handlers(report.agency):
        raise ValidationFailed(
            _("Người được phân công không thuộc cơ quan xử lý."), code=E.ASSIGNEE_OUTSIDE_AGENCY
        )
    report.assignee = user
    report.state = S.IN_PROGRESS
    note = _reason(data.get("note"), required=False)
    return K.ASSIGNED, f"{user.full_name or user.username}. {note}".strip(" ."), False


def _do_answer(report, actor, now, data):
    text = clean_description(data.get("text"), required=False)
    if not text:
        raise ValidationFailed(_("Vui lòng nhập nội dung trả lời."), code=E.ANSWER_REQUIRED)
    processed = data.get("_photos") or []
    _store_photos(report, processed, Photo.Kind.ANSWER, data["_stored"])
    report.state = S.ANSWERED
    report.answer = text
    report.answered_at = now
    report.rating = None
    report.rating_note = ""
    return K.ANSWERED, text, True


def _do_request_info(report, actor, now, data):
    text = _reason(data.get("text"), limit=MAX_DESCRIPTION)
    report.state = S.INFO_REQUESTED
    return K.INFO_REQUESTED, text, True


def _do_provide_info(report, actor, now, data):
    text = clean_description(data.get("text"))
    report.state = S.IN_PROGRESS if report.assignee_id else S.ROUTED
    return K.INFO_PROVIDED, text, True


def _do_transfer(report, actor, now, data):
    code = str(data.get("agency") or "")[:35]
    agency = Agency.objects.active().filter(code=code).first()
    if agency is None:
        raise ValidationFailed(_("Cơ quan không tồn tại."), code=E.UNKNOWN_AGENCY)
    if agency.pk == report.agency_id:
        raise ValidationFailed(_("Phản ánh đang ở cơ quan này."), code=E.SAME_AGENCY)
    reason = _reason(data.get("reason"))
    report.agency = agency
    report.assignee = None
    report.state = S.ROUTED
    report.routed_at = now
    report.deadline = deadline_for(report.category, now)
    return K.TRANSFERRED, f"{agency.name}: {reason}", True


def _do_not_ours(report, actor, now, data):
    reason = _reason(data.get("reason"))
    report.state = S.NEW
    report.assignee = None
    report.returned_by_agency = True
    return K.NOT_OURS, reason, False


def _do_rate(report, actor, now, data):
    try:
        rating = int(data.get("rating"))
    except (TypeError, ValueError):
        rating = 0
    if not 1 <= rating <= 5:
        raise ValidationFailed(_("Mức đánh giá từ 1 đến 5."), code=E.INVALID_RATING)
    report.rating = rating
    report.rating_note = _reason(data.get("note"), required=False)
    return K.RATED, f"{rating}/5 {report.rating_note}".strip(), True


def _do_reopen(report, actor, now, data):
    check_reopen_window(report, now)
    reason = _reason(data.get("reason"))
    report.state = S.IN_PROGRESS if report.assignee_id else S.ROUTED
    report.reopen_count += 1
    report.answered_at = None
    report.rating = None
    report.deadline = deadline_for(report.category, now)
    return K.REOPENED, reason, True


RUNNERS = {
    "accept": _do_accept,
    "reject": _do_reject,
    "merge": _do_merge,
    "recategorise": _do_recategorise,
    "move": _do_move,
    "hide": _do_hide,
    "show": _do_show,
    "redact": _do_redact,
    "anonymise": _do_anonymise,
    "assign": _do_assign,
    "answer": _do_answer,
    "request_info": _do_request_info,
    "provide_info": _do_provide_info,
    "transfer": _do_transfer,
    "not_ours": _do_not_ours,
    "rate": _do_rate,
    "reopen": _do_reopen,
}
assert set(RUNNERS) == set(workflow.ACTIONS)


def act(
    *, actor: Any, report: Report, action: str, now: datetime | None = None, **data: Any
) -> Report:
    """Run one workflow action. Photos (`photos=[files]`) are checked before the write."""
    now = now or timezone.now()
    workflow.check(action, actor, report)
    if action == "answer":
        data["_photos"] = _photos(data.pop("photos", None))
    stored: list[str] = []
    data["_stored"] = stored
    try:
        with transaction.atomic():
            locked = (
                Report.objects.select_for_update()
                .select_related("category__tier")
                .get(pk=report.pk)
            )
            if locked.version != report.version:
                raise Conflict()
            workflow.check(action, actor, locked)
            old_agency = locked.agency_id
            kind, text, public = RUNNERS[action](locked, actor, now, data)
            locked.version += 1
            locked.save()
            update = _update(
                locked, kind, actor=actor, text=text, public=public, agency=locked.agency
            )
            record(
                actor=actor,
                action=f"feedback.{action}",
                obj=locked,
                agency=locked.agency or old_agency,
                summary={"state": locked.state, "text": text[:200]},
            )
            if public and action not in ("rate",):
                _notify(locked, update)
    except BaseException:
        _delete_files(stored)
        raise
    report.__dict__.update(locked.__dict__)
    return locked


def escalate_overdue(*, now: datetime | None = None) -> int:
    """Open reports past their deadline are flagged to the centre (once each)."""
    now = now or timezone.now()
    count = 0
    rows = Report.objects.filter(
        state__in=[S.ROUTED, S.IN_PROGRESS], deadline__lt=now, escalated_at__isnull=True
    ).values_list("pk", flat=True)[:1000]
    for pk in rows:
        with transaction.atomic():
            report = Report.objects.select_for_update().get(pk=pk)
            if report.escalated_at is not None:
                continue
            report.escalated_at = now
            report.save(update_fields=["escalated_at"])
            _update(report, K.ESCALATED, public=False, agency=report.agency)
            config = get_centre()
            record(
                actor=None,
                action="feedback.escalated",
                obj=report,
                agency=config.agency if config else report.agency,
            )
            count += 1
    return count
