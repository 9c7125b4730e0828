"""Faults of the platform (issue 18): the database unreachable is a clean 503, a full disk
is a clear `storage_full` error that stores nothing and records nothing.

The database fault is injected where Django runs every query (`connection.execute_wrapper`
raising what psycopg raises when PostgreSQL restarts), so the session lookup in the
middleware fails as well as the view's own queries; the real restart of a real server
is tests/core/test_database_restart.py. The full disk is a real one: MEDIA_ROOT on a
1 MB tmpfs mounted for the test (as root); where mounting is not permitted, the file
writes of the filesystem layer (`os.fdopen` files, `os.write`) run out of space after
1 MB instead (said in the test's output).
"""

from __future__ import annotations

import errno
import hashlib
import io
import logging
import os
import subprocess
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.db import OperationalError
from django.db import connection as default_connection
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from tests.onestop.conftest import world  # noqa: F401 (the fixture)
from tinhso.core.errors import StorageFull
from tinhso.core.storage import FileSystemStorage
from tinhso.onestop.models import Dossier, PendingUpload, RequiredPaper, WalletItem

pytestmark = pytest.mark.django_db

MESSAGE = "Hệ thống tạm thời gián đoạn, vui lòng thử lại sau ít phút"
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def province(request):
    """The one-stop tests' small province (fixture `world`): a procedure, a citizen."""
    return request.getfixturevalue("world")


def _server_restarting(execute, sql, params, many, context):
    raise OperationalError(
        "terminating connection due to administrator command\n"
        "server closed the connection unexpectedly"
    )


def _clean_503_page(response) -> str:
    assert response.status_code == 503, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("text/html")
    assert response["Retry-After"].isdigit()
    html = response.content.decode()
    assert MESSAGE in html and "Traceback" not in html and "OperationalError" not in html
    return html


def _clean_503_json(response) -> dict:
    assert response.status_code == 503, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json")
    assert response["Retry-After"].isdigit()
    body = response.json()
    assert body["code"] == "database_unavailable" and MESSAGE in body["message"], body
    return body


PAGE = "/feedback/"  # public, and read from the database at every visit


def test_a_public_page_answers_503_in_vietnamese_while_the_database_is_down(province, caplog):
    client = Client()
    assert client.get(PAGE).status_code == 200
    caplog.set_level(logging.WARNING)
    with default_connection.execute_wrapper(_server_restarting):
        response = client.get(PAGE)
    _clean_503_page(response)
    faults = [r for r in caplog.records if r.name == "tinhso.faults"]
    assert len(faults) == 1 and faults[0].levelname == "WARNING", faults
    assert PAGE in faults[0].getMessage() and faults[0].exc_info is None
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    # and back: the next request, the database answering again, is a page
    assert client.get(PAGE).status_code == 200


def test_a_catalogue_page_kept_rendered_is_still_served_while_the_database_is_down(
    province, own_page_stamp
):
    url = reverse("onestop:procedure", args=[province.procedure.code])
    assert Client().get(url).status_code == 200  # kept (tinhso.core.pagecache)
    with default_connection.execute_wrapper(_server_restarting):
        response = Client().get(url)
        other = Client().get(reverse("onestop:catalog"), {"q": "never asked before"})
    assert response.status_code == 200 and province.procedure.name in response.content.decode()
    _clean_503_page(other)


def test_a_procedure_page_not_kept_is_a_503_not_a_404_while_the_database_is_down(province):
    url = reverse("onestop:procedure", args=[province.procedure.code])
    with default_connection.execute_wrapper(_server_restarting):
        _clean_503_page(Client().get(url, {"never": "kept"}))


def test_the_api_answers_the_json_error_database_unavailable(province):
    client = APIClient()
    with default_connection.execute_wrapper(_server_restarting):
        _clean_503_json(client.get("/api/v1/onestop/procedures/"))
        # a token to look up: the authentication's own query fails
        _clean_503_json(client.get("/api/v1/me", HTTP_AUTHORIZATION="Token " + "a" * 40))
    assert client.get("/api/v1/onestop/procedures/").status_code == 200


