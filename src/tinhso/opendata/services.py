"""Write use-cases of the open data portal: one function per thing a person does.

Each runs in one transaction, checks permission (`opendata.manage_dataset` for an
agency's datasets), records the audit entry and leaves side effects (loading a file into
the datastore, notifying a contributor, deleting a replaced file) to `on_commit`.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.validators import URLValidator, validate_email
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from tinhso.accounts.rules import require
from tinhso.audit.services import record
from tinhso.core.files import extension_of, safe_filename, sha256_of
from tinhso.core.text import clean_text, fold, slug_ascii
from tinhso.opendata import datastore, schema
from tinhso.opendata.errors import (
    OpendataErrorCode,
    OpendataNotAuthorized,
    OpendataValidation,
)
from tinhso.opendata.models import (
    Contribution,
    Dataset,
    DatasetState,
    DatasetUsage,
    DatastoreTable,
    Frequency,
    Licence,
    LoadJob,
    Resource,
    Steward,
    Tag,
    TopicGroup,
)
from tinhso.opendata.search_index import bump
from tinhso.opendata.workflow import TRANSITIONS

NAME_RE = re.compile(r"^[a-z0-9_-]{2,100}$")
MAX_UPLOAD_BYTES = getattr(settings, "OPENDATA_MAX_UPLOAD_BYTES", 100 * 1024 * 1024)
TABULAR = {"csv", "xlsx"}
UPLOAD_TYPES = {"csv", "xlsx", "json", "pdf", "xml", "zip", "geojson", "txt", "docx", "ods"}
MAX_TAGS = 30
DEFAULT_LICENCE = "cc-by-4.0"


def _require_manage(actor: Any, agency: Any) -> None:
    try:
        require(actor, "opendata.manage_dataset", agency)
    except Exception:
        raise OpendataNotAuthorized(
            f"Bạn không phải cán bộ dữ liệu của {agency.name if agency else 'cơ quan này'}."
        ) from None


def _text(
    value: Any,
    *,
    field: str,
    label: str,
    max_length: int,
    required: bool = False,
    multiline: bool = False,
) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise OpendataValidation(f"{label}: cần chuỗi ký tự.", field=field)
    text = clean_text(value, multiline=multiline).strip()
    if required and not text:
        raise OpendataValidation(f"Thiếu {label}.", field=field)
    if len(text) > max_length:
        raise OpendataValidation(f"{label}: tối đa {max_length} ký tự.", field=field)
    return text


def _url(value: Any, *, field: str = "url") -> str:
    text = _text(value, field=field, label="Đường dẫn", max_length=1000)
    if text:
        try:
            URLValidator(schemes=["http", "https"])(text)
        except ValidationError:
            raise OpendataValidation("Đường dẫn không hợp lệ (http/https).", field=field) from None
    return text


def unique_name(title: str) -> str:
    base = slug_ascii(title)[:90].strip("-") or "bo-du-lieu"
    if len(base) < 2:
        base = f"bo-du-lieu-{base}"
    name, n = base, 1
    while Dataset.objects.filter(name=name).exists():
        n += 1
        name = f"{base}-{n}"
    return name


def _search_text(dataset: Dataset, tags: Iterable[str]) -> str:
    return fold(
        " ".join([dataset.title, dataset.name, dataset.notes[:5000], dataset.agency.name, *tags])
    )


def _tags(names: Any) -> list[Tag]:
    if names in (None, ""):
        return []
    if isinstance(names, str):
        names = [n for n in names.split(",")]
    if not isinstance(names, list) or len(names) > MAX_TAGS:
        raise OpendataValidation(f"Tối đa {MAX_TAGS} từ khóa.", field="tags")
    result = []
    for raw in names:
        name = raw.get("name") if isinstance(raw, dict) else raw
        text = _text(name, field="tags", label="Từ khóa", max_length=100).strip()
        if not text:
            continue
        tag, _ = Tag.objects.get_or_create(name=text, defaults={"name_folded": fold(text)})
        result.append(tag)
    return result


def _groups(names: Any) -> list[TopicGroup]:
    if names in (None, ""):
        return []
    if isinstance(names, str):
        names = names.split(",")
    if not isinstance(names, list):
        raise OpendataValidation("groups không hợp lệ.", field="groups")
    wanted = [
        (n.get("name") or n.get("id")) if isinstance(n, dict) else str(n).strip() for n in names
    ]
    groups = list(TopicGroup.objects.filter(name__in=wanted))
    missing = set(wanted) - {g.name for g in groups}
    if missing:
        raise OpendataValidation(
            f"Nhóm chủ đề '{sorted(map(str, missing))[0][:50]}' không tồn tại.", field="groups"
        )
    return groups


def _licence(licence_id: Any) -> Licence:
    licence = Licence.objects.filter(pk=str(licence_id or DEFAULT_LICENCE)).first()
    if licence is None:
        raise OpendataValidation("Giấy phép không có trong danh mục.", field="license_id")
    return licence


def _frequency(value: Any) -> str:
    if value in (None, ""):
        return ""
    if value not in Frequency.values:
        raise OpendataValidation("Tần suất cập nhật không hợp lệ.", field="frequency")
    return str(value)


def _maintainer_email(value: Any) -> str:
    text = _text(value, field="maintainer_email", label="Thư điện tử", max_length=254)
    if text:
        try:
            validate_email(text)
        except ValidationError:
            raise OpendataValidation(
                "Thư điện tử không hợp lệ.", field="maintainer_email"
            ) from None
    return text


@transaction.atomic
def create_dataset(
    *,
    actor: Any,
    agency: Any,
    title: str,
    name: str = "",
    notes: str = "",
    licence_id: str = DEFAULT_LICENCE,
    groups: Any = None,
    tags: Any = None,
    frequency: str = "",
    next_update_on: dt.date | None = None,
    extras: dict[str, Any] | None = None,
    maintainer: str = "",
    maintainer_email: str = "",
    source: str = Dataset.Source.MANUAL,
    platform_key: str | None = None,
    submit: bool = False,
) -> Dataset:
    """A new dataset of `agency`, as a draft (or submitted for review with `submit`)."""
    if platform_key is None:
        _require_manage(actor, agency)
    title = _text(title, field="title", label="Tên bộ dữ liệu", max_length=300, required=True)
    if name:
        name = _text(name, field="name", label="Tên định danh", max_length=100)
        if not NAME_RE.match(name):
            raise OpendataValidation(
                "Tên định danh chỉ gồm chữ thường không dấu, số, '-' và '_' (2–100 ký tự).",
                code=OpendataErrorCode.INVALID_DATASET_NAME,
                field="name",
            )
        if Dataset.objects.filter(name=name).exists():
            raise OpendataValidation(
                "That URL is already in use.",
                code=OpendataErrorCode.DATASET_NAME_TAKEN,
                field="name",
            )
    else:
        name = unique_name(title)
    now = timezone.now()
    dataset = Dataset(
        name=name,
        title=title,
        notes=_text(notes, field="notes", label="Mô tả", max_length=20_000, multiline=True),
        agency=agency,
        licence=_licence(licence_id),
        frequency=_frequency(frequency),
        next_update_on=next_update_on,
        extras=schema.clean_extras({**schema.defaults(), **(extras or {})}),
        maintainer=_text(maintainer, field="maintainer", label="Đầu mối", max_length=200),
        maintainer_email=_maintainer_email(maintainer_email),
        source=source,
        platform_key=platform_key,
        metadata_modified=now,
        state=DatasetState.PENDING if submit else DatasetState.DRAFT,
        submitted_by=actor if submit and getattr(actor, "pk", None) else None,
    )
    tag_objs = _tags(tags)
    group_objs = _groups(groups)
    dataset.search_folded = _search_text(dataset, [t.name for t in tag_objs])
    dataset.title_folded = fold(title)
    dataset.save()
    dataset.tags.set(tag_objs)
    dataset.groups.set(group_objs)
    bump()
    record(
        actor=actor,
        action="opendata.create_dataset",
        obj=dataset,
        agency=agency,
        summary={"name": name, "title": title, "state": dataset.state},
    )
    return dataset


EDITABLE = {
    "title",
    "notes",
    "licence_id",
    "groups",
    "tags",
    "frequency",
    "next_update_on",
    "extras",
    "maintainer",
    "maintainer_email",
}


@transaction.atomic
def update_dataset(
    *, actor: Any, dataset: Dataset, system: bool = False, **changes: Any
) -> Dataset:
    """Change a dataset's metadata (only the keys given)."""
    dataset = (
        Dataset.objects.select_for_update(of=("self",)).select_related("agency").get(pk=dataset.pk)
    )
    if not system:
        _require_manage(actor, dataset.agency)
    unknown = set(changes) - EDITABLE
    if unknown:
        raise OpendataValidation(f"Trường '{sorted(unknown)[0]}' không sửa được.", field="name")
    if "title" in changes:
        dataset.title = _text(
            changes["title"], field="title", label="Tên bộ dữ liệu", max_length=300, required=True
        )
        dataset.title_folded = fold(dataset.title)
    if "notes" in changes:
        dataset.notes = _text(
            changes["notes"], field="notes", label="Mô tả", max_length=20_000, multiline=True
        )
    if "licence_id" in changes:
        dataset.licence = _licence(changes["licence_id"])
    if "frequency" in changes:
        dataset.frequency = _frequency(changes["frequency"])
    if "next_update_on" in changes:
        dataset.next_update_on = changes["next_update_on"]
    if "extras" in changes:
        dataset.extras = schema.clean_extras({**dataset.extras, **(changes["extras"] or {})})
    if "maintainer" in changes:
        dataset.maintainer = _text(
            changes["maintainer"], field="maintainer", label="Đầu mối", max_length=200
        )
    if "maintainer_email" in changes:
        dataset.maintainer_email = _maintainer_email(changes["maintainer_email"])
    if "tags" in changes:
        dataset.tags.set(_tags(changes["tags"]))
    if "groups" in changes:
        dataset.groups.set(_groups(changes["groups"]))
    dataset.search_folded = _search_text(dataset, list(dataset.tags.values_list("name", flat=True)))
    dataset.metadata_modified = timezone.now()
    dataset.save()
    bump()
    if not system:
        record(
            actor=actor,
            action="opendata.update_dataset",
            obj=dataset,
            agency=dataset.agency,
            summary={"changed": sorted(changes)},
        )
    return dataset


