"""Open311 GeoReport v2 server, to the specification (https://wiki.open311.org/GeoReport_v2),
not to FixMyStreet's deviations: XML by default (and JSON), format by suffix, UTF-8,
ISO 8601 times with a time zone, errors as `<errors><error>` / `[{code, description}]`
(404 for an unknown jurisdiction / service / request / token, 403 for a missing or wrong
api_key, 400 for the rest), `GET requests` within a 90-day window.

Mounted under /api/v1/feedback/open311/v2/. The views are DRF views (so they are in the
OpenAPI schema) that build their own XML/JSON bodies.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from typing import Any
from xml.etree import ElementTree as ET

from django.db.models import Q, QuerySet
from django.http import HttpResponse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from tinhso.core.errors import DomainError
from tinhso.core.middleware import client_ip
from tinhso.core.site import absolute_url
from tinhso.feedback import selectors, services
from tinhso.feedback.models import OPEN_STATES, Category, Open311Key, Photo, Report, ReportState
from tinhso.feedback.rules import centre

FORMATS = ("xml", "json")
MAX_WINDOW = timedelta(days=90)
MAX_REQUESTS = 200  # per answer (the spec sets none; FixMyStreet: 1000)


class Open311Error(Exception):
    def __init__(self, status: int, code: str, description: str) -> None:
        self.status, self.code, self.description = status, code, description
        super().__init__(description)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return iso(value)
    return str(value)


def iso(value: datetime | None) -> str:
    if value is None:
        return ""
    return timezone.localtime(value).isoformat(timespec="seconds")


def _xml_add(parent: ET.Element, name: str, value: Any) -> None:
    child = ET.SubElement(parent, name)
    if isinstance(value, dict):
        for k, v in value.items():
            _xml_add(child, k, v)
    elif isinstance(value, list):
        item_name = {
            "attributes": "attribute",
            "values": "value",
            "endpoints": "endpoint",
            "formats": "format",
        }.get(name, "item")
        for v in value:
            _xml_add(child, item_name, v)
    else:
        child.text = _text(value)


def render(fmt: str, root: str, item: str | None, data: Any, status: int = 200) -> HttpResponse:
    """XML: `<root><item>…</item></root>` (or the object's fields under root); JSON: the
    same mapped programmatically (lists become top-level arrays)."""
    if fmt == "json":
        return HttpResponse(
            json.dumps(data, ensure_ascii=False, default=_text),
            status=status,
            content_type="application/json; charset=utf-8",
        )
    top = ET.Element(root)
    if item is None:
        for k, v in data.items():
            _xml_add(top, k, v)
    else:
        for row in data:
            node = ET.SubElement(top, item)
            for k, v in row.items():
                _xml_add(node, k, v)
    body = b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(
        top, encoding="utf-8", xml_declaration=False
    )
    return HttpResponse(body, status=status, content_type="text/xml; charset=utf-8")


def error(fmt: str, status: int, code: str, description: str) -> HttpResponse:
    rows = [{"code": code, "description": description}]
    return render(fmt if fmt in FORMATS else "xml", "errors", "error", rows, status=status)


def _check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise Open311Error(400, "unsupported_format", _("Định dạng phải là xml hoặc json."))
    return fmt


def _param(request, name: str) -> str:
    source = request.POST if request.method == "POST" else request.GET
    return str(source.get(name, "") or "").strip()


def _check_jurisdiction(request) -> None:
    given = _param(request, "jurisdiction_id")
    config = centre()
    expected = config.jurisdiction_id if config else ""
    if given and given != expected:
        raise Open311Error(
            404, "jurisdiction_not_found", _("jurisdiction_id không đúng với hệ thống này.")
        )


def _check_key(request) -> Open311Key:
    key = _param(request, "api_key")
    if not key:
        raise Open311Error(403, "api_key_required", _("Thiếu api_key."))
    row = Open311Key.objects.filter(
        key_hash=hashlib.sha256(key.encode()).hexdigest(), revoked_at__isnull=True
    ).first()
    if row is None:
        raise Open311Error(403, "api_key_invalid", _("api_key không hợp lệ."))
    return row


def service_row(category: Category) -> dict[str, Any]:
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": category.description,
        "metadata": bool(category.attributes),
        "type": "realtime",
        "keywords": category.keywords,
        "group": category.group,
    }


_ROW_FIELDS = (
    "id",
    "code",
    "state",
    "duplicate_of__code",
    "reject_reason",
    "answer",
    "category__name",
    "category__code",
    "category__notice",
    "description",
    "agency__name",
    "created_at",
    "updated_at",
    "deadline",
    "address",
    "lat",
    "lng",
)


def request_rows(reports: QuerySet[Report]) -> list[dict[str, Any]]:
    """The Open311 rows of `reports`, read as plain values (one query, and one for the
    first photos): a page of 200 builds no model instance."""
    found = list(reports.values(*_ROW_FIELDS))
    photos: dict[int, str] = {}
    for report_id, uid in (
        Photo.objects.filter(report_id__in=[r["id"] for r in found], kind=Photo.Kind.REPORT)
        .order_by("-id")
        .values_list("report_id", "uid")
    ):
        photos[report_id] = str(uid)  # the earliest photo wins (ids descending)
    labels = {value: str(label) for value, label in ReportState.choices}
    return [_row(r, labels, photos.get(r["id"])) for r in found]


def _row(r: dict[str, Any], labels: dict[str, str], photo: str | None) -> dict[str, Any]:
    return {
        "service_request_id": r["code"],
        "status": "open" if r["state"] in OPEN_STATES else "closed",
        "status_notes": _status_notes(r, labels),
        "service_name": r["category__name"],
        "service_code": r["category__code"],
        "description": r["description"],
        "agency_responsible": r["agency__name"] or "",
        "service_notice": r["category__notice"],
        "requested_datetime": iso(r["created_at"]),
        "updated_datetime": iso(r["updated_at"]),
        "expected_datetime": iso(r["deadline"]),
        "address": r["address"],
        "address_id": "",
        "zipcode": "",
        "lat": r["lat"],
        "long": r["lng"],
        "media_url": absolute_url(f"/feedback/anh/{photo}/") if photo else "",
    }


def _status_notes(r: dict[str, Any], labels: dict[str, str]) -> str:
    if r["state"] == ReportState.NEW:
        return ""
    if r["duplicate_of__code"]:
        return _("Trùng với phản ánh %(code)s.") % {"code": r["duplicate_of__code"]}
    if r["reject_reason"] and r["state"] == ReportState.REJECTED:
        return r["reject_reason"]
    return r["answer"] or labels.get(r["state"], r["state"])


def _date(value: str, name: str) -> datetime | None:
    if not value:
        return None
    parsed = parse_datetime(value.replace(" ", "+")) if "T" in value else None
    if parsed is None:
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            parsed = None
    if parsed is None:
        raise Open311Error(
            400, "invalid_date", _("%(name)s không đúng định dạng ISO 8601.") % {"name": name}
        )
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


def find_requests(request) -> QuerySet[Report]:
    """The reports a `GET requests` asks for (newest first, at most MAX_REQUESTS)."""
    qs = selectors.public_reports().order_by("-created_at")
    ids = [i.strip() for i in _param(request, "service_request_id").split(",") if i.strip()]
    if ids:
        return qs.filter(code__in=ids[:MAX_REQUESTS])
    codes = [c.strip() for c in _param(request, "service_code").split(",") if c.strip()]
    if codes:  # by id: the planner then walks (category, created_at) newest first
        category_ids = Category.objects.filter(code__in=codes[:100]).values_list("id", flat=True)
        qs = qs.filter(category_id__in=list(category_ids))
    statuses = {s.strip().lower() for s in _param(request, "status").split(",") if s.strip()}
    if statuses - {"open", "closed"}:
        raise Open311Error(400, "invalid_status", _("status phải là open hoặc closed."))
    if statuses == {"open"}:
        qs = qs.filter(state__in=[s for s in selectors.OPEN_STATES])
    elif statuses == {"closed"}:
        qs = qs.exclude(state__in=[s for s in selectors.OPEN_STATES])
    start = _date(_param(request, "start_date"), "start_date")
    end = _date(_param(request, "end_date"), "end_date")
    now = timezone.now()
    if start is None and end is None:
        end, start = now, now - MAX_WINDOW
    elif start is None:
        assert end is not None
        start = end - MAX_WINDOW
    elif end is None:
        end = min(now, start + MAX_WINDOW)
    if end < start:
        raise Open311Error(400, "invalid_date", _("end_date phải sau start_date."))
    if end - start > MAX_WINDOW:
        raise Open311Error(
            400, "date_window_too_large", _("start_date và end_date cách nhau tối đa 90 ngày.")
        )
    return qs.filter(Q(created_at__gte=start) & Q(created_at__lte=end))[:MAX_REQUESTS]


class _Open311View(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []

    def handle(self, request, fmt: str, body) -> HttpResponse:
        try:
            _check_format(fmt)
            _check_jurisdiction(request)
            return body(fmt)
        except Open311Error as exc:
            return error(fmt, exc.status, exc.code, exc.description)
        except DomainError as exc:
            status = 404 if exc.status == 404 else (429 if exc.status == 429 else 400)
            return error(fmt, status, str(exc.code), str(exc.message))


FMT = OpenApiParameter("fmt", OpenApiTypes.STR, OpenApiParameter.PATH, enum=list(FORMATS))
XML_OR_JSON: dict = {
    (200, "text/xml"): OpenApiTypes.STR,
    (200, "application/json"): OpenApiTypes.ANY,
    (201, "text/xml"): OpenApiTypes.STR,
    (201, "application/json"): OpenApiTypes.ANY,
}
for _status in (400, 403, 404, 429):
    XML_OR_JSON[(_status, "text/xml")] = OpenApiTypes.STR
    XML_OR_JSON[(_status, "application/json")] = {
        "type": "array",
        "items": {
            "type": "object",
            "properties": {"code": {"type": "string"}, "description": {"type": "string"}},
            "required": ["code", "description"],
        },
    }


class Discovery(_Open311View):
    @extend_schema(
        operation_id="open311_discovery", parameters=[FMT], responses=XML_OR_JSON, tags=["open311"]
    )
    def get(self, request, fmt: str):
        def body(fmt: str) -> HttpResponse:
            base = absolute_url("/api/v1/feedback/open311/v2/")
            data = {
                "changeset": "2026-11-30T00:00:00+07:00",
                "contact": _("Trung tâm điều hành thông minh của tỉnh"),
                "key_service": absolute_url("/feedback/"),
                "endpoints": [
                    {
                        "specification": "http://wiki.open311.org/GeoReport_v2",
                        "url": base,
                        "changeset": "2026-11-30T00:00:00+07:00",
                        "type": "production",
                        "formats": ["text/xml", "application/json"],
                    }
                ],
            }
            return render(fmt, "discovery", None, data)

        return self.handle(request, fmt, body)


class Services(_Open311View):
    @extend_schema(
        operation_id="open311_services", parameters=[FMT], responses=XML_OR_JSON, tags=["open311"]
    )
    def get(self, request, fmt: str):
        def body(fmt: str) -> HttpResponse:
            rows = [service_row(c) for c in selectors.categories()]
            return render(fmt, "services", "service", rows)

        return self.handle(request, fmt, body)


class ServiceDefinition(_Open311View):
    @extend_schema(
        operation_id="open311_service_definition",
        parameters=[FMT],
        responses=XML_OR_JSON,
        tags=["open311"],
    )
    def get(self, request, code: str, fmt: str):
        def body(fmt: str) -> HttpResponse:
            category = selectors.categories().filter(code=code[:40]).first()
            if category is None:
                raise Open311Error(404, "service_not_found", _("service_code không tồn tại."))
            attributes = []
            for i, attr in enumerate(category.attributes or []):
                row = {
                    "variable": True,
                    "code": attr.get("code", ""),
                    "datatype": attr.get("datatype", "string"),
                    "required": bool(attr.get("required")),
                    "datatype_description": attr.get("datatype_description", ""),
                    "order": attr.get("order", i + 1),
                    "description": attr.get("description", ""),
                }
                if attr.get("values"):
                    row["values"] = [
                        {"key": v.get("key"), "name": v.get("name")} for v in attr["values"]
                    ]
                attributes.append(row)
            data = {"service_code": category.code, "attributes": attributes}
            return render(fmt, "service_definition", None, data)

        return self.handle(request, fmt, body)


def _attributes(request) -> dict[str, Any]:
    """attribute[code]=v and attribute[code][]=v1&attribute[code][]=v2."""
    out: dict[str, Any] = {}
    for key in request.POST:
        if not key.startswith("attribute[") or "]" not in key:
            continue
        code = key[len("attribute[") : key.index("]")]
        if key.endswith("[]"):
            out[code] = request.POST.getlist(key)
        else:
            out[code] = request.POST.get(key)
    return out


class Requests(_Open311View):
    @extend_schema(
        operation_id="open311_requests",
        parameters=[
            FMT,
            OpenApiParameter("service_request_id", str),
            OpenApiParameter("service_code", str),
            OpenApiParameter("start_date", str),
            OpenApiParameter("end_date", str),
            OpenApiParameter("status", str),
            OpenApiParameter("jurisdiction_id", str),
        ],
        responses=XML_OR_JSON,
        tags=["open311"],
    )
    def get(self, request, fmt: str):
        def body(fmt: str) -> HttpResponse:
            rows = request_rows(find_requests(request))
            return render(fmt, "service_requests", "request", rows)

        return self.handle(request, fmt, body)

    @extend_schema(
        operation_id="open311_create_request",
        parameters=[FMT],
        request={"application/x-www-form-urlencoded": OpenApiTypes.OBJECT},
        responses=XML_OR_JSON,
        tags=["open311"],
    )
    def post(self, request, fmt: str):
        def body(fmt: str) -> HttpResponse:
            post = request._request.POST
            key = _check_key(request._request)
            code = _param(request._request, "service_code")
            if not code:
                raise Open311Error(400, "service_code_required", _("Thiếu service_code."))
            if not Category.objects.filter(code=code[:40], is_active=True).exists():
                raise Open311Error(404, "service_not_found", _("service_code không tồn tại."))
            name = " ".join(p for p in (post.get("first_name", ""), post.get("last_name", "")) if p)
            report = services.submit_report(
                actor=None,
                category=code,
                description=post.get("description", ""),
                lat=post.get("lat") or None,
                lng=post.get("long") or None,
                address=post.get("address_string", ""),
                attributes=_attributes(request._request),
                source=Report.Source.OPEN311,
                device_id=post.get("device_id", "") or f"key{key.pk}",
                contact={
                    "name": name,
                    "phone": post.get("phone", ""),
                    "email": post.get("email", ""),
                },
                client=client_ip(request._request) or "",
            )
            rows = [
                {
                    "service_request_id": report.code,
                    "token": report.token,
                    "service_notice": report.category.notice,
                    "account_id": post.get("account_id", ""),
                }
            ]
            return render(fmt, "service_requests", "request", rows, status=201)

        return self.handle(request._request, fmt, body)


class RequestDetail(_Open311View):
    @extend_schema(
        operation_id="open311_request", parameters=[FMT], responses=XML_OR_JSON, tags=["open311"]
    )
    def get(self, request, request_id: str, fmt: str):
        def body(fmt: str) -> HttpResponse:
            rows = request_rows(selectors.public_reports().filter(code=request_id[:20])[:1])
            if not rows:
                raise Open311Error(404, "request_not_found", _("service_request_id không tồn tại."))
            return render(fmt, "service_requests", "request", rows)

        return self.handle(request, fmt, body)


class Token(_Open311View):
    @extend_schema(
        operation_id="open311_token", parameters=[FMT], responses=XML_OR_JSON, tags=["open311"]
    )
    def get(self, request, token: str, fmt: str):
        def body(fmt: str) -> HttpResponse:
            report = Report.objects.filter(token=token[:40]).exclude(token="").first()
            if report is None:
                raise Open311Error(404, "token_not_found", _("token không tồn tại."))
            rows = [{"service_request_id": report.code, "token": report.token}]
            return render(fmt, "service_requests", "request", rows)

        return self.handle(request, fmt, body)