def test_a_signed_in_visitor_whose_session_cannot_be_read_gets_the_503_page(province, caplog):
    """The session and the user are loaded by middleware, before any view: the fault
    there is a 503 too (through the 500 handler), logged once, without a traceback."""
    client = Client(raise_request_exception=False)
    client.force_login(province.citizen)
    caplog.set_level(logging.WARNING)
    with default_connection.execute_wrapper(_server_restarting):
        html = _clean_503_page(client.get("/"))
        _clean_503_page(client.get("/onestop/ho-so-cua-toi/"))
        api = APIClient(raise_request_exception=False)
        api.cookies = client.cookies
        _clean_503_json(api.get("/api/v1/me"))
    assert "nguyenvana" not in html and "Nguyễn Văn A" not in html  # no user, no session
    assert len([r for r in caplog.records if r.name == "tinhso.faults"]) == 3
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert client.get("/").status_code == 200


def test_the_503_page_follows_the_language_cookie_without_the_database(province):
    client = Client()
    client.cookies["django_language"] = "en"
    with default_connection.execute_wrapper(_server_restarting):
        html = _clean_503_page(client.get("/onestop/thu-tuc/"))
    assert 'lang="en"' in html and "briefly unavailable" in html


def test_health_check_still_reports_the_database_down_as_503(db):
    with default_connection.execute_wrapper(_server_restarting):
        response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": False}


# ---------------------------------------------------------------------------------------
# A full disk


def _mount_tmpfs(where: Path, size: str) -> bool:
    if os.environ.get("TINHSO_TEST_NO_MOUNT") == "1" or os.geteuid() != 0:
        return False
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
        capture_output=True,
        check=False,
    )
    return done.returncode == 0


class _SpaceBudget:
    """Where tmpfs cannot be mounted: a filesystem of `limit` bytes under `root`, at the
    system-call layer. A write that would take the files under `root` past `limit` fails
    with ENOSPC (deleting files frees their space), and a rename into `root` from
    elsewhere fails with EXDEV (another filesystem: the caller copies, as it would)."""

    def __init__(self, root: Path, limit: int, monkeypatch) -> None:
        self.root, self.limit = str(root), limit
        self.fds: set[int] = set()
        real_open, real_close, real_write = os.open, os.close, os.write
        real_fdopen, real_rename = os.fdopen, os.rename

        def tracked_open(path, flags, *args, **kwargs):
            fd = real_open(path, flags, *args, **kwargs)
            if str(path).startswith(self.root) and flags & (os.O_WRONLY | os.O_RDWR):
                self.fds.add(fd)
            return fd

        def tracked_close(fd):
            self.fds.discard(fd)
            return real_close(fd)

        def limited_write(fd, data):
            if fd in self.fds:
                self._check(len(data))
            return real_write(fd, data)

        def limited_fdopen(fd, mode="r", *args, **kwargs):
            if fd not in self.fds:
                return real_fdopen(fd, mode, *args, **kwargs)
            raw = real_fdopen(fd, mode, buffering=0)  # what is written is on disk at once
            budget = self

            class Limited(io.RawIOBase):
                def writable(self):
                    return True

                def write(self, data):
                    budget._check(len(data))
                    return raw.write(data)

                def close(self):
                    budget.fds.discard(fd)
                    raw.close()
                    super().close()

            return Limited()

        def limited_rename(src, dst, *args, **kwargs):
            if str(dst).startswith(self.root) and not str(src).startswith(self.root):
                raise OSError(errno.EXDEV, os.strerror(errno.EXDEV))
            return real_rename(src, dst, *args, **kwargs)

        monkeypatch.setattr(os, "open", tracked_open)
        monkeypatch.setattr(os, "close", tracked_close)
        monkeypatch.setattr(os, "write", limited_write)
        monkeypatch.setattr(os, "fdopen", limited_fdopen)
        monkeypatch.setattr(os, "rename", limited_rename)

    def _check(self, size: int) -> None:
        used = sum(p.stat().st_size for p in Path(self.root).rglob("*") if p.is_file())
        if used + size > self.limit:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


