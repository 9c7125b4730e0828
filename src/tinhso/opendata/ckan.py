"""The CKAN Action API, at CKAN's addresses `/api/3/action/<name>` and `/api/action/<name>`
(the one the `ckanapi` client uses), so that ckanapi, harvesters and the national portal
work unchanged.

The envelope is CKAN's, byte for byte (`ckan/views/api.py`):
`{"help": ".../api/3/action/help_show?name=<action>", "success": true, "result": ...}`;
errors `{"help": ..., "success": false, "error": {"__type": ..., "message": ...}}` with
CKAN's statuses (Validation Error 409 with `field: [messages]`, Not Found Error 404,
Authorization Error 403, Search Query Error 400); an unknown action, a GET on an action
that writes, or a body that is not a JSON object answer 400 with a bare JSON string
(`"Bad request - ..."`), as CKAN does. JSON is written as CKAN's simplejson writes it.

The API key (`accounts.ApiToken`) is read from `Authorization` or `X-CKAN-API-Key`
(ckanapi sends both; CKAN 2.11 reads only one, configured).

Hard caps (documented on the API page, never silent): package_search `rows` ≤ 1000,
package_list / organization_list / group_list `limit` ≤ 1000 (also with `all_fields`:
no lower cap of 25 as in CKAN), datastore_search `limit` ≤ 32,000, datastore_create
`records` ≤ 10,000 per call, JSON bodies ≤ 20 MB, uploads ≤ OPENDATA_MAX_UPLOAD_BYTES
(100 MB). Asking for more is a Validation Error, never a shorter answer.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import connection, connections, transaction
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from tinhso.core.errors import DomainError, InvalidTransition
from tinhso.core.replica import current_alias, replica_reads
from tinhso.directory.models import Agency
from tinhso.opendata import datastore, selectors, services
from tinhso.opendata.errors import (
    OpendataError,
    OpendataErrorCode,
    OpendataNotAuthorized,
    OpendataNotFound,
    OpendataValidation,
    SearchQueryInvalid,
)
from tinhso.opendata.models import DatasetState, DatastoreTable, Licence, Resource, TopicGroup

MAX_JSON_BODY = 20 * 1024 * 1024
LIST_MAX = 1000
SQL_ROWS_MAX = datastore.MAX_LIMIT

Action = Callable[["Call", dict[str, Any]], Any]
ACTIONS: dict[str, Action] = {}
READ_ONLY: set[str] = set()


def action(name: str, *, side_effect_free: bool = False) -> Callable[[Action], Action]:
    def register(function: Action) -> Action:
        ACTIONS[name] = function
        if side_effect_free:
            READ_ONLY.add(name)
        return function

    return register


class Call:
    """One API call: who calls, and the site address for absolute URLs."""

    def __init__(self, request: HttpRequest, user: Any) -> None:
        self.request = request
        self.user = user
        self.base = request.build_absolute_uri("/").rstrip("/")


# ---------------------------------------------------------------------------------------
# the envelope


def dumps(data: Any) -> str:
    """As CKAN's simplejson.dumps: separators ', ' and ': ', ASCII escapes."""
    return json.dumps(data)


def _finish(status: int, data: Any, request: HttpRequest) -> HttpResponse:
    body = dumps(data)
    content_type = "application/json;charset=utf-8"
    callback = request.GET.get("callback", "")
    jsonp = re.fullmatch(r"[A-Za-z_$][\w$.]{0,63}", callback)
    if status == 200 and jsonp and request.method == "GET":
        body = f"{callback}({body});"
        content_type = "application/javascript;charset=utf-8"
    response = HttpResponse(body, status=status, content_type=content_type)
    response["Access-Control-Allow-Origin"] = "*"
    return response


def _bad_request(message: str, request: HttpRequest) -> HttpResponse:
    return _finish(400, f"Bad request - {message}", request)