@transaction.atomic
def transition(*, actor: Any, dataset: Dataset, action: str, reason: str = "") -> Dataset:
    """Move a dataset through the publication workflow (`workflow.TRANSITIONS`)."""
    from tinhso.core.errors import InvalidTransition

    step = TRANSITIONS.get(action)
    if step is None:
        raise OpendataValidation("Thao tác không hợp lệ.", field="action")
    dataset = (
        Dataset.objects.select_for_update(of=("self",)).select_related("agency").get(pk=dataset.pk)
    )
    _require_manage(actor, dataset.agency)
    if dataset.state not in step.sources:
        raise InvalidTransition(
            f"Bộ dữ liệu đang ở trạng thái '{dataset.get_state_display()}', "
            f"không thể '{step.label}'."
        )
    reason = _text(reason, field="reason", label="Lý do", max_length=2000, multiline=True)
    if step.needs_reason and not reason:
        raise OpendataValidation(
            "Cần nêu lý do.", code=OpendataErrorCode.REASON_REQUIRED, field="reason"
        )
    dataset.state = step.target
    dataset.review_note = reason
    if action == "submit":
        dataset.submitted_by = actor
    if action == "approve":
        dataset.published_at = timezone.now()
    dataset.metadata_modified = timezone.now()
    dataset.save()
    bump()
    record(
        actor=actor,
        action=f"opendata.{action}_dataset",
        obj=dataset,
        agency=dataset.agency,
        summary={"state": dataset.state, "reason": reason},
    )
    return dataset