@pytest.fixture
def small_disk(tmp_path, settings, monkeypatch, capsys):
    """MEDIA_ROOT on a 1 MB filesystem of its own."""
    media = tmp_path / "media"
    media.mkdir()
    mounted = _mount_tmpfs(media, "1m")
    if not mounted:
        _SpaceBudget(media, 1024 * 1024, monkeypatch)
    with capsys.disabled():
        print(f"\n[full disk: {'a real 1 MB tmpfs' if mounted else 'an ENOSPC write budget'}]")
    settings.MEDIA_ROOT = str(media)
    try:
        yield media
    finally:
        if mounted:
            subprocess.run(["umount", str(media)], check=False)


def _files_under(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def test_storage_on_a_full_disk_raises_storage_full_and_leaves_no_partial_file(small_disk):
    storage = FileSystemStorage(location=str(small_disk))
    with pytest.raises(StorageFull) as raised:
        storage.save("onestop/wallet/big.png", ContentFile(PNG + os.urandom(1536 * 1024)))
    assert raised.value.code == "storage_full" and raised.value.status == 507
    assert _files_under(small_disk) == []  # neither the file nor its staging copy
    # what fits is stored whole, under its name
    data = PNG + os.urandom(100 * 1024)
    name = storage.save("onestop/wallet/small.png", ContentFile(data))
    assert _files_under(small_disk) == [name]
    with storage.open(name, "rb") as stored:
        assert hashlib.sha256(stored.read()).digest() == hashlib.sha256(data).digest()


@pytest.mark.parametrize("size_kb", [1536, 3072], ids=["in-memory-upload", "spooled-upload"])
def test_an_api_upload_on_a_full_disk_is_a_507_storage_full_that_records_nothing(
    province, small_disk, size_kb
):
    api = APIClient()
    api.force_authenticate(province.citizen)
    upload = io.BytesIO(PNG + os.urandom(size_kb * 1024))
    upload.name = "cccd.png"
    response = api.post("/api/v1/onestop/wallet/", {"file": upload, "name": "CCCD"})
    assert response.status_code == 507, response.content[:300]
    body = response.json()
    assert body["code"] == "storage_full" and "hết dung lượng" in body["message"], body
    assert not WalletItem.objects.exists()
    assert _files_under(small_disk) == []
    # a file that fits goes in whole
    small = io.BytesIO(PNG + os.urandom(50 * 1024))
    small.name = "anh.png"
    assert api.post("/api/v1/onestop/wallet/", {"file": small}).status_code == 201
    item = WalletItem.objects.get()
    assert _files_under(small_disk) == [item.file.name]


def test_a_paper_uploaded_on_the_submit_page_on_a_full_disk_is_a_clear_error(province, small_disk):
    paper = RequiredPaper.objects.create(
        procedure=province.procedure, order=2, name="Bản sao căn cước"
    )
    client = Client()
    client.force_login(province.citizen)
    upload = io.BytesIO(PNG + os.urandom(1536 * 1024))
    upload.name = "cccd.png"
    response = client.post(
        reverse("onestop:submit", args=[province.procedure.code]),
        {
            "ef-ho_ten": "Nguyễn Văn A",
            "ef-so_ban": "1",
            "return_method": "online",
            f"paper-{paper.pk}": upload,
        },
    )
    assert response.status_code == 200  # the form again, with the paper's error
    html = response.content.decode()
    assert str(StorageFull.message) in html and "Traceback" not in html
    assert not PendingUpload.objects.exists() and not Dossier.objects.exists()
    assert _files_under(small_disk) == []


# ---------------------------------------------------------------------------------------
# The worker after an outage


def test_a_task_cut_off_by_a_database_outage_is_queued_again_for_its_worker(db):
    """The worker could not record the end of the task it was running when the database
    went away: once reconnected it puts back that task (claimed under its own id), and
    leaves alone what another worker is running."""
    from django_tasks_db.models import DBTaskResult

    from tinhso.core.management.commands.worker import _requeue_interrupted
    from tinhso.onestop.tasks import sweep_pending_uploads_task

    mine = DBTaskResult.objects.get(id=sweep_pending_uploads_task.enqueue().id)
    theirs = DBTaskResult.objects.get(id=sweep_pending_uploads_task.enqueue().id)
    mine.claim("worker-a")
    theirs.claim("worker-b")
    assert _requeue_interrupted("worker-a") == 1
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.status == "READY" and mine.started_at is None
    assert theirs.status == "RUNNING"
    assert DBTaskResult.objects.ready().filter(id=mine.id).exists()