def _error_body(err: Exception) -> tuple[int, dict[str, Any]]:
    if isinstance(err, SearchQueryInvalid):
        return 400, {
            "__type": "Search Query Error",
            "message": f"Search Query is invalid: {err.args!r}",
        }
    if isinstance(err, OpendataNotFound) or (isinstance(err, DomainError) and err.status == 404):
        message = str(getattr(err, "message", "") or "")
        return 404, {
            "__type": "Not Found Error",
            "message": f"Not found: {message}" if message else "Not found",
        }
    if isinstance(err, OpendataNotAuthorized) or (
        isinstance(err, DomainError) and err.status in (401, 403)
    ):
        message = str(getattr(err, "message", "") or "")
        return 403, {
            "__type": "Authorization Error",
            "message": f"Access denied: {message}" if message else "Access denied",
        }
    if isinstance(err, DomainError):
        field = getattr(err, "field", None) or (
            "state" if isinstance(err, InvalidTransition) else "message"
        )
        body: dict[str, Any] = {field: [str(err.message)]}
        if err.details and field == "records":
            body["records_errors"] = err.details
        body["__type"] = "Validation Error"
        return 409, body
    return 500, {"__type": "Internal Server Error", "message": "Internal Server Error"}


# ---------------------------------------------------------------------------------------
# request parsing


def _user(request: HttpRequest) -> Any:
    """The key's owner, anonymous without a key; a wrong or expired key is refused."""
    from django.contrib.auth.models import AnonymousUser

    from tinhso.accounts.authentication import ApiTokenAuthentication

    raw = request.headers.get("X-CKAN-API-Key") or request.headers.get("Authorization") or ""
    raw = raw.strip()
    for prefix in ("Bearer ", "Token ", "bearer ", "token "):
        if raw.startswith(prefix):
            raw = raw[len(prefix) :].strip()
    if not raw:
        return AnonymousUser()
    try:
        user, _ = ApiTokenAuthentication().authenticate_credentials(raw)
    except Exception:  # noqa: BLE001 - any failure is "not authorised"
        raise OpendataNotAuthorized("API key không hợp lệ hoặc đã hết hạn.") from None
    return user


class BadRequest(Exception):
    pass


def _request_data(request: HttpRequest, name: str) -> dict[str, Any]:
    if request.method == "GET":
        if name not in READ_ONLY:
            raise BadRequest("JSON Error: Invalid request. Please use POST method for your request")
        data: dict[str, Any] = {}
        for key in request.GET:
            values = request.GET.getlist(key)
            data[key] = values[0] if len(values) == 1 else values
        data.pop("callback", None)
        return data
    content_type = request.content_type or ""
    if content_type.startswith("multipart/form-data"):
        length = int(request.META.get("CONTENT_LENGTH") or 0)
        if length > services.MAX_UPLOAD_BYTES + 1024 * 1024:
            raise OpendataValidation(
                f"Tệp quá lớn; tối đa {services.MAX_UPLOAD_BYTES // (1024 * 1024)} MB.",
                code=OpendataErrorCode.UPLOAD_TOO_LARGE,
                field="upload",
            )
        try:
            data = {key: request.POST.get(key) for key in request.POST}
            for key, upload in request.FILES.items():
                data[key] = upload
        except RequestDataTooBig:
            raise OpendataValidation("Dữ liệu gửi lên quá lớn.", field="upload") from None
        return data
    if content_type == "application/x-www-form-urlencoded" and request.POST:
        return {key: request.POST.get(key) for key in request.POST}
    length = int(request.META.get("CONTENT_LENGTH") or 0)
    if length > MAX_JSON_BODY:
        raise OpendataValidation(
            f"Nội dung JSON quá lớn (tối đa {MAX_JSON_BODY // (1024 * 1024)} MB); "
            "hãy chia nhỏ hoặc tải tệp lên.",
            code=OpendataErrorCode.LIMIT_TOO_LARGE,
            field="records",
        )
    raw = request.read(MAX_JSON_BODY + 1)
    if not raw.strip():
        return {}
    try:
        from tinhso.core.parsers import loads_json

        data = loads_json(raw)
    except Exception as err:  # noqa: BLE001 - any undecodable body is a bad request
        raise BadRequest(
            f"JSON Error: Error decoding JSON data. Error: {err!r} JSON data extracted from "
            "the request: {}"
        ) from None
    if not isinstance(data, dict):
        raise BadRequest(
            f"JSON Error: Request data JSON decoded to {data!r} but it needs to be a dictionary."
        )
    return data