def _publish_system(dataset: Dataset) -> None:
    """Platform datasets are published by the platform itself (no person reviews them)."""
    dataset.state = DatasetState.PUBLISHED
    dataset.published_at = dataset.published_at or timezone.now()
    dataset.save(update_fields=["state", "published_at"])
    bump()


# ---------------------------------------------------------------------------------------
# resources


def _check_file(upload: Any) -> str:
    name = safe_filename(getattr(upload, "name", "") or "tep")
    size = getattr(upload, "size", None) or 0
    ext = extension_of(name)
    if ext not in UPLOAD_TYPES:
        raise OpendataValidation(
            f"Loại tệp .{ext[:10] or '?'} không được chấp nhận ({', '.join(sorted(UPLOAD_TYPES))}).",
            code="file_type_not_allowed",
            field="upload",
        )
    if size > MAX_UPLOAD_BYTES:
        raise OpendataValidation(
            f"Tệp quá lớn ({size // (1024 * 1024)} MB); tối đa "
            f"{MAX_UPLOAD_BYTES // (1024 * 1024)} MB.",
            code=OpendataErrorCode.UPLOAD_TOO_LARGE,
            field="upload",
        )
    if ext == "xlsx":
        upload.seek(0)
        if not upload.read(4).startswith(b"PK"):
            raise OpendataValidation(
                "Nội dung tệp không đúng định dạng .xlsx.",
                code="file_content_mismatch",
                field="upload",
            )
        upload.seek(0)
    return ext


