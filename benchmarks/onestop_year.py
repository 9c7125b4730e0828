"""One province-year of the one-stop system on PostgreSQL, then the statistics queries.

    .venv/bin/python benchmarks/onestop_year.py                     # 355,164 dossiers
    .venv/bin/python benchmarks/onestop_year.py --dossiers 20000    # quick run

Replays the year 2025 of a province with the figures of domain/scale.md: 355,164 dossiers
(Nghệ An 2021) received by 41 agencies (20 departments through the provincial service
centre + 21 district-level units), ~300 procedures in 15 fields, spread over the year's
working days (the working-day calendar incl. Tết), with the mix: 30 % online (of which
60 % full online), 66 % at the counter, 4 % by post; ~5 % asked to supplement at
reception, ~3 % during processing (clock restarted), 1 % extended once, ~1 % late, 1 %
withdrawn, 1 % refused, 0.5 % stopped, ~1 % still in progress at year end; fees on 40 %
(half paid online); 20 % of returned dossiers rated.

History is written through a bulk path (PostgreSQL COPY) that keeps the invariants the
services keep: codes `<QCVN 102 code>-<YYMMDD>-<seq>` per receiving agency per day (and the
code sequences), due dates from `workdays.Calendar` with the 15:00 rule, restarts after a
processing supplement, the single extension, timeliness per statistics.RULES, and the
form-05 events of every dossier (submit, accept, each hand-over, approve, return). The
audit trail of the historical actions is not replayed (see benchmarks/audit.py for its
own throughput).

Prints JSON lines: the load (dossiers, events, seconds, dossiers_per_s, db_size_mb), then
each statistics query timed (median of 5 runs, ms): whole province by agency / field /
procedure, one agency, the form-06 register of one agency-month. Goals: load ≤ 30 min,
statistics < 200 ms each.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics as pystats
import subprocess
import sys
import time
import uuid
from datetime import date, datetime, timedelta
from datetime import time as dtime
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from onestop_lifecycle import emit, pg_admin, setup_django  # noqa: E402

PG_BASE = os.environ.get("BENCH_PG_BASE", "postgres://postgres@127.0.0.1:5432/")
NAME = "onestop_year"
YEAR = 2025
FIELDS = [
    ("HT", "Hộ tịch"), ("CT", "Chứng thực"), ("DD", "Đất đai"), ("XD", "Xây dựng"),
    ("KD", "Đăng ký kinh doanh"), ("DT", "Đầu tư"), ("GD", "Giáo dục và Đào tạo"),
    ("YT", "Y tế"), ("LD", "Lao động"), ("TP", "Tư pháp"), ("GT", "Giao thông vận tải"),
    ("MT", "Môi trường"), ("VH", "Văn hóa"), ("NN", "Nông nghiệp"), ("TC", "Tài chính"),
]  # fmt: skip


def build_catalog(rng: random.Random):
    from tinhso.accounts.models import Role, RoleGrant, User
    from tinhso.directory.models import Agency
    from tinhso.onestop.models import Field, Procedure, ProcessStep, ProcessTemplate

    province = Agency.objects.create(code="H97", legacy_code="000.00.00.H97", name="UBND tỉnh")
    centre = Agency.objects.create(
        code="H97.16", legacy_code="000.00.16.H97", name="Trung tâm PVHCC", parent=province
    )
    agencies = []
    for i in range(1, 21):
        agencies.append(
            Agency.objects.create(
                code=f"H97.{i + 20:02d}",
                legacy_code=f"000.00.{i + 20:02d}.H97",
                name=f"Sở {i}",
                parent=province,
            )
        )
    for i in range(1, 22):
        agencies.append(
            Agency.objects.create(
                code=f"H97.{i + 50:02d}",
                legacy_code=f"000.00.{i + 50:02d}.H97",
                name=f"UBND huyện {i}",
                parent=province,
            )
        )
    officials = {}
    for index, agency in enumerate([centre, *agencies]):
        for role, prefix in (
            (Role.ONESTOP_OFFICER, "motcua"),
            (Role.SPECIALIST, "chuyenvien"),
            (Role.LEADER, "lanhdao"),
        ):
            user = User.objects.create(
                username=f"{prefix}.y{index}",
                kind=User.Kind.OFFICIAL,
                full_name=f"{prefix} {index}",
            )
            RoleGrant.objects.create(user=user, agency=agency, role=role)
            officials[(agency.pk, role)] = user
    fields = [Field.objects.create(code=c, name=n) for c, n in FIELDS]
    procedures = []
    for i in range(300):
        agency = agencies[i % len(agencies)]
        department = agency.code < "H97.50"
        days = Decimal(rng.choice([1, 3, 5, 7, 10, 15, 20]))
        procedure = Procedure.objects.create(
            code=f"1.{100000 + i:06d}",
            name=f"Thủ tục {i} lĩnh vực {fields[i % len(fields)].name}",
            field=fields[i % len(fields)],
            agency=agency,
            receiving_agency=centre if department else agency,
            processing_days=days,
            fee_vnd=rng.choice([0, 0, 0, 20000, 50000, 100000]),
            online_type="full" if rng.random() < 0.6 else "partial",
        )
        template = ProcessTemplate.objects.create(procedure=procedure)
        reception = Decimal("0.5")
        approval = Decimal("0.5") if days > 1 else Decimal("0.25")
        steps = [
            ProcessStep.objects.create(
                template=template, order=1, name="Tiếp nhận", kind="reception",
                role=Role.ONESTOP_OFFICER, budget_days=reception,
            ),
            ProcessStep.objects.create(
                template=template, order=2, name="Thẩm định", kind="processing",
                role=Role.SPECIALIST, budget_days=days - reception - approval,
            ),
            ProcessStep.objects.create(
                template=template, order=3, name="Phê duyệt", kind="approval",
                role=Role.LEADER, budget_days=approval,
            ),
        ]  # fmt: skip
        procedures.append((procedure, template, steps))
    citizens = [
        User.objects.create(username=f"congdan.y{i}", full_name=f"Công dân {i}", phone="0912")
        for i in range(200)
    ]
    return centre, agencies, procedures, officials, citizens


class Deadlines:
    """Memoised `Calendar.add_working_days` by (local date, after cut-off, days)."""

    def __init__(self) -> None:
        from tinhso.workdays import conf
        from tinhso.workdays.services import Calendar

        self.cal = Calendar()
        self.cutoff = conf.CUTOFF
        self.memo: dict = {}

    def due(self, moment: datetime, days: Decimal) -> datetime:
        from tinhso.workdays.services import VN

        local = moment.astimezone(VN)
        key = (local.date(), local.time() >= self.cutoff, days)
        base = self.memo.get(key)
        if base is None:
            base = self.cal.add_working_days(moment, days)
            self.memo[key] = base
        return base

    def later(self, moment: datetime, working_days: int, rng: random.Random) -> datetime:
        """An office-hours moment `working_days` working days after `moment`."""
        from tinhso.workdays.services import VN

        day = moment.astimezone(VN).date()
        for _ in range(working_days):
            day = self.cal.next_working_day(day)
        minutes = rng.randint(0, 420)
        hour = 450 + minutes + (90 if minutes > 240 else 0)
        result = datetime.combine(day, dtime(hour // 60, hour % 60), tzinfo=VN)
        return max(result, moment + timedelta(minutes=rng.randint(5, 90)))


_CATALOG: list = []


def catalog(rng: random.Random):
    """The province's catalogue, built once per database (years share it)."""
    if not _CATALOG:
        _CATALOG.append(build_catalog(rng))
    return _CATALOG[0]