@csrf_exempt
def dispatch(request: HttpRequest, name: str) -> HttpResponse:
    function = ACTIONS.get(name)
    if function is None:
        return _bad_request(f"Action name not known: {name[:100]}", request)
    if request.method not in ("GET", "POST"):
        return _bad_request(
            "JSON Error: Invalid request. Please use the POST method for your request", request
        )
    envelope: dict[str, Any] = {
        "help": request.build_absolute_uri(f"/api/3/action/help_show?name={name}")
    }
    try:
        data = _request_data(request, name)
    except BadRequest as err:
        return _bad_request(str(err), request)
    except OpendataError as err:
        status, body = _error_body(err)
        return _finish(status, {**envelope, "error": body, "success": False}, request)
    try:
        call = Call(request, _user(request))
        with transaction.atomic():
            result = function(call, data)
        envelope["success"] = True
        envelope["result"] = result
    except Exception as err:  # noqa: BLE001 - every failure gets CKAN's envelope
        status, body = _error_body(err)
        if status == 500:
            import logging

            logging.getLogger(__name__).exception("CKAN action %s failed", name)
        envelope["error"] = body
        envelope["success"] = False
        return _finish(status, envelope, request)
    return _finish(200, envelope, request)


# ---------------------------------------------------------------------------------------
# parameter helpers (wrong types are Validation Errors, never silently defaulted)


def _int(data: dict[str, Any], key: str, default: int, lo: int, hi: int) -> int:
    value = data.get(key)
    if value in (None, ""):
        return default
    if isinstance(value, bool) or not (
        isinstance(value, int) or (isinstance(value, str) and re.fullmatch(r"-?\d{1,12}", value))
    ):
        raise OpendataValidation("Invalid integer", field=key)
    number = int(value)
    if number < lo:
        raise OpendataValidation(f"Must be at least {lo}", field=key)
    if number > hi:
        raise OpendataValidation(
            f"Must be less than or equal to {hi} (hard cap, see the API documentation)",
            code=OpendataErrorCode.LIMIT_TOO_LARGE,
            field=key,
        )
    return number


def _bool(data: dict[str, Any], key: str, default: bool) -> bool:
    value = data.get(key)
    if value in (None, ""):
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "1", "yes", "on"):
        return True
    if isinstance(value, str) and value.lower() in ("false", "0", "no", "off"):
        return False
    raise OpendataValidation("Value must be one of: true, false", field=key)


def _str(data: dict[str, Any], key: str, default: str = "", max_length: int = 2000) -> str:
    value = data.get(key)
    if value is None:
        return default
    if not isinstance(value, str):
        raise OpendataValidation("Must be a string", field=key)
    if len(value) > max_length:
        raise OpendataValidation(f"Must be at most {max_length} characters", field=key)
    return value


def _json_param(data: dict[str, Any], key: str, default: Any) -> Any:
    value = data.get(key)
    if value in (None, ""):
        return default
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            if value.startswith(("{", "[")):
                raise OpendataValidation("Invalid JSON", field=key) from None
            return value
    return value


def _required(data: dict[str, Any], key: str) -> Any:
    value = data.get(key)
    if value in (None, ""):
        raise OpendataValidation("Missing value", field=key)
    return value


def _count(call: Call, dataset_id: int) -> None:
    services.record_usage(dataset_id=dataset_id, api_calls=1)


# ---------------------------------------------------------------------------------------
# catalogue


@action("status_show", side_effect_free=True)
def status_show(call: Call, data: dict[str, Any]) -> Any:
    return {
        "ckan_version": "2.11.0",
        "site_title": settings.TINHSO_PROVINCE_NAME,
        "site_description": "tinhso open data portal",
        "site_url": call.base,
        "extensions": ["datastore", "dcat"],
        "locale_default": "vi",
    }


@action("help_show", side_effect_free=True)
def help_show(call: Call, data: dict[str, Any]) -> Any:
    name = _str(data, "name", max_length=100)
    function = ACTIONS.get(name)
    if function is None:
        raise OpendataNotFound("Action function not found")
    return (function.__doc__ or name).strip()


@action("package_list", side_effect_free=True)
def package_list(call: Call, data: dict[str, Any]) -> Any:
    """Names of the published datasets (`limit` ≤ 1000, `offset`)."""
    limit = _int(data, "limit", LIST_MAX, 0, LIST_MAX)
    offset = _int(data, "offset", 0, 0, selectors.MAX_START)
    qs = selectors.published().order_by("name").values_list("name", flat=True)
    return list(qs[offset : offset + limit])