@transaction.atomic
def add_resource(
    *,
    actor: Any,
    dataset: Dataset,
    name: str = "",
    url: str = "",
    upload: Any = None,
    format: str = "",
    description: str = "",
    encoding: str = "",
    load_datastore: bool = True,
    system: bool = False,
    datastore_only: bool = False,
) -> Resource:
    """A file (uploaded) or a link added to a dataset. A CSV/XLSX upload is loaded into
    the datastore by the worker (a LoadJob shows the progress)."""
    dataset = (
        Dataset.objects.select_for_update(of=("self",)).select_related("agency").get(pk=dataset.pk)
    )
    if not system:
        _require_manage(actor, dataset.agency)
    url = _url(url)
    if upload is None and not url and not datastore_only:
        raise OpendataValidation("Cần tải lên một tệp hoặc nhập đường dẫn.", field="url")
    resource = Resource(
        dataset=dataset,
        description=_text(
            description, field="description", label="Mô tả", max_length=5000, multiline=True
        ),
        position=dataset.resources.count(),
        last_modified=timezone.now(),
    )
    ext = ""
    if upload is not None:
        ext = _check_file(upload)
        resource.filename = safe_filename(upload.name)
        resource.size = upload.size
        resource.sha256 = sha256_of(upload)
        resource.file.save(resource.filename, upload, save=False)
    else:
        resource.url = url
        ext = extension_of(url.split("?", 1)[0])
    fmt = _text(format, field="format", label="Định dạng", max_length=20).upper() or ext.upper()
    resource.format = fmt[:20]
    resource.name = (
        _text(name, field="name", label="Tên tài nguyên", max_length=300)
        or resource.filename
        or url[:300]
        or "Bảng dữ liệu"
    )
    resource.save()
    dataset.metadata_modified = timezone.now()
    dataset.save(update_fields=["metadata_modified"])
    bump()
    record(
        actor=actor,
        action="opendata.add_resource",
        obj=resource,
        agency=dataset.agency,
        summary={"dataset": dataset.name, "name": resource.name, "format": resource.format},
    )
    if upload is not None and ext in TABULAR and load_datastore:
        queue_load(actor=actor, resource=resource, encoding=encoding)
    return resource


def queue_load(*, actor: Any, resource: Resource, encoding: str = "") -> LoadJob:
    job = LoadJob.objects.create(
        resource=resource,
        encoding=encoding if encoding in datastore.ENCODINGS else "",
        requested_by=actor if getattr(actor, "pk", None) else None,
    )

    def enqueue() -> None:
        from tinhso.opendata.tasks import load_resource_task

        try:
            load_resource_task.enqueue(job.pk)
        except Exception:  # noqa: BLE001 - the job stays queued for `opendata_load`
            logging.getLogger(__name__).exception("could not enqueue load job %s", job.pk)

    transaction.on_commit(enqueue)
    return job


