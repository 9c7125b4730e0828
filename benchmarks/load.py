"""A province's peak hour under load: Locust against the production shape on this machine.

    .venv/bin/python benchmarks/load.py                         # 250, 500, 1000, 2000 users
    .venv/bin/python benchmarks/load.py --users 250 --seconds 60 --reuse   # one step again

The production shape: `tinhso serve` (gunicorn with --workers web processes, the task
worker, the gateway and the syslog listener) on PostgreSQL, DEBUG off, collected static
files, the demo province loaded through its services (`tinhso demo`). The mix, think
times and their sources are in `benchmarks/load/locustfile.py`.

For each user count Locust ramps up, resets its figures once every user runs, and then
measures for --seconds. One JSON line per user count: requests/s, p50/p95/p99 and errors
overall and per kind of request, and the CPU each side used in that window (web =
gunicorn, worker, database = every PostgreSQL process, locust = the load generator, which
shares the two cores) beside the whole machine's (`machine_busy` of 200 % on two cores,
`machine_kernel` of it: system calls and interrupts, which no process is charged for;
`machine_steal`: taken by the hypervisor). The last line names the largest user count whose p95 stayed under
300 ms with no errors.

Every simulated user comes from 127.0.0.1, so the per-address limits of the public lookup
are raised for the run (a province's citizens come from many addresses); the per-account
and per-dossier limits stay.
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent / "load"
sys.path.insert(0, str(Path(__file__).resolve().parent))

from onestop_lifecycle import emit, pg_admin, shared_cache  # noqa: E402

# The database and var/ folder's name (benchmarks/soak.py runs on its own: "soak").
NAME = os.environ.get("LOAD_BENCH_NAME", "load")
DB_URL = f"postgres://postgres@127.0.0.1:5432/bench_{NAME}"
VAR = ROOT / "var" / NAME
BIN = Path(sys.executable).parent
SESSIONS_PER_ACCOUNT_KIND = 60


def ensure_locust() -> None:
    if importlib.util.find_spec("locust") is None:
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "-q", "-r", str(HERE / "requirements.lock")],
            check=True,
        )


def server_env() -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": DB_URL,
        "TINHSO_VAR_DIR": str(VAR),
        "DEBUG": "0",
        "SECURE_COOKIES": "0",
        "SECURE_SSL_REDIRECT": "0",
        "SECURE_HSTS_SECONDS": "0",
        "PAYMENT_SANDBOX": "1",
        "ONESTOP_LOOKUP_RATE": "100000000/min",
        "ONESTOP_LOOKUP_CODE_RATE": "100000000/day",
        "LOG_LEVEL": "ERROR",
        # the rate-limit counters in Redis, as a province runs it (else the database)
        "CACHE_URL": shared_cache(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/14")),
        "REDIS_URL": "",
    }


def tinhso(*args: str) -> None:
    subprocess.run([str(BIN / "tinhso"), *args], check=True, cwd=ROOT, env=server_env())


def build_province() -> None:
    pg_admin(f"DROP DATABASE IF EXISTS bench_{NAME}")
    pg_admin(f"CREATE DATABASE bench_{NAME}")
    VAR.mkdir(parents=True, exist_ok=True)
    tinhso("migrate", "--noinput", "-v", "0")
    tinhso("demo", "--no-logins")
    tinhso("collectstatic", "--noinput", "-v", "0")


def prepare_world() -> dict:
    """Sessions, codes and terms the simulated users need (run in a child with Django)."""
    os.environ.update(server_env())
    os.environ["DJANGO_SETTINGS_MODULE"] = "tinhso.settings"
    sys.path.insert(0, str(ROOT / "src"))
    sys.path.insert(0, str(HERE))
    import django

    django.setup()
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY
    from django.contrib.auth import SESSION_KEY as USER_KEY
    from django.test import Client

    from tinhso.accounts import services as accounts
    from tinhso.accounts.models import Role, RoleGrant, User
    from tinhso.accounts.views import SESSION_KEY as SECOND_FACTOR_KEY
    from tinhso.documents.models import IncomingDocument
    from tinhso.onestop.models import Dossier, Procedure

    store = import_module(settings.SESSION_ENGINE).SessionStore
    paper = VAR / "paper.pdf"
    paper.write_bytes(_paper_pdf())
    os.environ["LOAD_PAPER"] = str(paper)
    from forms import form_values, main_form

    def sessions(users: list[User]) -> list[dict]:
        out = []
        for n in range(SESSIONS_PER_ACCOUNT_KIND):
            user = users[n % len(users)]
            session = store()
            session[USER_KEY] = str(user.pk)
            session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
            session[HASH_SESSION_KEY] = user.get_session_auth_hash()
            if user.needs_second_factor:
                session[SECOND_FACTOR_KEY] = True
            session.create()
            out.append(
                {
                    "username": user.username,
                    "cookies": {settings.SESSION_COOKIE_NAME: session.session_key},
                }
            )
        return out

    def with_role(role: str) -> list[User]:
        ids = RoleGrant.objects.filter(role=role).values_list("user_id", flat=True)
        return list(User.objects.filter(pk__in=ids, is_active=True).order_by("username"))

    citizens = list(
        User.objects.filter(kind=User.Kind.CITIZEN, is_active=True).order_by("username")
    )
    world: dict = {
        "sessions": {
            "citizen": sessions(citizens),
            "officer": sessions(with_role(Role.ONESTOP_OFFICER) + with_role(Role.SPECIALIST)),
            "clerk": sessions(with_role(Role.CLERK)),
            "leader": sessions(with_role(Role.LEADER)),
        }
    }
    procedures = list(Procedure.objects.order_by("code").values_list("code", "name"))
    world["procedures"] = [code for code, _ in procedures]
    # what citizens type: two words of a procedure's name after "Thủ tục", with and
    # without diacritics
    words = sorted(
        {" ".join(name.split()[2:4]).lower() for _, name in procedures if len(name.split()) > 3}
    )
    world["search_terms"] = words[:40] + ["khai sinh", "giay phep xay dung", "đất đai", "ho tich"]
    lookups = []
    for code, phone in (
        Dossier.objects.exclude(code__isnull=True)
        .exclude(code="")
        .values_list("code", "applicant_phone")[:500]
    ):
        digits = "".join(ch for ch in phone or "" if ch.isdigit())
        if len(digits) >= 4:
            lookups.append([code, digits[-4:]])
    world["lookups"] = lookups
    subjects = IncomingDocument.objects.values_list("subject", flat=True)[:200]
    world["document_terms"] = sorted({" ".join(s.split()[:3]) for s in subjects if s})[:40] or [
        "kế hoạch"
    ]
    # Which procedures a citizen can submit with the form as the page offers it: tried once
    # through the test client as the first citizen (each try is a real dossier).
    client = Client(SERVER_NAME="127.0.0.1")
    client.force_login(citizens[0])
    submittable = []
    for code, _ in procedures:
        page = client.get(f"/onestop/thu-tuc/{code}/nop-ho-so/")
        form = main_form(page.content.decode() if page.status_code == 200 else "")
        if form is None:
            continue
        data, files = form_values(form)
        payload = {**data, **{k: _upload(*v) for k, v in files.items()}}
        response = client.post(f"/onestop/thu-tuc/{code}/nop-ho-so/", payload)
        if response.status_code == 302 and "/ho-so/" in response.headers.get("Location", ""):
            submittable.append(code)
        if len(submittable) >= 15:
            break
    world["submittable"] = submittable
    consumer = with_role(Role.AGENCY_ADMIN)[0]
    world["api_token"] = accounts.issue_token(user=consumer, actor=None, name="load test")
    return world


def _upload(name: str, data: bytes, content_type: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type=content_type)


def _paper_pdf() -> bytes:
    import io

    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=(595, 842), invariant=1)
    c.drawString(72, 760, "Giay to kem theo ho so (load test)")
    c.showPage()
    c.save()
    return buf.getvalue()


def serve_port(free_port) -> int:
    """A free port whose neighbours are free too: `tinhso serve` puts the gateway on port + 1
    and the syslog listener on port + 14, and stops when one of them cannot bind."""
    for _ in range(200):
        port = free_port()
        if port < 65000 and all(_bindable(port + n) for n in (1, 14)):
            return port
    raise RuntimeError("no free port for tinhso serve")


def _bindable(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def wait_up(url: str, timeout: float = 300, alive: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if alive is not None and alive.poll() is not None:
            raise RuntimeError(f"tinhso serve ended ({alive.returncode}) before {url} answered")
        try:
            with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


def processes(serve_pid: int) -> dict[str, list]:
    """The processes of each side, as psutil.Process: the serve tree split into the
    gunicorn master, its web workers, the task worker and the other processes (gateway,
    syslog listener, `tinhso serve` itself); every PostgreSQL process; Locust."""
    import psutil

    sides: dict[str, list] = {
        k: [] for k in ("web_master", "web", "worker", "other_processes", "database", "locust")
    }
    try:
        tree = [psutil.Process(serve_pid), *psutil.Process(serve_pid).children(recursive=True)]
    except psutil.NoSuchProcess:
        tree = []
    lines = {}
    for proc in tree:
        try:
            lines[proc.pid] = " ".join(proc.cmdline())
        except psutil.Error:
            continue
    for proc in tree:
        try:
            line = lines.get(proc.pid, "")
            if "gunicorn" in line:  # the master's parent is `tinhso serve`; workers', the master
                key = "web" if "gunicorn" in lines.get(proc.ppid(), "") else "web_master"
            elif " worker" in line or "db_worker" in line:
                key = "worker"
            else:
                key = "other_processes"
            sides[key].append(proc)
        except psutil.Error:
            continue
    for proc in psutil.process_iter(["name", "cmdline"]):
        try:
            if proc.info["name"] in ("postgres", "postmaster"):
                sides["database"].append(proc)
            elif "locust" in " ".join(proc.info["cmdline"] or []):
                sides["locust"].append(proc)
        except psutil.Error:
            continue
    return sides


def cpu_seconds(serve_pid: int) -> dict[str, dict[int, float]]:
    """CPU seconds used so far by each process of each side: web (gunicorn, master and
    workers), worker, other processes, every PostgreSQL process, and Locust (per process:
    a backend that starts during the window counts from zero, one that ends drops out,
    never below zero)."""
    import psutil

    sides: dict[str, dict[int, float]] = {
        k: {} for k in ("web", "worker", "other_processes", "database", "locust")
    }
    for side, procs in processes(serve_pid).items():
        for proc in procs:
            try:
                times = proc.cpu_times()
            except psutil.Error:
                continue
            sides["web" if side == "web_master" else side][proc.pid] = times.user + times.system
    return sides


def cpu_used(before: dict[str, dict[int, float]], after: dict[str, dict[int, float]]):
    return {
        side: sum(max(0.0, cpu - before[side].get(pid, 0.0)) for pid, cpu in after[side].items())
        for side in after
    }


def machine_cpu() -> dict[str, float]:
    """The whole machine's CPU seconds so far (every core): busy, of which in the kernel
    (system calls, interrupts: the loopback traffic between Locust, gunicorn, PostgreSQL
    and Redis), and stolen by the hypervisor. The sides above miss what is not charged
    to a process."""
    import psutil

    t = psutil.cpu_times()
    kernel = t.system + getattr(t, "irq", 0.0) + getattr(t, "softirq", 0.0)
    busy = t.user + t.nice + kernel + getattr(t, "steal", 0.0)
    return {
        "machine_busy": busy,
        "machine_kernel": kernel,
        "machine_steal": getattr(t, "steal", 0.0),
    }


def ramp_for(users: int) -> tuple[int, float]:
    """(users started a second, seconds until all run): users/20 a second, at least 5."""
    spawn_rate = max(5, users // 20)
    return spawn_rate, users / spawn_rate


def start_locust(
    base: str,
    world_file: Path,
    users: int,
    run_seconds: int,
    csv_prefix: Path,
    env=None,
    stderr=subprocess.PIPE,
) -> tuple[subprocess.Popen, float]:
    """Locust headless on the peak mix for `users` users (`ramp_for`); (the process, the
    ramp's seconds). The run lasts ramp + run_seconds."""
    spawn_rate, ramp = ramp_for(users)
    locust_env = {
        **os.environ,
        "LOAD_WORLD": str(world_file),
        "LOAD_PAPER": str(VAR / "paper.pdf"),
        "PYTHONPATH": str(HERE),
        **(env or {}),
    }
    locust = subprocess.Popen(
        [
            str(BIN / "locust"),
            "-f",
            str(HERE / "locustfile.py"),
            "--headless",
            "-u",
            str(users),
            "-r",
            str(spawn_rate),
            "-t",
            f"{int(ramp + run_seconds)}s",
            "-H",
            base,
            "--csv",
            str(csv_prefix),
            "--reset-stats",
            "--only-summary",
            "--stop-timeout",
            "30",
            "--loglevel",
            "WARNING",
        ],
        cwd=ROOT,
        env=locust_env,
        stdout=subprocess.DEVNULL,
        stderr=stderr,
        text=True,
    )
    return locust, ramp


QUEUE_DUE = (
    "SELECT count(*) FROM django_tasks_database_dbtaskresult WHERE status IN ('READY', 'RUNNING')"
    " AND (run_after IS NULL OR run_after <= now())"
)


def drain_queue(timeout: float = 600) -> dict:
    """Wait until the task worker has done every task that is due: a step after an
    overloaded one would otherwise pay for its backlog (the worker, starved by the web
    tier, catches up while the next step runs). (seconds waited, tasks still due)."""
    import psycopg

    started = time.monotonic()
    with psycopg.connect(DB_URL.replace("postgres://", "postgresql://"), autocommit=True) as db:
        due = at_start = db.execute(QUEUE_DUE).fetchone()[0]
        while due and time.monotonic() - started < timeout:
            time.sleep(1)
            due = db.execute(QUEUE_DUE).fetchone()[0]
    return {
        "queue_wait_s": round(time.monotonic() - started, 1),
        "queue_due_at_start": at_start,
        "queue_due_after_wait": due,
    }


def run_step(base: str, world_file: Path, users: int, seconds: int, serve_pid: int) -> dict:
    queue = drain_queue()
    prefix = VAR / f"locust-{users}"
    locust, ramp = start_locust(base, world_file, users, seconds, prefix)
    time.sleep(ramp)
    before, machine_before, started = cpu_seconds(serve_pid), machine_cpu(), time.monotonic()
    # the CPU window closes a second before Locust ends (its own CPU is read while it runs)
    time.sleep(max(1, seconds - 1))
    after, machine_after = cpu_seconds(serve_pid), machine_cpu()
    elapsed = time.monotonic() - started
    used = cpu_used(before, after)
    used.update({k: machine_after[k] - machine_before[k] for k in machine_after})
    _out, err = locust.communicate()
    rows = list(csv.DictReader((prefix.with_name(prefix.name + "_stats.csv")).open()))
    kinds = {}
    total = {}
    for row in rows:
        figures = {
            "requests": int(row["Request Count"]),
            "errors": int(row["Failure Count"]),
            "requests_per_s": round(float(row["Requests/s"]), 1),
            "p50_ms": _ms(row["50%"]),
            "p95_ms": _ms(row["95%"]),
            "p99_ms": _ms(row["99%"]),
        }
        if row["Name"] == "Aggregated":
            total = figures
        else:
            kinds[row["Name"]] = figures
    failures = prefix.with_name(prefix.name + "_failures.csv")
    failure_rows = list(csv.DictReader(failures.open())) if failures.exists() else []
    return {
        "users": users,
        "seconds": seconds,
        **queue,
        **total,
        "cpu_percent": {k: round(100 * v / elapsed, 1) for k, v in used.items()},
        "kinds": kinds,
        "failures": [
            {"name": r["Name"], "error": r["Error"][:160], "count": int(r["Occurrences"])}
            for r in failure_rows[:10]
        ],
        **({"locust_stderr": err.strip()[-300:]} if locust.returncode not in (0, 1) else {}),
    }


def province(reuse: bool) -> Path:
    """The demo province loaded and the simulated users' world prepared (kept with
    reuse when there); the world file's path."""
    world_file = VAR / "world.json"
    if not (reuse and world_file.exists()):
        build_province()
        subprocess.run([sys.executable, __file__, "--prepare"], check=True, cwd=ROOT)
    return world_file


def start_serve(workers: int) -> tuple[subprocess.Popen, str]:
    """`tinhso serve` with `workers` gunicorn workers, the task worker and the declared
    processes, answering; (the process, its base URL)."""
    from onestop_lookup import free_port

    port = serve_port(free_port)
    serve = subprocess.Popen(
        [str(BIN / "tinhso"), "serve", "--port", str(port), "--workers", str(workers)],
        cwd=ROOT,
        env=server_env(),
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_up(base + "/healthz", alive=serve)
    except BaseException:
        stop_serve(serve)
        raise
    return serve, base


def stop_serve(serve: subprocess.Popen) -> None:
    os.killpg(serve.pid, signal.SIGTERM)
    serve.wait(60)


def _ms(value: str) -> float | None:
    return None if value in ("", "N/A") else float(value)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, nargs="+", default=[250, 500, 1000, 2000])
    parser.add_argument("--seconds", type=int, default=120, help="measured time per step")
    parser.add_argument(
        "--workers",
        type=int,
        default=2,
        help="gunicorn web processes (serve's default: one per core)",
    )
    parser.add_argument("--reuse", action="store_true", help="keep the loaded province")
    parser.add_argument("--prepare", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    world_file = VAR / "world.json"
    if args.prepare:
        world_file.write_text(json.dumps(prepare_world()))
        return
    ensure_locust()
    province(args.reuse)
    serve, base = start_serve(args.workers)
    largest = 0
    try:
        for users in args.users:
            step = run_step(base, world_file, users, args.seconds, serve.pid)
            emit(**step)
            if step.get("p95_ms") is not None and step["p95_ms"] < 300 and step["errors"] == 0:
                largest = users
        emit(
            largest_users_p95_under_300_ms=largest,
            workers=args.workers,
            cache="redis" if server_env()["CACHE_URL"] else "database",
        )
    finally:
        stop_serve(serve)


if __name__ == "__main__":
    main()
