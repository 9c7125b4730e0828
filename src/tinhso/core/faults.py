"""Faults of the platform itself, answered cleanly: the database unreachable, the disk full.

- The database unreachable (PostgreSQL restarting, the connection cut, an administrator
  shutdown, a lock or statement timeout: Django's `OperationalError` / `InterfaceError`)
  is a 503 with `Retry-After`: a short Vietnamese page, or under `/api/` the JSON error
  `{"code": "database_unavailable", ...}`. Never a traceback, never a 500; the request is
  logged once, at warning level, in one line.
- The disk or quota full while storing a file (`StorageFull`, or any `OSError` ENOSPC /
  EDQUOT that escaped, e.g. while a large upload is spooled to a temporary file) is a
  507 the same way (`storage_full`). Most uploads never get here: the storage raises
  `StorageFull`, a domain error that the form shows next to the file and the API
  answers with the same 507 (`tinhso.core.storage`).

Two paths lead here. `FaultMiddleware.process_exception` answers for exceptions raised
by a view. Exceptions raised by a middleware (the session or the user loaded from the
database by the authentication middleware, a session saved on the way out) never reach
another middleware in Django: each is turned into the 500 handler's answer at once, so
the root URLconf's `handler500` (`tinhso.web.views.server_error`) asks `fault_response`
first. Both render without the database: no context processor, no session, no user.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.utils import translation

from tinhso.core.errors import CoreErrorCode, StorageFull
from tinhso.core.storage import is_disk_full

logger = logging.getLogger("tinhso.faults")

RETRY_AFTER_SECONDS = 10

DATABASE_MESSAGE = "Hệ thống tạm thời gián đoạn, vui lòng thử lại sau ít phút."
DATABASE_MESSAGE_EN = "The service is briefly unavailable; please try again in a few minutes."
STORAGE_MESSAGE_EN = "The server is out of storage space; nothing was saved. Please try later."


def is_database_unavailable(exc: BaseException | None) -> bool:
    return isinstance(exc, OperationalError | InterfaceError)


def log_failure(log: logging.Logger, what: str, exc: BaseException) -> None:
    """For loops that retry at their next pass (ingesters, listeners): a database outage
    in one warning line, anything else with its traceback (a bug). Call it in `except`."""
    if is_database_unavailable(exc):
        log.warning("%s: database unavailable (%s)", what, " ".join(str(exc).split())[:200])
    else:
        log.exception("%s", what)


def _language(request: HttpRequest) -> str:
    """The visitor's language from the cookie alone (the locale middleware may not have
    run, and this thread may still hold a previous request's language)."""
    language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    return language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def _log_once(request: HttpRequest, what: str, exc: BaseException) -> None:
    if getattr(request, "_tinhso_fault_logged", False):
        return
    request._tinhso_fault_logged = True  # type: ignore[attr-defined]
    detail = " ".join(str(exc).split())[:300]
    logger.warning(
        "%s: %s %s answered %s (%s: %s)",
        what,
        request.method,
        request.path,
        "503" if what == "database unavailable" else "507",
        type(exc).__name__,
        detail,
    )


def _page(
    request: HttpRequest, *, status: int, heading: str, message: str, english: str
) -> HttpResponse:
    from tinhso.core.api import is_api_path

    if is_api_path(request.path):
        code = CoreErrorCode.DATABASE_UNAVAILABLE if status == 503 else CoreErrorCode.STORAGE_FULL
        response: HttpResponse = JsonResponse(
            {"code": str(code), "message": message}, status=status
        )
    else:
        with translation.override(_language(request)):
            html = loader.get_template("503.html").render(  # no request: no context processors
                {
                    "heading": heading,
                    "message": message,
                    "english": english,
                    "province_name": settings.TINHSO_PROVINCE_NAME,
                    "LANGUAGE_CODE": translation.get_language(),
                }
            )
        response = HttpResponse(html, status=status, content_type="text/html; charset=utf-8")
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    # Told once by `_log_once`: Django's request logger must not add a traceback.
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response


def fault_response(request: HttpRequest, exc: BaseException | None) -> HttpResponse | None:
    """The answer to `exc` if it is a fault of the platform (database, disk), else None."""
    if exc is None:
        return None
    if is_database_unavailable(exc):
        _log_once(request, "database unavailable", exc)
        return _page(
            request,
            status=503,
            heading="Hệ thống tạm thời gián đoạn",
            message=DATABASE_MESSAGE,
            english=DATABASE_MESSAGE_EN,
        )
    if is_disk_full(exc):
        _log_once(request, "storage full", exc)
        return _page(
            request,
            status=507,
            heading="Máy chủ hết dung lượng lưu trữ",
            message=str(StorageFull.message),
            english=STORAGE_MESSAGE_EN,
        )
    return None


class FaultMiddleware:
    """Answers a view's database or disk fault with the 503/507 page or JSON error."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        return fault_response(request, exception)