@transaction.atomic
def delete_resource(*, actor: Any, resource: Resource) -> None:
    resource = Resource.objects.select_related("dataset__agency").get(pk=resource.pk)
    _require_manage(actor, resource.dataset.agency)
    table = getattr(resource, "datastore", None)
    if table is not None:
        datastore.drop_table(table.table_name)
    stored = resource.file.name if resource.file else ""
    record(
        actor=actor,
        action="opendata.delete_resource",
        obj=resource,
        agency=resource.dataset.agency,
        summary={"name": resource.name},
    )
    resource.delete()
    bump()
    if stored:
        from django.core.files.storage import default_storage

        transaction.on_commit(lambda: default_storage.delete(stored))


# ---------------------------------------------------------------------------------------
# datastore


def _swap(
    resource: Resource,
    table: str,
    fields: list[dict[str, Any]],
    total: int,
    *,
    primary_key: list[str] | None = None,
    indexes: list[str] | None = None,
) -> DatastoreTable:
    """Point the resource at its new table and drop the old one (caller's transaction)."""
    current = (
        DatastoreTable.objects.select_for_update(of=("self",)).filter(resource=resource).first()
    )
    old = current.table_name if current else None
    if current is None:
        current = DatastoreTable(resource=resource)
    current.table_name = table
    current.fields = fields
    current.total = total
    current.primary_key = primary_key or []
    current.indexes = indexes or []
    current.save()
    if old and old != table:
        datastore.drop_table(old)
    Resource.objects.filter(pk=resource.pk).update(
        datastore_active=True, last_modified=timezone.now()
    )
    bump()
    return current


@transaction.atomic
def datastore_create(
    *,
    actor: Any,
    resource: Resource,
    fields: Any = None,
    records: Any = None,
    primary_key: Any = None,
    indexes: Any = None,
    system: bool = False,
) -> DatastoreTable:
    """CKAN `datastore_create`: a new table for the resource (fields given), or rows added
    to the existing one (fields omitted). All records are checked first: one bad record
    stores nothing."""
    resource = Resource.objects.select_related("dataset__agency").get(pk=resource.pk)
    if not system:
        _require_manage(actor, resource.dataset.agency)
    if records is None:
        records = []
    if not isinstance(records, list):
        raise OpendataValidation("records phải là một danh sách.", field="records")
    if len(records) > datastore.MAX_RECORDS_PER_CALL:
        raise OpendataValidation(
            f"Tối đa {datastore.MAX_RECORDS_PER_CALL} bản ghi mỗi lần gọi; hãy chia nhỏ "
            "hoặc tải tệp CSV lên.",
            code=OpendataErrorCode.LIMIT_TOO_LARGE,
            field="records",
        )
    current = DatastoreTable.objects.filter(resource=resource).first()
    names = lambda value: (  # noqa: E731
        [value] if isinstance(value, str) else list(value or [])
    )
    if fields in (None, []) and current is not None:
        rows = datastore.check_records(records, current.fields)
        added = datastore.insert_rows(current.table_name, current.fields, rows)
        DatastoreTable.objects.filter(pk=current.pk).update(total=F("total") + added)
        current.refresh_from_db()
        record(
            actor=actor,
            action="opendata.datastore_upsert",
            obj=resource,
            agency=resource.dataset.agency,
            summary={"rows": added},
        )
        return current
    if fields in (None, []):
        if not records or not isinstance(records[0], dict):
            raise OpendataValidation("Cần khai báo fields cho bảng mới.", field="fields")
        fields = [{"id": key, "type": "text"} for key in records[0]]
    clean = datastore.clean_fields(fields)
    known = {f["id"] for f in clean}
    pk_names = [str(n) for n in names(primary_key)]
    index_names = [str(n) for n in names(indexes)]
    for name in [*pk_names, *index_names]:
        if name not in known:
            raise OpendataValidation(f'field "{name}" not in table', field="indexes")
    rows = datastore.check_records(records, clean)
    table = datastore.new_table_name(resource.uid)
    datastore.create_table(table, clean, indexes=list(dict.fromkeys(pk_names + index_names)))
    datastore.insert_rows(table, clean, rows)
    result = _swap(resource, table, clean, len(rows), primary_key=pk_names, indexes=index_names)
    record(
        actor=actor,
        action="opendata.datastore_create",
        obj=resource,
        agency=resource.dataset.agency,
        summary={"fields": [f["id"] for f in clean], "rows": len(rows)},
    )
    return result