@action("package_search", side_effect_free=True)
@replica_reads
def package_search(call: Call, data: dict[str, Any]) -> Any:
    """Search datasets: q, fq, fq_list, sort, rows (≤ 1000), start, facet, facet.field,
    facet.limit, facet.mincount, include_private."""
    q = _str(data, "q", max_length=500)
    fq = _str(data, "fq", max_length=2000)
    fq_list = _json_param(data, "fq_list", [])
    if isinstance(fq_list, str):
        fq_list = [fq_list]
    if not isinstance(fq_list, list) or not all(isinstance(x, str) for x in fq_list):
        raise OpendataValidation("Must be a list of strings", field="fq_list")
    filters: dict[str, list[str]] = {}
    for part in [fq, *fq_list]:
        for key, values in selectors.parse_fq(part).items():
            filters.setdefault(key, []).extend(values)
    rows = _int(data, "rows", selectors.DEFAULT_ROWS, 0, selectors.MAX_ROWS)
    start = _int(data, "start", 0, 0, selectors.MAX_START)
    facet = _bool(data, "facet", True)
    fields = _json_param(data, "facet.field", [])
    if isinstance(fields, str):
        fields = [fields]
    if not isinstance(fields, list) or not all(isinstance(x, str) for x in fields):
        raise OpendataValidation("Must be a list of strings", field="facet.field")
    facet_limit = _int(
        data, "facet.limit", selectors.DEFAULT_FACET_LIMIT, -1, selectors.MAX_FACET_LIMIT
    )
    mincount = _int(data, "facet.mincount", 1, 0, 1_000_000)
    base = None
    if _bool(data, "include_private", False) and call.user.is_authenticated:
        base = selectors.visible_datasets(call.user).exclude(state=DatasetState.WITHDRAWN)
    result = selectors.search(
        q=q,
        filters=filters,
        sort=_str(data, "sort", max_length=200),
        rows=rows,
        start=start,
        facet_fields=fields if facet else [],
        facet_limit=facet_limit,
        facet_mincount=mincount,
        base=base,
        ids_only=base is None,
    )
    if result.ids is not None:
        from tinhso.opendata import search_index

        packages = search_index.package_dicts(result.ids, base=call.base)
    else:
        packages = [selectors.package_dict(d, base=call.base) for d in result.datasets]
    return {
        "count": result.count,
        "facets": {
            name: {item["name"]: item["count"] for item in items}
            for name, items in result.facets.items()
        },
        "results": packages,
        "sort": _str(data, "sort", max_length=200) or "score desc, metadata_modified desc",
        "search_facets": {
            name: {"items": items, "title": name} for name, items in result.facets.items()
        },
    }


@action("package_show", side_effect_free=True)
def package_show(call: Call, data: dict[str, Any]) -> Any:
    """One dataset by `id` (UUID) or name."""
    dataset = selectors.get_dataset(_required(data, "id"), user=call.user)
    _count(call, dataset.pk)
    return selectors.package_dict(dataset, base=call.base)


def _org_list(call: Call, data: dict[str, Any], *, groups: bool) -> Any:
    all_fields = _bool(data, "all_fields", False)
    limit = _int(data, "limit", LIST_MAX, 0, LIST_MAX)
    offset = _int(data, "offset", 0, 0, selectors.MAX_START)
    sort = _str(data, "sort", "title asc" if not groups else "title asc", max_length=50)
    if sort.split()[0] not in ("name", "title", "package_count"):
        raise OpendataValidation("Invalid sort", field="sort")
    wanted = _json_param(data, "organizations" if not groups else "groups", None)
    rows: list[tuple[Any, int, str, str]]
    if groups:
        items = selectors.groups_with_counts()
        rows = [(g, g.dataset_count, g.name, g.title) for g in items]  # type: ignore[attr-defined]
    else:
        agencies = Agency.objects.filter(datasets__state=DatasetState.PUBLISHED).distinct()
        counts = dict(
            selectors.published().values_list("agency_id").annotate(n=Count("id")).order_by()
        )
        rows = [(a, counts.get(a.pk, 0), selectors.org_name(a), a.name) for a in agencies]
    if isinstance(wanted, list):
        rows = [r for r in rows if r[2] in wanted]
    key, _, direction = sort.partition(" ")
    from tinhso.core.text import vi_sort_key

    if key == "package_count":
        rows.sort(key=lambda r: r[1], reverse=direction.strip() != "asc")
    else:
        rows.sort(
            key=lambda r: vi_sort_key(r[3]) if key == "title" else r[2],
            reverse=direction.strip() == "desc",
        )
    rows = rows[offset : offset + limit]
    if not all_fields:
        return [r[2] for r in rows]
    if groups:
        return [selectors.group_dict(r[0], dataset_count=r[1]) for r in rows]
    return [selectors.organization_dict(r[0], dataset_count=r[1]) for r in rows]