def generate(n: int, seed: int = 2025, year: int = YEAR):
    """Yield (dossier row dict, [event dicts], rating score or None) for the year."""
    from tinhso.workdays.services import VN

    rng = random.Random(seed)
    centre, agencies, procedures, officials, citizens = catalog(rng)
    dl = Deadlines()
    first_day = date(year, 1, 1)
    working_days = [
        d
        for d in (
            first_day + timedelta(days=k) for k in range((date(year + 1, 1, 1) - first_day).days)
        )
        if dl.cal.is_working_day(d)
    ]
    end_of_year = datetime(year + 1, 1, 1, tzinfo=VN)
    seq: dict[tuple[int, str], int] = {}
    codes = {a.pk: a.legacy_code for a in [centre, *agencies]}
    for k in range(n):
        procedure, template, steps = procedures[int(len(procedures) * rng.random() ** 1.7)]
        day = working_days[k * len(working_days) // n]
        minutes = rng.randint(0, 420)
        hour = 450 + minutes + (90 if minutes > 240 else 0)
        submitted = datetime.combine(day, dtime(hour // 60, hour % 60), tzinfo=VN)
        r = rng.random()
        channel = "online" if r < 0.30 else ("post" if r < 0.34 else "counter")
        citizen = rng.choice(citizens) if channel == "online" else None
        receiving = procedure.receiving_agency_id
        officer = officials[(receiving, "onestop_officer")]
        specialist = officials[(procedure.agency_id, "specialist")]
        leader = officials[(procedure.agency_id, "leader")]
        events = [("submit", submitted, None, None, None, None)]
        row = {
            "procedure_id": procedure.pk,
            "field_id": procedure.field_id,
            "process_template_id": template.pk,
            "agency_id": procedure.agency_id,
            "receiving_agency_id": receiving,
            "handling_agency_id": procedure.agency_id,
            "channel": channel,
            "online_type": procedure.online_type if channel == "online" else "",
            "applicant_id": citizen.pk if citizen else None,
            "applicant_name": f"Người nộp {k}",
            "applicant_id_number": f"0990{k:08d}",
            "applicant_phone": f"09{k % 100000000:08d}",
            "submitted_at": submitted,
            "fee_vnd": procedure.fee_vnd,
            "form_data": {"ho_ten": f"Người nộp {k}"},
        }
        outcome = rng.random()
        moment = submitted
        if outcome < 0.01:  # refused at reception
            moment = dl.later(moment, 0, rng)
            row.update(state="refused", finished_at=moment, refusal_reasons="Không đủ điều kiện")
            events.append(("refuse", moment, None, officer, None, None))
            yield row, events, None
            continue
        if rng.random() < 0.05:  # supplement at reception, answered 1–3 days later
            moment = dl.later(moment, 0, rng)
            events.append(("request_supplement", moment, None, officer, None, None))
            moment = dl.later(moment, rng.randint(1, 3), rng)
            events.append(("answer_supplement", moment, None, None, None, None))
        received = dl.later(moment, 0 if rng.random() < 0.8 else 1, rng)
        if received >= end_of_year:
            row.update(state="submitted")
            yield row, events, None
            continue
        key = (receiving, received.astimezone(VN).strftime("%y%m%d"))
        seq[key] = seq.get(key, 0) + 1
        due = dl.due(received, procedure.processing_days)
        row.update(
            code=f"{codes[receiving]}-{key[1]}-{seq[key]:04d}",
            state="accepted",
            received_at=received,
            received_by_id=officer.pk,
            clock_started_at=received,
            due_at=due,
            original_due_at=due,
            current_step_id=steps[0].pk,
        )
        events.append(("accept", received, steps[0], officer, officer, due))
        if procedure.fee_vnd:
            row["fee_paid"] = True
            row["paid_online"] = channel == "online" and rng.random() < 0.5
        late = rng.random() < 0.012
        total_days = int(procedure.processing_days)
        # hand-overs: reception → specialist → leader
        moment = dl.later(received, 0, rng)
        events.append(("forward", moment, steps[0], officer, specialist, None))
        if rng.random() < 0.03 and total_days >= 3:  # supplement during processing
            ask = dl.later(moment, 1, rng)
            events.append(("request_supplement", ask, steps[1], specialist, None, None))
            answered = dl.later(ask, rng.randint(1, 4), rng)
            events.append(("answer_supplement", answered, None, None, None, None))
            due = dl.due(answered, procedure.processing_days)
            row.update(clock_started_at=answered, clock_restarted=True, due_at=due)
            row["original_due_at"] = due
            moment = answered
        if late and rng.random() < 0.5 and total_days >= 2:  # apologise, extend once
            new_due = dl.later(due, 3, rng).replace(hour=17, minute=0)
            events.append(("extend", dl.later(moment, 0, rng), steps[1], specialist, None, None))
            row.update(extended_once=True, due_at=new_due)
            due = new_due
            late = rng.random() < 0.3
        spend = (
            total_days + rng.randint(1, 4)
            if late
            else max(0, int(total_days * rng.uniform(0.1, 0.95)))
        )
        moment = dl.later(moment, max(spend - 1, 0), rng)
        events.append(("forward", moment, steps[1], specialist, leader, None))
        moment = dl.later(moment, 1 if spend else 0, rng)
        roll = rng.random()
        if moment >= end_of_year or roll < 0.01:  # still in progress / processing
            row.update(state="processing", current_step_id=steps[2].pk, assignee_id=leader.pk)
            events = [e for e in events if e[1] < end_of_year]
            yield row, events, None
            continue
        if roll < 0.02 and citizen is not None:
            row.update(state="withdrawn", finished_at=moment)
            events.append(("withdraw", moment, None, None, None, None))
            yield row, events, None
            continue
        if roll < 0.025:
            row.update(state="stopped", result_at=moment, finished_at=moment)
            events.append(("stop", moment, steps[2], leader, None, None))
            yield row, events, None
            continue
        from tinhso.onestop.services.dossiers import timeliness_of

        row.update(
            state="approved",
            current_step_id=steps[2].pk,
            result_at=moment,
            timeliness=timeliness_of(moment, due),
            handling_agency_id=receiving,
        )
        events.append(("approve", moment, steps[2], leader, None, None))
        returned = dl.later(moment, rng.choice([0, 0, 1]), rng)
        if returned < end_of_year and rng.random() < 0.98:
            row.update(state="returned", returned_at=returned, finished_at=returned)
            events.append(("return", returned, None, officer, None, None))
            score = rng.choices([5, 4, 3, 2, 1], weights=[60, 28, 7, 3, 2])[0]
            yield row, events, (score if rng.random() < 0.2 else None)
            continue
        yield row, events, None
    from tinhso.onestop.models import CodeSequence

    CodeSequence.objects.bulk_create(
        [CodeSequence(key=f"dossier:{a}:{d}", last=v) for (a, d), v in seq.items()],
        batch_size=5000,
    )


def load(n: int, year: int = YEAR) -> dict:
    from django.db import connection
    from psycopg.types.json import Jsonb

    from tinhso.onestop.codes import new_tracking_code
    from tinhso.onestop.models import Dossier, DossierEvent

    dossier_fields = [f for f in Dossier._meta.concrete_fields if f.column != "id"]
    event_fields = [f for f in DossierEvent._meta.concrete_fields if f.column != "id"]
    defaults = {}
    for f in dossier_fields:
        defaults[f.attname] = None if f.null and not f.has_default() else f.get_default()
    now = datetime.now().astimezone()
    with connection.cursor() as cur:
        cur.execute("SELECT nextval(pg_get_serial_sequence('onestop_dossier', 'id'))")
        next_id = cur.fetchone()[0]
    raw = connection.connection
    dossier_cols = ", ".join(["id", *[f.column for f in dossier_fields]])
    event_cols = ", ".join(f.column for f in event_fields)
    rating_rows = []
    counts = {"dossiers": 0, "events": 0}
    batch_d, batch_e = [], []

    def flush() -> None:
        with raw.cursor() as cur:
            with cur.copy(f"COPY onestop_dossier ({dossier_cols}) FROM STDIN") as copy:
                for r in batch_d:
                    copy.write_row(r)
            with cur.copy(f"COPY onestop_dossierevent ({event_cols}) FROM STDIN") as copy:
                for r in batch_e:
                    copy.write_row(r)
        batch_d.clear()
        batch_e.clear()

    dossier_id = next_id
    tracking_codes: set[str] = set()
    for row, events, score in generate(n, seed=year, year=year):
        values = {**defaults, **row, "uid": uuid.uuid4(), "created_at": now, "updated_at": now}
        # a unique column with a callable default: one value per row, not one for all; the
        # rows share one day, so 20,000 random 6-letter tails collide 1 run in 4: draw again
        tracking_code = row.get("tracking_code") or new_tracking_code()
        while tracking_code in tracking_codes:
            tracking_code = new_tracking_code()
        tracking_codes.add(tracking_code)
        values["tracking_code"] = tracking_code
        values["version"] = len(events)
        batch_d.append(
            [dossier_id]
            + [
                Jsonb(values[f.attname])
                if f.get_internal_type() == "JSONField"
                else values[f.attname]
                for f in dossier_fields
            ]
        )
        for action, at, step, frm, to, step_due in events:
            ev = {
                "dossier_id": dossier_id,
                "action": action,
                "at": at,
                "step_id": step.pk if step else None,
                "step_name": step.name if step else "",
                "from_user_id": frm.pk if frm else None,
                "from_name": frm.full_name if frm else "",
                "to_user_id": to.pk if to else None,
                "to_name": to.full_name if to else "",
                "from_agency_id": None,
                "to_agency_id": None,
                "state_after": "",
                "step_due_at": step_due,
                "on_time": None,
                "note": "",
            }
            batch_e.append([ev[f.attname] for f in event_fields])
        if score is not None:
            rating_rows.append((dossier_id, score))
        counts["dossiers"] += 1
        counts["events"] += len(events)
        dossier_id += 1
        if len(batch_d) >= 20000:
            flush()
    flush()
    with connection.cursor() as cur:
        cur.execute(
            "SELECT setval(pg_get_serial_sequence('onestop_dossier', 'id'), %s)", [dossier_id]
        )
        with (
            cur.connection.cursor() as c2,
            c2.copy(
                "COPY onestop_rating (dossier_id, score, comment, created_at) FROM STDIN"
            ) as copy,
        ):
            for did, score in rating_rows:
                copy.write_row((did, score, "", now))
    counts["ratings"] = len(rating_rows)
    return counts


def timed(fn, runs: int = 5) -> float:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return round(pystats.median(samples), 1)


def child(n: int) -> None:
    setup_django(f"{PG_BASE}bench_{NAME}")
    from django.core.management import call_command
    from django.db import connection, transaction

    call_command("migrate", verbosity=0, interactive=False)
    started = time.perf_counter()
    with transaction.atomic():
        counts = load(n)
    loaded = time.perf_counter() - started
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE")
    total = time.perf_counter() - started
    with connection.cursor() as cur:
        cur.execute("SELECT pg_database_size(current_database())")
        size = cur.fetchone()[0]
        cur.execute("SELECT state, count(*) FROM onestop_dossier GROUP BY state ORDER BY state")
        states = dict(cur.fetchall())
        cur.execute("SELECT timeliness, count(*) FROM onestop_dossier GROUP BY 1 ORDER BY 1")
        timeliness = dict(cur.fetchall())
    emit(
        db="postgresql",
        **counts,
        load_s=round(loaded, 1),
        total_s=round(total, 1),
        dossiers_per_s=round(counts["dossiers"] / loaded, 1),
        db_size_mb=round(size / 1024 / 1024, 1),
        states=states,
        timeliness=timeliness,
    )
    from tinhso.directory.models import Agency
    from tinhso.onestop import statistics as stats

    started = time.perf_counter()
    rollup_rows = stats.refresh_rollup(start=date(YEAR, 1, 1), end=date(YEAR, 12, 31))
    with connection.cursor() as cur:
        cur.execute("ANALYZE onestop_dailystat")
    emit(rollup_rows=rollup_rows, rollup_s=round(time.perf_counter() - started, 1))
    period = stats.Period.year(YEAR)
    month = stats.Period.month(YEAR, 10)
    agency = Agency.objects.get(code="H97.51")
    centre = Agency.objects.get(code="H97.16")
    now = datetime(YEAR + 1, 1, 15, tzinfo=datetime.now().astimezone().tzinfo)
    checks = {
        "year_total": lambda: stats.summary(period=period, now=now),
        "year_by_agency": lambda: stats.summary(period=period, group_by="agency", now=now),
        "year_by_field": lambda: stats.summary(period=period, group_by="field", now=now),
        "year_by_procedure": lambda: stats.summary(period=period, group_by="procedure", now=now),
        "year_one_agency": lambda: stats.summary(period=period, agency=agency, now=now),
        "year_one_agency_by_procedure": lambda: stats.summary(
            period=period, agency=agency, group_by="procedure", now=now
        ),
        "month_by_agency": lambda: stats.summary(period=month, group_by="agency", now=now),
        "register_one_agency_month": lambda: stats.register_rows(
            period=stats.Period(date(YEAR, 10, 1), date(YEAR, 10, 7)), receiving_agency=agency
        ),
        "register_centre_day": lambda: stats.register_rows(
            period=stats.Period(date(YEAR, 10, 6), date(YEAR, 10, 6)), receiving_agency=centre
        ),
    }
    total_row = stats.summary(period=period, now=now)[0]
    emit(
        check="year_total_figures",
        received=total_row["received"],
        resolved=total_row["resolved"],
        on_time_rate=total_row["on_time_rate"],
        online_share=total_row["online_share"],
        satisfaction_rate=total_row["satisfaction_rate"],
    )
    for name, fn in checks.items():
        rows = fn()
        emit(query=name, median_ms=timed(fn), rows=len(rows))
    # the same figures straight from the dossiers (no rollup), for comparison
    raw = {
        "raw_year_by_agency": lambda: stats.summary(
            period=period, group_by="agency", now=now, use_rollup=False
        ),
        "raw_year_one_agency": lambda: stats.summary(
            period=period, agency=agency, now=now, use_rollup=False
        ),
    }
    for name, fn in raw.items():
        emit(query=name, median_ms=timed(fn, runs=3), rows=len(fn()))
    same = stats.summary(period=period, group_by="agency", now=now) == stats.summary(
        period=period, group_by="agency", now=now, use_rollup=False
    )
    emit(check="rollup_equals_live", ok=same)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dossiers", type=int, default=355_164)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.dossiers)
        return
    try:
        pg_admin(f"DROP DATABASE IF EXISTS bench_{NAME}")
        pg_admin(f"CREATE DATABASE bench_{NAME}")
    except Exception as exc:  # noqa: BLE001
        emit(db="postgresql", skipped=f"PostgreSQL not reachable: {exc}")
        return
    started = time.perf_counter()
    try:
        subprocess.run(
            [sys.executable, __file__, "--child", "--dossiers", str(args.dossiers)],
            check=True,
            cwd=ROOT,
        )
        emit(wall_s=round(time.perf_counter() - started, 1))
    finally:
        if not args.keep:
            pg_admin(f"DROP DATABASE IF EXISTS bench_{NAME}")


if __name__ == "__main__":
    main()