@transaction.atomic
def datastore_delete(*, actor: Any, resource: Resource) -> None:
    resource = Resource.objects.select_related("dataset__agency").get(pk=resource.pk)
    _require_manage(actor, resource.dataset.agency)
    current = DatastoreTable.objects.filter(resource=resource).first()
    if current is None:
        from tinhso.opendata.errors import OpendataNotFound

        raise OpendataNotFound(
            "Resource chưa có bảng dữ liệu.", code=OpendataErrorCode.DATASTORE_NOT_FOUND
        )
    datastore.drop_table(current.table_name)
    current.delete()
    Resource.objects.filter(pk=resource.pk).update(datastore_active=False)
    bump()
    record(
        actor=actor,
        action="opendata.datastore_delete",
        obj=resource,
        agency=resource.dataset.agency,
        summary={},
    )


LOAD_CHUNK = 50_000  # rows per COPY and per committed progress step


def run_load(job_id: int) -> LoadJob:
    """Load a CSV/XLSX resource into a new table (the worker runs this).

    Pass 1 reads the whole file, infers column types and collects the structural errors;
    any error → the job fails with the per-row report and nothing is loaded. Pass 2
    converts the rows and writes a new table through COPY in chunks, committing each
    (progress visible to the page); a row refused there fails the job and drops the new
    table. Then one short transaction switches the resource to it and drops the old
    table."""
    job = LoadJob.objects.select_related("resource__dataset").get(pk=job_id)
    if job.status in (LoadJob.Status.DONE, LoadJob.Status.FAILED):
        return job  # already handled (a task delivered twice changes nothing)
    resource = job.resource
    LoadJob.objects.filter(pk=job.pk).update(
        status=LoadJob.Status.RUNNING, started_at=timezone.now(), errors=[], message=""
    )
    table = ""
    try:
        with resource.file.open("rb") as handle:
            data = handle.read()
        ext = extension_of(resource.filename or resource.file.name or "")
        if ext == "xlsx":
            parsed, used = datastore.read_xlsx(data), ""
        else:
            parsed, used = datastore.read_csv(data, job.encoding)
        fields, count, errors = datastore.infer_fields(parsed)
        LoadJob.objects.filter(pk=job.pk).update(rows_total=count, encoding=used)
        if errors:
            raise OpendataValidation(
                f"Tệp có {len(errors)} dòng lỗi; không nạp dòng nào.",
                code=OpendataErrorCode.MALFORMED_TABLE,
                details=errors,
            )
        datastore.sweep_orphans(
            resource.uid,
            keep=DatastoreTable.objects.filter(resource=resource)
            .values_list("table_name", flat=True)
            .first(),
        )
        table = datastore.new_table_name(resource.uid)
        with transaction.atomic():
            datastore.create_table(table, fields)
        # Pass 2 converts and writes in one go (the types were inferred from every value,
        # so only a text cell can still be refused here): a bad row stops the writing, the
        # rest of the file is still checked for the report, and the new table is dropped.
        vendor = "postgresql" if connection.vendor == "postgresql" else "sqlite"
        done = 0
        batch: list[list[Any]] = []
        for number, row in enumerate(parsed.rows(), start=2):
            values = datastore._row_values(row, fields, number, errors, vendor)
            if errors:
                if len(errors) >= datastore.MAX_ERRORS_REPORTED:
                    break
                continue
            batch.append(values)  # type: ignore[arg-type]
            if len(batch) >= LOAD_CHUNK:
                with transaction.atomic():
                    done += datastore.insert_rows(table, fields, batch)
                    LoadJob.objects.filter(pk=job.pk).update(rows_done=done)
                batch = []
        if errors:
            raise OpendataValidation(
                f"Tệp có {len(errors)} dòng lỗi; không nạp dòng nào.",
                code=OpendataErrorCode.MALFORMED_TABLE,
                details=errors,
            )
        with transaction.atomic():
            done += datastore.insert_rows(table, fields, batch)
            _swap(resource, table, fields, done)
            LoadJob.objects.filter(pk=job.pk).update(
                status=LoadJob.Status.DONE, rows_done=done, finished_at=timezone.now()
            )
            record(
                actor=job.requested_by,
                action="opendata.datastore_load",
                obj=resource,
                agency=resource.dataset.agency,
                summary={"rows": done, "encoding": used},
            )
        datastore.analyze(table)
    except OpendataValidation as err:
        if table:
            datastore.drop_table(table)
        LoadJob.objects.filter(pk=job.pk).update(
            status=LoadJob.Status.FAILED,
            message=err.message,
            errors=err.details or [{"row": 0, "column": "", "message": err.message}],
            finished_at=timezone.now(),
        )
    job.refresh_from_db()
    return job


