"""The local file storage: a file appears under its name whole, or not at all.

Django's `FileSystemStorage` writes straight into the final name, so a disk that fills
up half-way (or a process killed mid-write) leaves a truncated file that looks like a
stored one. Here each file is first written to a hidden staging name next to it
(`.<random>.part`, same directory, same filesystem), then published under its name with
a hard link, which is atomic and never overwrites (or a rename when links are not
supported, or overwriting is allowed). Whatever goes wrong while writing, the staging
file is removed; when the disk or the quota is full the caller gets `StorageFull`
(code `storage_full`), a domain error that the page shows and the API answers with 507,
and the use-case's transaction rolls back: no row points at a missing file.

A staging file left by a process killed mid-write holds no row's name: the orphan
sweep removes it with the other unreferenced files.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import posixpath
import uuid
from typing import Any

from django.core.files.storage import FileSystemStorage as DjangoFileSystemStorage

from tinhso.core.errors import StorageFull

logger = logging.getLogger(__name__)

# "No space left on device" and "Disk quota exceeded".
DISK_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})
STAGING_SUFFIX = ".part"


def is_disk_full(exc: BaseException) -> bool:
    return isinstance(exc, StorageFull) or (
        isinstance(exc, OSError) and exc.errno in DISK_FULL_ERRNOS
    )


class FileSystemStorage(DjangoFileSystemStorage):
    def _save(self, name: str, content: Any) -> str:
        directory = posixpath.dirname(str(name).replace("\\", "/"))
        staged = posixpath.join(directory, f".{uuid.uuid4().hex}{STAGING_SUFFIX}")
        try:
            staged = super()._save(staged, content)  # type: ignore[misc]
            return self._publish(staged, name)
        except BaseException as exc:
            with contextlib.suppress(OSError):
                os.unlink(self.path(staged))
            if is_disk_full(exc) and not isinstance(exc, StorageFull):
                logger.warning("storage full: %s not stored (%s)", name, exc)
                raise StorageFull() from exc
            raise

    def _publish(self, staged: str, name: str) -> str:
        source = self.path(staged)
        while True:
            target = self.path(name)
            if getattr(self, "_allow_overwrite", False):
                os.replace(source, target)
                break
            try:
                os.link(source, target)
            except FileExistsError:
                name = self.get_available_name(name)
                continue
            except OSError as exc:
                if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV):
                    raise
                # No hard links here (some network filesystems): a rename, after
                # get_available_name chose a free name.
                if os.path.lexists(target):
                    name = self.get_available_name(name)
                    continue
                os.rename(source, target)
                break
            os.unlink(source)
            break
        return os.path.relpath(target, self.location).replace("\\", "/")
