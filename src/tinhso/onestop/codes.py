"""Dossier codes (Circular 01/2018/TT-VPCP art. 19); the sequences behind them and e-receipt
numbers (onestop/payments/receipts.py).

    <receiving agency code, QCVN 102 form>-<YYMMDD receipt date>-<4-digit sequence>
    e.g. 000.00.00.H41-250704-0012

The sequence is per receiving agency per (local) day. It is taken with one atomic
upsert on `CodeSequence` (`INSERT ... ON CONFLICT DO UPDATE ... RETURNING`), so two
receptions at the same moment on PostgreSQL get different numbers (the second waits on
the row lock until the first commits) and a number is never issued twice: the code is
also unique in the `Dossier` table. A rolled-back reception frees nothing visible: its
number was never shown to anyone. More than 9,999 dossiers a day widen the number.

Two codes, two moments (domain/onestop.md, "Dossier code"):
- the **tracking code** (mã theo dõi), `TD-<YYMMDD submission date>-<6 random letters and
  digits>`, e.g. `TD-250704-K7Q2MX`, is given to every dossier the moment it is submitted
  (online, or entered at the counter), as the national portal gives one at submission: the
  applicant sees it at once and looks the dossier up by it while it waits for reception;
  it never changes. Random, not sequential: it tells nobody how many dossiers there are.
- the **dossier code** (mã hồ sơ) of Circular 01/2018 art. 19, `<receiving agency code>-
  <YYMMDD receipt date>-<sequence>`, is issued when the one-stop desk accepts the dossier
  (the receipt date is the day of acceptance, the sequence that agency's of that day); it
  is the code of forms 01–06, the registers, statistics and synchronisation with the
  national portal. Until then a dossier has no such code (and the sequence has no gaps
  for dossiers that were never accepted).
Both look a dossier up (`selectors.lookup`, `services.get_dossier`); pages show the dossier
code once issued, the tracking code before.
"""

from __future__ import annotations

import re
from datetime import datetime

from django.db import connection

from tinhso.workdays.services import VN

CODE_RE = re.compile(r"^(?P<agency>[0-9A-Z.]+)-(?P<day>\d{6})-(?P<seq>\d{4,})$")


def next_value(key: str) -> int:
    """Atomically increment and return the sequence `key` (starting at 1)."""
    from tinhso.onestop.models import CodeSequence

    table = connection.ops.quote_name(CodeSequence._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (key, last) VALUES (%s, 1) "  # noqa: S608 (table name is ours)
            f"ON CONFLICT (key) DO UPDATE SET last = {table}.last + 1 RETURNING last",
            [key],
        )
        return int(cursor.fetchone()[0])


def agency_code_for_dossiers(agency) -> str:
    """The receiving agency's QCVN 102 code (falls back to its Decision 20 code)."""
    return agency.legacy_code or agency.code


def next_dossier_code(agency, moment: datetime) -> str:
    local_day = moment.astimezone(VN).strftime("%y%m%d")
    prefix = agency_code_for_dossiers(agency)
    seq = next_value(f"dossier:{agency.pk}:{local_day}")
    return f"{prefix}-{local_day}-{seq:04d}"


TRACKING_RE = re.compile(r"^TD-\d{6}-[2-9A-HJ-KM-NP-Z]{6}$")
TRACKING_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L to misread


def new_tracking_code(moment: datetime | None = None) -> str:
    """A fresh tracking code for a dossier submitted at `moment` (default: now)."""
    import secrets

    from tinhso.onestop.services.clock import now

    day = (moment or now()).astimezone(VN).strftime("%y%m%d")
    tail = "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(6))
    return f"TD-{day}-{tail}"


def looks_like_tracking_code(value: str) -> bool:
    return bool(TRACKING_RE.match((value or "").strip().upper()))


def looks_like_dossier_code(value: str) -> bool:
    return bool(CODE_RE.match((value or "").strip().upper()))