# ---------------------------------------------------------------------------------------
# usage


def record_usage(*, dataset_id: int, downloads: int = 0, api_calls: int = 0) -> None:
    """Count a download or an API call of a dataset (per day, and in total).

    Counting is what makes a read request write, so it is kept cheap: no savepoint, and
    on PostgreSQL the transaction that counts commits without waiting for the WAL flush
    (`synchronous_commit off`: a crash may lose the last fraction of a second of counts,
    never consistency). Callers are read-only requests (API reads, downloads)."""
    today = timezone.localdate()
    with transaction.atomic(savepoint=False):
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        Dataset.objects.filter(pk=dataset_id).update(
            download_count=F("download_count") + downloads,
            api_call_count=F("api_call_count") + api_calls,
        )
        updated = DatasetUsage.objects.filter(dataset_id=dataset_id, day=today).update(
            downloads=F("downloads") + downloads, api_calls=F("api_calls") + api_calls
        )
        if not updated:
            DatasetUsage.objects.bulk_create(
                [
                    DatasetUsage(
                        dataset_id=dataset_id, day=today, downloads=downloads, api_calls=api_calls
                    )
                ],
                ignore_conflicts=True,
            )


# ---------------------------------------------------------------------------------------
# data officers


@transaction.atomic
def appoint_data_officer(*, actor: Any, user: Any, agency: Any) -> Steward:
    require(actor, "opendata.appoint_data_officer", agency)
    steward, created = Steward.objects.get_or_create(user=user, agency=agency)
    if created:
        record(
            actor=actor,
            action="opendata.appoint_data_officer",
            obj=user,
            agency=agency,
            summary={"user": user.username, "agency": agency.code},
        )
    if hasattr(user, "_opendata_stewardships"):
        del user._opendata_stewardships
    return steward


# ---------------------------------------------------------------------------------------
# contributions


@transaction.atomic
def propose(
    *,
    actor: Any,
    kind: str,
    title: str,
    agency: Any = None,
    dataset: Dataset | None = None,
    comment: str = "",
    link: str = "",
    upload: Any = None,
) -> Contribution:
    """A signed-in citizen or business proposes a dataset or a correction to one."""
    require(actor, "opendata.contribute", None)
    if kind not in Contribution.Kind.values:
        raise OpendataValidation("Loại đóng góp không hợp lệ.", field="kind")
    if kind == Contribution.Kind.CORRECTION:
        dataset = Dataset.objects.filter(pk=dataset.pk).first() if dataset is not None else None
        if dataset is None or not dataset.is_published:
            raise OpendataValidation("Chọn bộ dữ liệu cần sửa, bổ sung.", field="dataset")
        agency = dataset.agency
    if agency is None:
        raise OpendataValidation("Chọn cơ quan nhận đóng góp.", field="agency")
    contribution = Contribution(
        kind=kind,
        contributor=actor,
        agency=agency,
        dataset=dataset,
        title=_text(title, field="title", label="Tiêu đề", max_length=300, required=True),
        comment=_text(
            comment, field="comment", label="Nội dung", max_length=10_000, multiline=True
        ),
        link=_url(link, field="link"),
    )
    if upload is not None:
        _check_file(upload)
        contribution.filename = safe_filename(upload.name)
        contribution.sha256 = sha256_of(upload)
        contribution.file.save(contribution.filename, upload, save=False)
    if not (contribution.comment or contribution.link or contribution.file):
        raise OpendataValidation(
            "Cần một tệp, một đường dẫn hoặc nội dung góp ý.",
            code=OpendataErrorCode.CONTRIBUTION_EMPTY,
            field="comment",
        )
    contribution.save()
    record(
        actor=actor,
        action="opendata.propose",
        obj=contribution,
        agency=agency,
        summary={"kind": kind, "title": contribution.title},
    )
    return contribution