@action("organization_list", side_effect_free=True)
def organization_list(call: Call, data: dict[str, Any]) -> Any:
    """Agencies publishing datasets: names, or dicts with `all_fields` (limit ≤ 1000 in
    both cases — no silent cap at 25)."""
    return _org_list(call, data, groups=False)


@action("group_list", side_effect_free=True)
def group_list(call: Call, data: dict[str, Any]) -> Any:
    """The national topic groups."""
    return _org_list(call, data, groups=True)


@action("organization_show", side_effect_free=True)
def organization_show(call: Call, data: dict[str, Any]) -> Any:
    agency = selectors.agency_by_ckan(_required(data, "id"))
    count = selectors.published().filter(agency=agency).count()
    result = selectors.organization_dict(agency, dataset_count=count)
    if _bool(data, "include_datasets", False):
        found = selectors.search(filters={"organization": [agency.code]}, rows=10)
        result["packages"] = [selectors.package_dict(d, base=call.base) for d in found.datasets]
    return result


@action("group_show", side_effect_free=True)
def group_show(call: Call, data: dict[str, Any]) -> Any:
    name = str(_required(data, "id"))
    group = TopicGroup.objects.filter(name=name).first()
    if group is None:
        raise OpendataNotFound("Group was not found.", code=OpendataErrorCode.GROUP_NOT_FOUND)
    return selectors.group_dict(
        group, dataset_count=selectors.published().filter(groups=group).count()
    )


@action("tag_list", side_effect_free=True)
def tag_list(call: Call, data: dict[str, Any]) -> Any:
    return selectors.tag_names(q=_str(data, "query", max_length=100))


@action("license_list", side_effect_free=True)
def license_list(call: Call, data: dict[str, Any]) -> Any:
    return [selectors.licence_dict(licence) for licence in Licence.objects.all()]


@action("resource_show", side_effect_free=True)
def resource_show(call: Call, data: dict[str, Any]) -> Any:
    resource = selectors.get_resource(_required(data, "id"), user=call.user)
    return selectors.resource_dict(resource, base=call.base)


# ---------------------------------------------------------------------------------------
# writes


def _agency_for_create(call: Call, data: dict[str, Any]) -> Agency:
    owner = data.get("owner_org")
    if owner in (None, ""):
        raise OpendataValidation("Missing value", field="owner_org")
    try:
        return selectors.agency_by_ckan(owner)
    except OpendataNotFound:
        raise OpendataValidation("Organization does not exist", field="owner_org") from None


@action("package_create")
def package_create(call: Call, data: dict[str, Any]) -> Any:
    """Create a dataset of `owner_org` (the key's owner must be its data officer). It goes
    to review (`private: true`) until a data officer approves it on the portal."""
    if not call.user.is_authenticated:
        raise OpendataNotAuthorized("User not authorized to create packages")
    agency = _agency_for_create(call, data)
    private = _bool(data, "private", False)
    extras = data.get("extras") or []
    if not isinstance(extras, list):
        raise OpendataValidation("Must be a list", field="extras")
    extra_values = {
        str(e.get("key")): e.get("value") for e in extras if isinstance(e, dict) and e.get("key")
    }
    frequency = extra_values.pop("frequency", "") or ""
    dataset = services.create_dataset(
        actor=call.user,
        agency=agency,
        title=_str(data, "title", max_length=300) or _str(data, "name", max_length=100),
        name=_str(data, "name", max_length=100),
        notes=_str(data, "notes", max_length=20_000),
        licence_id=_str(data, "license_id", services.DEFAULT_LICENCE, max_length=50),
        tags=data.get("tags"),
        groups=data.get("groups"),
        extras=extra_values,
        frequency=frequency,
        maintainer=_str(data, "maintainer", max_length=200),
        maintainer_email=_str(data, "maintainer_email", max_length=254),
        submit=not private,
    )
    for item in data.get("resources") or []:
        if isinstance(item, dict):
            services.add_resource(
                actor=call.user,
                dataset=dataset,
                name=str(item.get("name") or ""),
                url=str(item.get("url") or ""),
                format=str(item.get("format") or ""),
                description=str(item.get("description") or ""),
            )
    dataset.refresh_from_db()
    return selectors.package_dict(dataset, base=call.base)


