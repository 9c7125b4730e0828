"""Files in storage that no row points at: swept by `tinhso files sweep`.

A use-case stores its file before the transaction that records it commits (the row
needs the file's name and digest). When that transaction rolls back — an error, or the
process killed with -9 mid-request — the file stays behind with no row. Deleting it in
the transaction is impossible (the process may be dead), so it is swept afterwards:
every file under the storage's root that is older than a grace period (so that the
files of transactions still running are left alone) and that no FileField of any
installed model names is deleted. The grace period must be longer than any transaction;
the default is a day.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from django.apps import apps
from django.core.files.storage import Storage, default_storage
from django.db import models
from django.utils import timezone

CHUNK = 500


def _file_fields() -> list[tuple[type[models.Model], str]]:
    found = []
    for model in apps.get_models():
        meta = model._meta
        if meta.proxy or not meta.managed:
            continue
        for f in meta.concrete_fields:
            if isinstance(f, models.FileField):
                found.append((model, f.attname))
    return found


def stored_names(storage: Storage | None = None, folder: str = "") -> Iterator[str]:
    """Every file name under `folder` of the storage (recursively)."""
    storage = storage or default_storage
    try:
        dirs, files = storage.listdir(folder)
    except FileNotFoundError:  # nothing stored yet
        return
    for name in files:
        yield f"{folder}/{name}" if folder else name
    for sub in dirs:
        yield from stored_names(storage, f"{folder}/{sub}" if folder else sub)


def referenced(names: list[str]) -> set[str]:
    """Those of `names` that some row's FileField names."""
    found: set[str] = set()
    for model, attname in _file_fields():
        rows = model._base_manager.filter(**{f"{attname}__in": names})
        found.update(rows.values_list(attname, flat=True))
    return found


def orphan_files(*, older_than: timedelta, storage: Storage | None = None) -> list[str]:
    """Stored files older than `older_than` that no row points at."""
    storage = storage or default_storage
    limit = timezone.now() - older_than
    orphans: list[str] = []
    batch: list[str] = []

    def flush() -> None:
        known = referenced(batch)
        for name in batch:
            if name not in known and storage.get_modified_time(name) <= limit:
                orphans.append(name)
        batch.clear()

    for name in stored_names(storage):
        batch.append(name)
        if len(batch) >= CHUNK:
            flush()
    if batch:
        flush()
    return orphans


def sweep_orphan_files(
    *, older_than: timedelta = timedelta(days=1), dry_run: bool = False
) -> list[str]:
    """Delete (unless `dry_run`) the orphan files; returns their names."""
    orphans = orphan_files(older_than=older_than)
    if not dry_run:
        for name in orphans:
            if not referenced([name]):  # a row may have come since the batch was read
                default_storage.delete(name)
    return orphans