def _locked_pending(contribution: Contribution, actor: Any) -> Contribution:
    contribution = (
        Contribution.objects.select_for_update(of=("self",))
        .select_related("agency", "dataset", "contributor")
        .get(pk=contribution.pk)
    )
    try:
        require(actor, "opendata.review_contribution", contribution.agency)
    except Exception:
        raise OpendataNotAuthorized() from None
    if contribution.status != Contribution.Status.PENDING:
        raise OpendataValidation(
            "Đóng góp này đã được xử lý.",
            code=OpendataErrorCode.CONTRIBUTION_ALREADY_REVIEWED,
            field="status",
        )
    return contribution


def _notify_contributor(contribution: Contribution) -> None:
    from django.urls import reverse

    from tinhso.notify.services import notify_user

    dataset_url = (
        reverse("opendata:dataset", args=[contribution.dataset.name])
        if contribution.dataset is not None
        else ""
    )
    notify_user(
        user=contribution.contributor,
        template="opendata_contribution_reviewed",
        context={
            "title": contribution.title,
            "status": contribution.get_status_display(),
            "reason": contribution.reason,
            "dataset_url": dataset_url,
        },
        related_object=f"opendata.contribution:{contribution.uid}",
    )


@transaction.atomic
def accept_contribution(
    *, actor: Any, contribution: Contribution, title: str = "", note: str = ""
) -> Contribution:
    """Accept: a proposed dataset becomes a draft dataset of the agency (crediting the
    contributor); a correction's file or link becomes a resource of the dataset. The
    officer may edit the title first."""
    contribution = _locked_pending(contribution, actor)
    credit = f"Đóng góp của {contribution.contributor}"
    if contribution.kind == Contribution.Kind.NEW_DATASET:
        dataset = create_dataset(
            actor=actor,
            agency=contribution.agency,
            title=title or contribution.title,
            notes=f"{contribution.comment}\n\n{credit}".strip(),
            source=Dataset.Source.CONTRIBUTION,
        )
        contribution.dataset = dataset
    else:
        assert contribution.dataset is not None
        dataset = contribution.dataset
    if contribution.file or contribution.link:
        upload = None
        if contribution.file:
            contribution.file.open("rb")
            upload = ContentFile(contribution.file.read(), name=contribution.filename)
            contribution.file.close()
        add_resource(
            actor=actor,
            dataset=dataset,
            name=f"{contribution.title} ({credit})"[:300],
            url=contribution.link if upload is None else "",
            upload=upload,
            description=contribution.comment,
        )
    contribution.status = Contribution.Status.ACCEPTED
    contribution.reviewer = actor
    contribution.reason = _text(
        note, field="reason", label="Ghi chú", max_length=2000, multiline=True
    )
    contribution.reviewed_at = timezone.now()
    contribution.save()
    record(
        actor=actor,
        action="opendata.accept_contribution",
        obj=contribution,
        agency=contribution.agency,
        summary={"dataset": dataset.name},
    )
    _notify_contributor(contribution)
    return contribution


@transaction.atomic
def decline_contribution(*, actor: Any, contribution: Contribution, reason: str) -> Contribution:
    contribution = _locked_pending(contribution, actor)
    reason = _text(reason, field="reason", label="Lý do", max_length=2000, multiline=True)
    if not reason:
        raise OpendataValidation(
            "Cần nêu lý do không tiếp nhận.", code=OpendataErrorCode.REASON_REQUIRED, field="reason"
        )
    contribution.status = Contribution.Status.DECLINED
    contribution.reviewer = actor
    contribution.reason = reason
    contribution.reviewed_at = timezone.now()
    contribution.save()
    record(
        actor=actor,
        action="opendata.decline_contribution",
        obj=contribution,
        agency=contribution.agency,
        summary={"reason": reason},
    )
    _notify_contributor(contribution)
    return contribution