@action("package_patch")
def package_patch(call: Call, data: dict[str, Any]) -> Any:
    """Change some metadata of a dataset (title, notes, license_id, tags, groups, ...)."""
    if not call.user.is_authenticated:
        raise OpendataNotAuthorized("User not authorized to edit packages")
    dataset = selectors.get_dataset(_required(data, "id"), user=call.user)
    changes: dict[str, Any] = {}
    for key, target in (
        ("title", "title"),
        ("notes", "notes"),
        ("license_id", "licence_id"),
        ("tags", "tags"),
        ("groups", "groups"),
        ("maintainer", "maintainer"),
        ("maintainer_email", "maintainer_email"),
    ):
        if key in data:
            changes[target] = data[key]
    dataset = services.update_dataset(actor=call.user, dataset=dataset, **changes)
    return selectors.package_dict(dataset, base=call.base)


@action("resource_create")
def resource_create(call: Call, data: dict[str, Any]) -> Any:
    """Add a resource to `package_id`: a link (`url`) or a file (multipart `upload`).
    A CSV/XLSX upload is loaded into the datastore in the background."""
    if not call.user.is_authenticated:
        raise OpendataNotAuthorized("User not authorized to create resources")
    dataset = selectors.get_dataset(_required(data, "package_id"), user=call.user)
    upload = data.get("upload")
    if upload is not None and not hasattr(upload, "read"):
        if upload in ("",):
            upload = None
        else:
            raise OpendataValidation("Must be a file (multipart upload)", field="upload")
    url = _str(data, "url", max_length=1000)
    resource = services.add_resource(
        actor=call.user,
        dataset=dataset,
        name=_str(data, "name", max_length=300),
        url="" if upload is not None else url,
        upload=upload,
        format=_str(data, "format", max_length=20),
        description=_str(data, "description", max_length=5000),
        encoding=_str(data, "encoding", max_length=20),
    )
    return selectors.resource_dict(resource, base=call.base)


@action("resource_delete")
def resource_delete(call: Call, data: dict[str, Any]) -> Any:
    if not call.user.is_authenticated:
        raise OpendataNotAuthorized("User not authorized to delete resources")
    resource = selectors.get_resource(_required(data, "id"), user=call.user)
    services.delete_resource(actor=call.user, resource=resource)
    return None


# ---------------------------------------------------------------------------------------
# datastore


def _datastore_resource(call: Call, data: dict[str, Any], key: str = "resource_id") -> Resource:
    value = data.get(key) or data.get("id")
    if value in (None, ""):
        raise OpendataValidation("Missing value", field=key)
    return selectors.get_resource(value, user=call.user)


def _table(resource: Resource) -> DatastoreTable:
    try:
        table = resource.datastore  # read with the resource (selectors.get_resource)
    except DatastoreTable.DoesNotExist:
        table = None
    if table is None:
        raise OpendataNotFound(
            f'Resource "{resource.uid}" was not found.',
            code=OpendataErrorCode.DATASTORE_NOT_FOUND,
        )
    return table


@action("datastore_create")
def datastore_create(call: Call, data: dict[str, Any]) -> Any:
    """Create (or add rows to) the table of `resource_id`, or of a new resource made from
    `resource` ({package_id, name, ...}): fields, records (≤ 10,000 per call),
    primary_key, indexes."""
    if not call.user.is_authenticated:
        raise OpendataNotAuthorized("User not authorized to create datastore tables")
    if data.get("resource_id"):
        resource = _datastore_resource(call, data)
    elif isinstance(data.get("resource"), dict):
        spec = data["resource"]
        dataset = selectors.get_dataset(spec.get("package_id"), user=call.user)
        resource = services.add_resource(
            actor=call.user,
            dataset=dataset,
            name=str(spec.get("name") or "Datastore"),
            format=str(spec.get("format") or "CSV"),
            datastore_only=True,
            description=str(spec.get("description") or ""),
        )
    else:
        raise OpendataValidation("Missing value", field="resource_id")
    table = services.datastore_create(
        actor=call.user,
        resource=resource,
        fields=data.get("fields"),
        records=data.get("records"),
        primary_key=data.get("primary_key"),
        indexes=data.get("indexes"),
    )
    return {
        "fields": [
            {"id": f["id"], "type": f["type"], "info": f.get("info") or {}} for f in table.fields
        ],
        "method": "insert",
        "primary_key": table.primary_key,
        "resource_id": str(resource.uid),
        "total": table.total,
    }


