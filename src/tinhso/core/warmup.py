"""Import at a process's start what its hot paths import lazily on first use.

Many modules import their heavy dependencies inside functions (a management command or
a page that never needs pypdf should not pay for it). A long-running process that will
need them pays on its first request or task instead, which then takes seconds of CPU:
a package arriving just after a restart, or the first batch of a worker, waited for it.
The web server (`tinhso.wsgi`) and the task worker (`tinhso worker`) import them while
they boot, before they take any work. A module missing here only costs that first use.
"""

from __future__ import annotations

import gc
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


# The collector's first generation is collected after this many allocations (Python's
# default, 700, runs it hundreds of times per page: a page allocates ~100,000 objects).
GEN0_THRESHOLD = 50_000


def settle_heap() -> None:
    """After the warm-up: what is loaded by now (Django, the libraries, ~300,000 objects)
    lives as long as the process, so it is moved out of the collector's sight, and the
    young generation is collected less often.

    Measured on the peak mix replayed in one process (`benchmarks/load_profile.py`):
    5.53 -> 4.16 ms of CPU per request, the officer's dossier page 31.6 -> 19.3 ms; a
    full collection walked every loaded object, a pause for every request the process
    was serving."""
    gc.collect()
    gc.freeze()
    _, gen1, gen2 = gc.get_threshold()
    gc.set_threshold(GEN0_THRESHOLD, gen1, gen2)
