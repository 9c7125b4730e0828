"""Papers uploaded on the submit page are kept across a failed submission.

A browser forgets every chosen file when the page comes back with an error, so each paper
uploaded with a submission is checked and stored at once as the citizen's `PendingUpload`
(one per paper). The page offers it again ("đã tải lên: cccd.pdf") and the next
submission uses it without a new upload; it becomes the dossier's file on success. A bad
file is refused with the paper's name in the message. Pending uploads older than
`ONESTOP_PENDING_UPLOAD_HOURS` (24) are swept (`sweep_pending_uploads`): by a worker task
that new uploads ask for at most once an hour, and by `tinhso onestop prune-uploads`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction

from tinhso.core.errors import PermissionDenied, ValidationFailed
from tinhso.onestop.models import PendingUpload, RequiredPaper
from tinhso.onestop.services import files as file_store
from tinhso.onestop.services.clock import now as clock_now

PENDING_HOURS = int(getattr(settings, "ONESTOP_PENDING_UPLOAD_HOURS", 24))


def _delete_files_on_commit(names: list[str]) -> None:
    """Files go only once the rows that point at them are gone for good."""
    names = [n for n in names if n]
    if names:
        transaction.on_commit(lambda: _delete(names))


def _delete(names: list[str]) -> None:
    for name in names:
        default_storage.delete(name)


def _ask_for_a_sweep() -> None:
    from tinhso.core.tasks import enqueue_once
    from tinhso.onestop.tasks import sweep_pending_uploads_task

    enqueue_once("onestop:pending-upload-sweep", sweep_pending_uploads_task, every=3600)


@transaction.atomic
def keep_upload(*, user, paper: RequiredPaper, file: Any) -> PendingUpload:
    """Check and store one paper's upload for `user`; it replaces their earlier one for
    the same paper. A file that fails the checks is refused naming the paper."""
    if not getattr(user, "is_authenticated", False):
        raise PermissionDenied("Vui lòng đăng nhập.")
    try:
        stored = file_store.store(file, folder="pending")
    except ValidationFailed as exc:
        raise ValidationFailed(
            f"“{paper.name}”: {exc.message}",
            code=exc.code,
            details={"paper": paper.pk, "name": paper.name},
        ) from exc
    _ask_for_a_sweep()
    earlier = list(PendingUpload.objects.filter(owner=user, required_paper=paper))
    PendingUpload.objects.filter(pk__in=[p.pk for p in earlier]).delete()
    _delete_files_on_commit([str(p.file.name) for p in earlier])
    return PendingUpload.objects.create(
        owner=user,
        required_paper=paper,
        file=stored.name,
        original_name=stored.original_name,
        sha256=stored.sha256,
        size=stored.size,
        content_type=stored.content_type,
    )


def pending_uploads(user, papers) -> dict[int, PendingUpload]:
    """The user's kept uploads for these papers, by paper id (only their own)."""
    if not getattr(user, "is_authenticated", False):
        return {}
    rows = PendingUpload.objects.filter(owner=user, required_paper__in=list(papers))
    return {row.required_paper_id: row for row in rows.order_by("created_at")}


@transaction.atomic
def discard_upload(*, user, pending: PendingUpload) -> None:
    """The citizen drops a kept upload ("Bỏ tệp này")."""
    if pending.owner_id != getattr(user, "pk", None):
        raise PermissionDenied()
    name = str(pending.file.name)
    pending.delete()
    _delete_files_on_commit([name])


@transaction.atomic
def sweep_pending_uploads(*, hours: int | None = None) -> int:
    """Delete the kept uploads nobody submitted within `hours` (and their files)."""
    limit = clock_now() - timedelta(hours=PENDING_HOURS if hours is None else hours)
    stale = list(PendingUpload.objects.filter(created_at__lt=limit).values_list("pk", "file"))
    PendingUpload.objects.filter(pk__in=[pk for pk, _ in stale]).delete()
    _delete_files_on_commit([name for _, name in stale])
    return len(stale)