@action("datastore_upsert")
def datastore_upsert(call: Call, data: dict[str, Any]) -> Any:
    """Add `records` to an existing table (`method`: insert only)."""
    if _str(data, "method", "insert", max_length=10) != "insert":
        raise OpendataValidation("Only method insert is supported", field="method")
    if not call.user.is_authenticated:
        raise OpendataNotAuthorized("User not authorized to write datastore tables")
    resource = _datastore_resource(call, data)
    _table(resource)
    table = services.datastore_create(
        actor=call.user, resource=resource, records=data.get("records")
    )
    return {"resource_id": str(resource.uid), "method": "insert", "total": table.total}


@action("datastore_delete")
def datastore_delete(call: Call, data: dict[str, Any]) -> Any:
    if not call.user.is_authenticated:
        raise OpendataNotAuthorized("User not authorized to delete datastore tables")
    resource = _datastore_resource(call, data)
    services.datastore_delete(actor=call.user, resource=resource)
    return {"resource_id": str(resource.uid)}


@action("datastore_search", side_effect_free=True)
@replica_reads
def datastore_search(call: Call, data: dict[str, Any]) -> Any:
    """Rows of a datastore table: filters, q, fields, sort, distinct, limit (≤ 32,000),
    offset, include_total, records_format (objects, lists, csv)."""
    resource = _datastore_resource(call, data)
    table = _table(resource)
    limit = _int(data, "limit", datastore.DEFAULT_LIMIT, 0, datastore.MAX_LIMIT)
    offset = _int(data, "offset", 0, 0, datastore.MAX_OFFSET)
    filters = _json_param(data, "filters", None)
    query = (
        _json_param(data, "q", None)
        if isinstance(data.get("q"), str) and data["q"].startswith("{")
        else data.get("q")
    )
    if query is not None and not isinstance(query, str | dict):
        raise OpendataValidation("Must be a string or an object", field="q")
    records_format = _str(data, "records_format", "objects", max_length=10)
    if records_format not in ("objects", "lists", "csv", "tsv"):
        raise OpendataValidation("Must be one of: objects, lists, csv, tsv", field="records_format")
    include_total = _bool(data, "include_total", True)
    found = datastore.search(
        table=table.table_name,
        fields=table.fields,
        cached_total=table.total,
        filters=filters,
        query=query,
        columns=_json_param(data, "fields", None),
        sort=_json_param(data, "sort", None),
        limit=limit,
        offset=offset,
        include_total=include_total,
        distinct=_bool(data, "distinct", False),
    )
    _count(call, resource.dataset_id)
    records: Any = found["records"]
    names = [f["id"] for f in found["fields"]]
    if records_format == "lists":
        records = [[r[n] for n in names] for r in records]
    elif records_format in ("csv", "tsv"):
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter="," if records_format == "csv" else "\t")
        for r in records:
            writer.writerow(["" if r[n] is None else r[n] for n in names])
        records = buffer.getvalue()
    path = "/api/3/action/datastore_search"
    result: dict[str, Any] = {
        "include_total": include_total,
        "resource_id": str(resource.uid),
        "fields": found["fields"],
        "records_format": records_format,
        "records": records,
        "limit": limit,
        "offset": offset,
        "_links": {
            "start": f"{path}?resource_id={resource.uid}&limit={limit}",
            "next": f"{path}?resource_id={resource.uid}&limit={limit}&offset={offset + limit}",
        },
    }
    if filters:
        result["filters"] = filters
    if query:
        result["q"] = query
    if data.get("sort"):
        result["sort"] = data["sort"]
    if include_total:
        result["total"] = found["total"]
        result["total_was_estimated"] = False
    return result


@action("datastore_info", side_effect_free=True)
def datastore_info(call: Call, data: dict[str, Any]) -> Any:
    resource = _datastore_resource(call, data, key="id")
    table = _table(resource)
    return {
        "meta": {
            "id": str(resource.uid),
            "count": table.total,
            "table_type": "BASE TABLE",
            "aliases": [],
        },
        "fields": [
            {
                "id": f["id"],
                "type": f["type"],
                "info": f.get("info") or {},
                "schema": {"native_type": f["type"]},
            }
            for f in table.fields
        ],
    }


