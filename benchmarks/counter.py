"""A busy service centre's morning over HTTP, against gunicorn as production runs it.

    .venv/bin/python benchmarks/counter.py                     # 1,500 tickets, 40 counters, 4 h in 2 min
    .venv/bin/python benchmarks/counter.py --workers 5 --compress 60

Loads a PostgreSQL database `counter_bench` through the services: a centre with 8 service
groups and 40 counters, each opened by its own officer (every counter serves 3 groups,
every fifth all 8), one API token per officer. Then starts, as the README's production
line does, `gunicorn tinhso.wsgi:application --workers N` (sync workers; N defaults to
2 x cores + 1) and the background `tinhso worker` (it seals the audit trail every second),
and replays the morning over HTTP, every duration divided by `--compress`:

- `--kiosks` kiosks POST /api/v1/counter/centres/<code>/tickets/ for `--tickets` tickets
  over `--hours` hours (8 % priority). Compressed, a kiosk takes tickets far faster than a
  person can: the kiosks' requests come from 32 forwarded addresses (TRUSTED_PROXIES is the
  benchmark's own 127.0.0.1) so that the per-address kiosk guard (40/min) is not what is
  measured.
- 40 officers, one thread each: POST /api/v1/counter/desks/<uid>/call-next/ (measured, per
  request, from the request's start to the end of the response), serve for 3–9 minutes or
  wait 2 minutes and mark the citizen absent (10 %), POST .../finish/ or .../absent/, call
  again; an empty queue (404 counter_queue_empty) waits 0.5–1.5 minutes.
- `--screens` waiting-room screens GET the board fragment every 3 s (real time, as the
  page does).

Every request opens its own connection (gunicorn's sync workers do not keep connections
alive). The clients run in this process; on a small machine they compete with the server
for the CPU, and the 1-minute load average is printed beside the figures.

JSON lines: `counter_call_next` (calls that got a ticket: p50/p95/p99/max ms, the empty
calls' p95, `double_calls` = tickets handed out twice according to the responses, and
`double_calls_audit` = tickets with more than one call in the audit trail: both must be
0), `counter_kiosk` (take-ticket p95, tickets/s, duplicate numbers), `counter_morning`
(served/absent/left waiting, errors, goal p95 < 50 ms).
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import random
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from onestop_lifecycle import emit, pg_admin, setup_django  # noqa: E402
from onestop_lookup import wait_up  # noqa: E402

PG_BASE = os.environ.get("BENCH_PG_BASE", "postgres://postgres@127.0.0.1:5432/")
DB_NAME = "counter_bench"
DB_URL = f"{PG_BASE}{DB_NAME}"
COUNTERS = 40
GROUPS = 8
GOAL_P95_MS = 50.0
KIOSK_ADDRESSES = 32


def pct(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    values = sorted(values)
    return round(values[min(len(values) - 1, int(len(values) * p))], 2)


def prepare() -> dict:
    """The centre, made through the services (in a child process)."""
    setup_django(DB_URL)
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    from tinhso.accounts import services as accounts
    from tinhso.accounts.models import Role, RoleGrant, User
    from tinhso.counter import services
    from tinhso.directory.models import Agency

    agency = Agency.objects.create(code="H99.01", legacy_code="000.00.01.H99", name="TTPVHCC")
    centre = services.create_centre(actor=None, agency=agency, code="bench", name="TTPVHCC")
    groups = [
        services.create_group(actor=None, centre=centre, letter=chr(65 + i), name=f"Nhóm {i}")
        for i in range(GROUPS)
    ]
    rng = random.Random(1)
    desks = []
    for n in range(1, COUNTERS + 1):
        officer = User.objects.create_user(
            username=f"motcua{n}", full_name=f"Cán bộ {n}", kind=User.Kind.OFFICIAL, password=None
        )
        RoleGrant.objects.create(user=officer, agency=agency, role=Role.ONESTOP_OFFICER)
        desk = services.create_desk(actor=None, centre=centre, number=n)
        served = groups if n % 5 == 0 else rng.sample(groups, 3)
        services.open_desk(officer=officer, desk=desk, groups=served)
        desks.append(
            {"uid": str(desk.uid), "token": accounts.issue_token(user=officer, name="bench")}
        )
    return {"centre": centre.code, "groups": [g.letter for g in groups], "desks": desks}


class Client:
    def __init__(self, port: int) -> None:
        self.port = port

    def request(
        self, method: str, path: str, headers: dict | None = None, body: dict | None = None
    ) -> tuple[int, dict | None, float]:
        data = json.dumps(body).encode() if body is not None else b""
        started = time.perf_counter()
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.request(
                method,
                path,
                body=data if method == "POST" else None,
                headers={"Content-Type": "application/json", **(headers or {})},
            )
            response = conn.getresponse()
            raw = response.read()
        finally:
            conn.close()
        ms = (time.perf_counter() - started) * 1000
        parsed = None
        if response.getheader("Content-Type", "").startswith("application/json"):
            parsed = json.loads(raw)
        return response.status, parsed, ms


def replay(args, world: dict, port: int) -> dict:
    client = Client(port)
    span = args.hours * 3600 / args.compress  # seconds of the run
    weights = [6, 5, 4, 3, 2, 2, 1, 1]
    stop = threading.Event()
    kiosks_done = threading.Event()
    lock = threading.Lock()
    kiosk_ms: list[float] = []
    call_ms: list[float] = []
    empty_ms: list[float] = []
    other_ms: list[float] = []
    board_ms: list[float] = []
    called: list[str] = []
    errors: list[str] = []
    centre = world["centre"]

    def kiosk(k: int) -> None:
        rng = random.Random(k)
        mine = range(k, args.tickets, args.kiosks)
        gap = span / len(mine)
        started = time.perf_counter()
        for n, i in enumerate(mine):
            due = started + n * gap * rng.uniform(0.8, 1.2)
            wait = due - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            body = {
                "group": rng.choices(world["groups"], weights=weights)[0],
                "priority_reason": "elderly" if rng.random() < 0.08 else "",
                "request_key": f"bench-{i:06d}",
            }
            address = f"10.17.0.{i % KIOSK_ADDRESSES + 1}"
            try:
                status, _, ms = client.request(
                    "POST",
                    f"/api/v1/counter/centres/{centre}/tickets/",
                    {"X-Forwarded-For": address},
                    body,
                )
            except OSError as exc:
                errors.append(f"kiosk: {exc!r}")
                continue
            if status == 201:
                kiosk_ms.append(ms)
            else:
                errors.append(f"kiosk: HTTP {status}")

    def officer(desk: dict, seed: int) -> None:
        rng = random.Random(seed)
        auth = {"Authorization": f"Token {desk['token']}"}
        base = f"/api/v1/counter/desks/{desk['uid']}/"
        mine: list[str] = []
        time.sleep(rng.uniform(0, 2))  # the officers do not all sit down at the same instant
        while not stop.is_set():
            try:
                status, data, ms = client.request("POST", base + "call-next/", auth)
                if status == 404 and data and data.get("code") == "counter_queue_empty":
                    empty_ms.append(ms)
                    if kiosks_done.is_set() and rng.random() < 0.5:
                        time.sleep(0.5)
                    time.sleep(rng.uniform(0.5, 1.5) * 60 / args.compress)
                    continue
                if status != 200 or not data:
                    errors.append(f"call-next: HTTP {status} {data}")
                    time.sleep(1)
                    continue
                call_ms.append(ms)
                mine.append(data["uid"])
                if rng.random() < 0.1:
                    time.sleep(120 / args.compress)
                    action = "absent/"
                else:
                    time.sleep(rng.uniform(3, 9) * 60 / args.compress)
                    action = "finish/"
                status, data, ms = client.request("POST", base + action, auth)
                other_ms.append(ms)
                if status != 200:
                    errors.append(f"{action}: HTTP {status} {data}")
            except OSError as exc:
                errors.append(f"officer: {exc!r}")
                time.sleep(1)
        with lock:
            called.extend(mine)

    def screen(s: int) -> None:
        while not stop.is_set():
            try:
                status, _, ms = client.request("GET", f"/counter/{centre}/man-hinh/bang/")
                board_ms.append(ms)
                if status != 200:
                    errors.append(f"board: HTTP {status}")
            except OSError as exc:
                errors.append(f"board: {exc!r}")
            stop.wait(3)

    kiosks = [threading.Thread(target=kiosk, args=(k,)) for k in range(args.kiosks)]
    others = [
        threading.Thread(target=officer, args=(d, i)) for i, d in enumerate(world["desks"])
    ] + [threading.Thread(target=screen, args=(s,)) for s in range(args.screens)]
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    for t in kiosks + others:
        t.start()
    for t in kiosks:
        t.join()
    kiosks_done.set()
    kiosk_s = time.perf_counter() - started
    load_mid = os.getloadavg()[0]
    print(f"kiosks done after {kiosk_s:.0f} s", file=sys.stderr, flush=True)
    # let the counters empty the queue (at most the run's length again)
    deadline = time.perf_counter() + span
    while time.perf_counter() < deadline:
        status, board, _ = client.request("GET", f"/api/v1/counter/centres/{centre}/board/")
        if status == 200 and board and not any(q["waiting"] for q in board["queues"]):
            break
        time.sleep(1)
    stop.set()
    for t in others:
        t.join(120)
    return {
        "kiosk_ms": kiosk_ms,
        "kiosk_s": kiosk_s,
        "call_ms": call_ms,
        "empty_ms": empty_ms,
        "other_ms": other_ms,
        "board_ms": board_ms,
        "called": called,
        "errors": errors,
        "elapsed_s": time.perf_counter() - started,
        "load": (load_before, load_mid, os.getloadavg()[0]),
    }


def check() -> dict:
    """What the database says afterwards (in a child process)."""
    setup_django(DB_URL)
    from django.db.models import Count

    from tinhso.audit.models import AuditEntry
    from tinhso.counter.models import Ticket

    states = {s: Ticket.objects.filter(state=s).count() for s in Ticket.State.values}
    numbers = list(Ticket.objects.values_list("group_id", "day", "number"))
    twice = (
        AuditEntry.objects.filter(action="counter.call_ticket")
        .values("object_id")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count()
    )
    return {
        "states": states,
        "duplicate_numbers": len(numbers) - len(set(numbers)),
        "double_calls_audit": twice,
        "recalled": Ticket.objects.filter(call_count__gt=1).count(),
    }


def child(step: str) -> dict:
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        out = handle.name
    try:
        subprocess.run(  # noqa: S603 - ourselves
            [sys.executable, __file__, f"--{step}", "--out", out], check=True, cwd=ROOT
        )
        return json.loads(Path(out).read_text())
    finally:
        os.unlink(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=1500)
    parser.add_argument("--hours", type=float, default=4.0)
    parser.add_argument("--compress", type=float, default=120.0)
    parser.add_argument("--kiosks", type=int, default=4)
    parser.add_argument("--screens", type=int, default=2)
    parser.add_argument(
        "--workers", type=int, default=2 * (os.cpu_count() or 1) + 1, help="gunicorn workers"
    )
    parser.add_argument("--port", type=int, default=int(os.environ.get("BENCH_PORT", "8320")))
    parser.add_argument("--no-worker", action="store_true", help="without `tinhso worker`")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--prepare", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--check", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.prepare or args.check:
        Path(args.out).write_text(json.dumps(prepare() if args.prepare else check()))
        return
    # a key of this run for the children (the server, the worker) unless one is given
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    try:
        pg_admin(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        pg_admin(f"CREATE DATABASE {DB_NAME}")
    except Exception as exc:  # noqa: BLE001
        emit(bench="counter_call_next", skipped=f"PostgreSQL not reachable: {exc}")
        return
    t0 = time.perf_counter()
    world = child("prepare")
    print(f"prepared in {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
    env = {
        **os.environ,
        "DATABASE_URL": DB_URL,
        "DJANGO_SETTINGS_MODULE": "tinhso.settings",
        "PYTHONPATH": str(ROOT / "src"),
        "TINHSO_VAR_DIR": str(ROOT / "var" / "bench"),
        "DEBUG": "0",
        "SECURE_SSL_REDIRECT": "0",
        "SECURE_HSTS_SECONDS": "0",
        "TRUSTED_PROXIES": "127.0.0.1",
        "LOG_LEVEL": "ERROR",
    }
    bin_dir = Path(sys.executable).parent
    processes = []
    log_dir = ROOT / "var" / "bench"
    log_dir.mkdir(parents=True, exist_ok=True)
    # the server's and the worker's own output (e.g. Django's "Not Found" line for every
    # empty call-next) go to a file, not between the JSON lines
    log = open(log_dir / "counter-bench.log", "ab")  # noqa: SIM115 (closed below)
    try:
        processes.append(
            subprocess.Popen(  # noqa: S603 - our own executables
                [
                    str(bin_dir / "gunicorn"),
                    "tinhso.wsgi:application",
                    "--bind",
                    f"127.0.0.1:{args.port}",
                    "--workers",
                    str(args.workers),
                    "--backlog",
                    "2048",
                    "--log-level",
                    "warning",
                ],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=log,
                start_new_session=True,
            )
        )
        if not args.no_worker:
            processes.append(
                subprocess.Popen(  # noqa: S603
                    [sys.executable, "-m", "tinhso", "worker"],
                    cwd=ROOT,
                    env=env,
                    stdout=log,
                    stderr=log,
                    start_new_session=True,
                )
            )
        base = f"http://127.0.0.1:{args.port}"
        wait_up(base + "/healthz", timeout=300)  # a loaded machine starts gunicorn slowly
        for _ in range(args.workers * 4):  # warm the workers (imports, connections)
            with contextlib.suppress(urllib.error.HTTPError):
                urllib.request.urlopen(  # noqa: S310 - our local server
                    f"{base}/api/v1/counter/centres/{world['centre']}/board/", timeout=30
                )
        run = replay(args, world, args.port)
    finally:
        for process in processes:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            process.wait(30)
        log.close()
    db = child("check")
    if not args.keep:
        pg_admin(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
    called = run["called"]
    load = [round(x, 2) for x in run["load"]]
    p95 = pct(run["call_ms"], 0.95)
    emit(
        bench="counter_call_next",
        db="postgresql",
        server="gunicorn sync",
        workers=args.workers,
        cores=os.cpu_count(),
        officers=COUNTERS,
        calls=len(run["call_ms"]),
        p50_ms=pct(run["call_ms"], 0.5),
        p95_ms=p95,
        p99_ms=pct(run["call_ms"], 0.99),
        max_ms=round(max(run["call_ms"]), 2) if run["call_ms"] else 0.0,
        empty_calls=len(run["empty_ms"]),
        empty_p95_ms=pct(run["empty_ms"], 0.95),
        finish_absent_p95_ms=pct(run["other_ms"], 0.95),
        double_calls=len(called) - len(set(called)),
        double_calls_audit=db["double_calls_audit"],
        goal_p95_ms=GOAL_P95_MS,
        goal_met=bool(run["call_ms"]) and p95 < GOAL_P95_MS,
        load_avg_1min_before=load[0],
        load_avg_1min_mid=load[1],
        load_avg_1min_after=load[2],
    )
    emit(
        bench="counter_kiosk",
        tickets=len(run["kiosk_ms"]),
        kiosks=args.kiosks,
        tickets_per_s=round(len(run["kiosk_ms"]) / run["kiosk_s"], 2),
        take_p50_ms=pct(run["kiosk_ms"], 0.5),
        take_p95_ms=pct(run["kiosk_ms"], 0.95),
        duplicate_numbers=db["duplicate_numbers"],
        board_gets=len(run["board_ms"]),
        board_p95_ms=pct(run["board_ms"], 0.95),
    )
    emit(
        bench="counter_morning",
        replayed_hours=args.hours,
        compress=args.compress,
        elapsed_s=round(run["elapsed_s"], 1),
        served=db["states"]["done"],
        absent=db["states"]["absent"],
        left_waiting=db["states"]["waiting"],
        errors=len(run["errors"]),
        first_error=run["errors"][0] if run["errors"] else "",
    )


if __name__ == "__main__":
    main()
