"""Import at a process's start what its hot paths import lazily on first use.

Many modules import their heavy dependencies inside functions (a management command or
a page that never needs pypdf should not pay for it). A long-running process that will
need them pays on its first request or task instead, which then takes seconds of CPU:
a package arriving just after a restart, or the first batch of a worker, waited for it.
The web server (`tinhso.wsgi`) and the task worker (`tinhso worker`) import them while
they boot, before they take any work. A module missing here only costs that first use.
"""

from __future__ import annotations

import importlib
import logging

logger = logging.getLogger(__name__)

# Both: what receiving, signing and checking documents and packages pulls in.
_COMMON = (
    "lxml.etree",
    "pypdf",
    "pypdf.generic",
    "signxml",
    "pyhanko_certvalidator",
    "cryptography.hazmat.backends.openssl",
    "tinhso.documents.pdfs",
    "tinhso.documents.services",
    "tinhso.exchange.services",
    "tinhso.exchange.tasks",
    "tinhso.notify.services",
    "tinhso.notify.tasks",
    "tinhso.signing.selectors",
    "tinhso.signing.services",
)
WEB = _COMMON
WORKER = (
    *_COMMON,
    "tinhso.feedback.services",  # the outbox sweep's escalation
    "tinhso.meetings.services",  # the outbox sweep's reminders
)


def warm_up(modules: tuple[str, ...]) -> None:
    """Import `modules`, then build what is built once per process (the edXML schema,
    the template engines' tag libraries). Never fails: a failure here is only logged
    (the first use will raise it where it matters)."""
    for name in modules:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - warming up must never stop a process booting
            logger.warning("warm-up: could not import %s", name, exc_info=True)
    try:
        from django.template import engines

        from tinhso.exchange import edxml

        edxml.schema()
        engines.all()  # the template engines, with every tag library loaded
    except Exception:  # noqa: BLE001
        logger.warning("warm-up failed", exc_info=True)