_WRITE_WORDS = re.compile(
    r"\b(insert|update|delete|drop|alter|create|replace|attach|detach|pragma|vacuum|copy|grant|"
    r"revoke|truncate|into|lock|set|reset|call|do|execute|prepare|listen|notify|load|begin|"
    r"commit|rollback|savepoint|release|analyze|reindex|cluster|comment|security|refresh)\b",
    re.I,
)
_SYSTEM = re.compile(
    r"\b(sqlite_\w+|pg_\w+|information_schema|current_setting|set_config|lo_\w+|dblink\w*)\b", re.I
)
_TABLE_REF = re.compile(r'\b(from|join)\s+(\(|"([^"]+)"|([^\s,()]+))', re.I)


@action("datastore_search_sql", side_effect_free=True)
@replica_reads
def datastore_search_sql(call: Call, data: dict[str, Any]) -> Any:
    """One read-only SELECT over datastore tables named by their resource id in double
    quotes (`SELECT * FROM "<resource id>" WHERE ...`). Anything that writes, several
    statements, system tables: refused. At most 32,000 rows (`records_truncated`)."""
    import sqlparse

    sql = _str(data, "sql", max_length=10_000).strip().rstrip(";").strip()
    if not sql:
        raise OpendataValidation("Missing value", field="sql")
    statements = [s for s in sqlparse.parse(sql) if str(s).strip()]
    if len(statements) != 1 or statements[0].get_type() != "SELECT" or ";" in sql:
        raise OpendataValidation(
            "Chỉ chấp nhận một câu lệnh SELECT.",
            code=OpendataErrorCode.DATASTORE_SQL_REFUSED,
            field="sql",
        )
    stripped = re.sub(r"'(?:[^']|'')*'", "''", sql)
    if (
        _WRITE_WORDS.search(stripped)
        or _SYSTEM.search(stripped)
        or "--" in stripped
        or "/*" in stripped
    ):
        raise OpendataValidation(
            "Câu lệnh có thao tác ghi hoặc truy cập bảng hệ thống: bị từ chối.",
            code=OpendataErrorCode.DATASTORE_SQL_REFUSED,
            field="sql",
        )

    def table_for(match: re.Match[str]) -> str:
        if match.group(2) == "(":
            return match.group(0)
        rid = match.group(3)
        if rid is None:
            raise OpendataValidation(
                "Bảng phải là mã tài nguyên trong dấu nháy kép.",
                code=OpendataErrorCode.DATASTORE_SQL_REFUSED,
                field="sql",
            )
        resource = selectors.get_resource(rid, user=call.user)
        return f"{match.group(1)} {connection.ops.quote_name(_table(resource).table_name)}"

    rewritten = _TABLE_REF.sub(table_for, stripped if stripped == sql else sql)
    if rewritten == sql and not _TABLE_REF.search(sql):
        raise OpendataValidation("Thiếu bảng (FROM).", field="sql")
    limited = f"SELECT * FROM ({rewritten}) AS q LIMIT {SQL_ROWS_MAX + 1}"  # noqa: S608
    alias = current_alias()  # the replica when it serves reads: callers' SQL off the primary
    db = connections[alias]
    with transaction.atomic(using=alias), db.cursor() as cursor:
        try:
            if db.vendor == "postgresql":
                cursor.execute("SET TRANSACTION READ ONLY")
                cursor.execute("SET LOCAL statement_timeout = 5000")
            else:
                cursor.execute("PRAGMA query_only = 1")
            try:
                cursor.execute(limited)
            except Exception as err:  # noqa: BLE001 - the caller's SQL is wrong
                raise OpendataValidation(
                    f"Câu lệnh SQL lỗi: {str(err)[:200]}", field="sql"
                ) from None
            names = [c[0] for c in cursor.description or []]
            rows = cursor.fetchall()
        finally:
            if db.vendor != "postgresql":
                cursor.execute("PRAGMA query_only = 0")
    truncated = len(rows) > SQL_ROWS_MAX
    records = [
        {n: datastore.to_json(v) for n, v in zip(names, row, strict=True) if n != "_full_text"}
        for row in rows[:SQL_ROWS_MAX]
    ]
    result: dict[str, Any] = {
        "sql": sql,
        "records": records,
        "fields": [{"id": n, "type": "text"} for n in names if n != "_full_text"],
    }
    if truncated:
        result["records_truncated"] = True
    return result
