"""Security intake: events/s with the rules evaluated, arrival → alert latency, and what a
kill -9 of the intake loses.

    .venv/bin/python benchmarks/security.py                 # 30 s per leg
    .venv/bin/python benchmarks/security.py --seconds 60 --batch 200

On a PostgreSQL database `security_bench` (recreated), with the seeded rules plus
ranges for 34 agencies:

1. `http`: gunicorn (--workers sync workers) serving the app; --clients threads POST
   batches of --batch Wazuh 4.x alerts (NDJSON, unique ids; one in ten an SSH
   authentication failure so the threshold rules count, one in fifty level 12 so the
   high-level rule matches; every event goes through every active rule) to
   /api/v1/security/intake/wazuh for --seconds (30). Figures: events_per_s (stored ÷
   the sending time), request p50/p95 (the answer comes after the commit), and
   arrival → alert p50/p95 measured from the client: the moment the request carrying
   the alert's first event was sent, to Alert.raised_at (set as the batch's last step,
   just before its commit). `db_alert_p95_ms` is the same from the server's own arrival
   stamp (it leaves out the time a request waited for a free worker).
2. `syslog`: `tinhso security syslog` on this app's port; one TCP connection streams
   RFC 5424 lines with Wazuh JSON as fast as the listener takes them (it reads no faster
   than it commits: back-pressure) for --seconds, with --syslog-writers writer processes; figures: events_per_s (stored ÷ time
   until the last batch committed) and arrival → alert from the client's send time.
3. `kill`: a client posts batches one by one and remembers what was acknowledged (202);
   the gunicorn master and workers get SIGKILL mid-stream, are restarted, and the client
   resends what was not acknowledged. Figures: acknowledged, stored, lost (acknowledged
   but not stored: must be 0), duplicates (must be 0: replays are dropped by alert id).
   The same for syslog over TCP, which has no acknowledgement: `handed_to_kernel` is what
   the client's sendall completed, `stored` what was committed, `unacknowledged_lost`
   the difference (the listener's queue, the batch being written and the socket
   buffers when it died; the listener bounds what it holds: `bound_in_flight`).

Ports: 8330-8339 (BENCH_PORT_BASE); database `security_bench` (BENCH_PG_BASE).
"""

from __future__ import annotations

import argparse
import bisect
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from onestop_lifecycle import emit, pg_admin, setup_django  # noqa: E402

PG_BASE = os.environ.get("BENCH_PG_BASE", "postgres://postgres@127.0.0.1:5432/")
NAME = "security"
DB_URL = f"{PG_BASE}{NAME}_bench"
PYTHON = sys.executable


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=DB_URL,
        DJANGO_SETTINGS_MODULE="tinhso.settings",
        PYTHONPATH=str(ROOT / "src"),
        SECRET_KEY=os.environ.get("SECRET_KEY", "bench-only-" + "k" * 50),
        TASKS_BACKEND="django_tasks.backends.dummy.DummyBackend",
        TINHSO_VAR_DIR=str(ROOT / "var" / "bench"),
        DEBUG="0",
        SECURE_SSL_REDIRECT="0",
        SECURE_HSTS_SECONDS="0",
    )
    return env


def prepare(token_file: str) -> None:
    setup_django(DB_URL)
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    from tinhso.accounts.models import Role
    from tinhso.accounts.services import create_official, grant_role
    from tinhso.directory import services as directory
    from tinhso.security import services
    from tinhso.security.models import Source

    root = directory.create_agency(actor=None, code="H98", kind="peoples_committee", name="UBND")
    admin = create_official(username="bench.soc", full_name="Bench")
    grant_role(user=admin, agency=root, role=Role.PLATFORM_ADMIN)
    for n in range(1, 35):
        agency = directory.create_agency(
            actor=None, code=f"H98.{n:02d}", name=f"Sở {n}", kind="department", parent=root
        )
        services.save_range(actor=admin, kind="agent_name", value=f"a{n:02d}-", agency=agency)
        services.save_range(actor=admin, kind="ip_range", value=f"10.{n}.0.0/16", agency=agency)
    _source, token = services.create_source(
        actor=admin, name="bench-wazuh", kind="wazuh", rate_per_minute=10_000_000
    )
    Source.objects.get_or_create(name="syslog", defaults={"kind": "syslog"})
    Path(token_file).write_text(token)


def alert(n: int, tag: str) -> dict:
    agency = n % 34 + 1
    auth = n % 10 == 0
    level = 12 if n % 50 == 0 else (5 if auth else 3)
    return {
        "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S.000+0000", time.gmtime()),
        "rule": {
            "level": level,
            "id": "5710" if auth else "5402",
            "description": "sshd: Attempt to login using a non-existent user"
            if auth
            else "Successful sudo to ROOT executed.",
            "groups": ["syslog", "sshd", "authentication_failed"] if auth else ["syslog", "sudo"],
        },
        "agent": {  # keys differ per leg (tag), so each leg raises alerts of its own
            "id": f"{tag[:4]}{n % 1500:04d}",
            "name": f"a{agency:02d}-pc-{n % 44}",
            "ip": f"10.{agency}.0.{n % 250}",
        },
        "manager": {"name": "bench"},
        "id": f"{tag}.{n}",
        "full_log": "x" * 200,
        "data": {
            "srcip": f"198.{sum(map(ord, tag)) % 250}.100.{n % 200}",
            "srcuser": f"{tag}-user{n % 300}",
        },
        "location": "/var/log/auth.log",
    }


PORTS = iter(range(int(os.environ.get("BENCH_PORT_BASE", "8330")), 8340))


def free_port() -> int:
    """The next port of this app's range (8330-8339) that nothing listens on."""
    for port in PORTS:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port left in 8330-8339")


def start_gunicorn(port: int, workers: int) -> subprocess.Popen:
    proc = subprocess.Popen(
        [
            PYTHON,
            "-m",
            "gunicorn",
            "tinhso.wsgi",
            "-b",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--log-level",
            "warning",
        ],
        env=child_env(),
        start_new_session=True,
    )
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return proc
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("gunicorn did not start")


def warm_up(port: int, token: str, workers: int) -> None:
    """Until every worker has booted and answered once (not part of the figures)."""
    deadline = time.time() + 120
    answered = 0
    n = 0
    while answered < workers * 3 and time.time() < deadline:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        try:
            if post(conn, token, json.dumps(alert(n, "warm")).encode()) == 202:
                answered += 1
        except (OSError, http.client.HTTPException):
            time.sleep(0.5)
        finally:
            conn.close()
        n += 1


def post(conn: http.client.HTTPConnection, token: str, body: bytes) -> int:
    conn.request(
        "POST",
        "/api/v1/security/intake/wazuh",
        body=body,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/x-ndjson"},
    )
    response = conn.getresponse()
    response.read()
    return response.status


def counts(tag: str) -> tuple[int, int]:
    import psycopg

    with psycopg.connect(DB_URL.replace("postgres://", "postgresql://")) as conn:
        events = conn.execute(
            "SELECT count(*) FROM security_event WHERE source_event_id LIKE %s", [f"{tag}.%"]
        ).fetchone()[0]
        distinct = conn.execute(
            "SELECT count(DISTINCT source_event_id) FROM security_event WHERE source_event_id LIKE %s",
            [f"{tag}.%"],
        ).fetchone()[0]
    return events, distinct


def alert_latency(since: float) -> dict:
    import psycopg

    with psycopg.connect(DB_URL.replace("postgres://", "postgresql://")) as conn:
        rows = conn.execute(
            "SELECT EXTRACT(EPOCH FROM (raised_at - arrived_at)) * 1000 FROM security_alert "
            "WHERE raised_at >= to_timestamp(%s) AND arrived_at IS NOT NULL ORDER BY 1",
            [since],
        ).fetchall()
    values = [float(r[0]) for r in rows]
    if not values:
        return {"alerts": 0}
    return {
        "alerts": len(values),
        "alert_p50_ms": round(values[len(values) // 2], 1),
        "alert_p95_ms": round(values[int(len(values) * 0.95)], 1),
    }


def client_alert_latency(tag: str, sends: list[tuple[int, float]]) -> dict:
    """Arrival → alert from the client: `sends` are (first n of a request or chunk, wall
    time it was sent), sorted by n; an alert's first event `tag.n` was sent at the time
    of the last send whose first n ≤ n."""
    import psycopg

    if not sends:
        return {"alerts": 0}
    sends = sorted(sends)
    starts = [n for n, _t in sends]
    with psycopg.connect(DB_URL.replace("postgres://", "postgresql://")) as conn:
        rows = conn.execute(
            "SELECT EXTRACT(EPOCH FROM a.raised_at), e.source_event_id FROM security_alert a "
            "JOIN security_event e ON e.id = a.first_event_id "
            "WHERE e.source_event_id LIKE %s",
            [f"{tag}.%"],
        ).fetchall()
    values = []
    for raised, event_id in rows:
        n = int(event_id.rsplit(".", 1)[1])
        sent = sends[bisect.bisect_right(starts, n) - 1][1]
        values.append((float(raised) - sent) * 1000)
    values.sort()
    if not values:
        return {"alerts": 0}
    return {
        "alerts": len(values),
        "alert_p50_ms": round(values[len(values) // 2], 1),
        "alert_p95_ms": round(values[int(len(values) * 0.95)], 1),
        "alert_max_ms": round(values[-1], 1),
    }


def load_1m() -> float:
    return round(os.getloadavg()[0], 2)


def leg_http(token: str, args) -> None:
    port = free_port()
    proc = start_gunicorn(port, args.workers)
    warm_up(port, token, args.workers)
    latencies: list[float] = []
    sends: list[tuple[int, float]] = []
    accepted = [0]
    refused: dict[int, int] = {}
    lock = threading.Lock()
    load_before = load_1m()
    stop = time.time() + args.seconds
    started_at = time.time()

    def client(k: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        n = k * 10_000_000
        local = []
        local_sends = []
        while time.time() < stop:
            body = "\n".join(json.dumps(alert(n + i, "http")) for i in range(args.batch)).encode()
            t = time.perf_counter()
            local_sends.append((n, time.time()))
            status = post(conn, token, body)
            local.append((time.perf_counter() - t) * 1000)
            if status == 202:
                with lock:
                    accepted[0] += args.batch
            else:
                with lock:
                    refused[status] = refused.get(status, 0) + 1
            n += args.batch
        with lock:
            latencies.extend(local)
            sends.extend(local_sends)

    threads = [threading.Thread(target=client, args=(k,)) for k in range(args.clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    stop_process(proc)
    latencies.sort()
    stored, _ = counts("http")
    db = alert_latency(started_at)
    emit(
        leg="http",
        seconds=round(elapsed, 1),
        events_per_s=round(stored / elapsed, 1),
        events=stored,
        acknowledged=accepted[0],
        batch=args.batch,
        clients=args.clients,
        workers=args.workers,
        request_p50_ms=round(latencies[len(latencies) // 2], 1),
        request_p95_ms=round(latencies[int(len(latencies) * 0.95)], 1),
        refused=refused,
        **client_alert_latency("http", sends),
        db_alert_p95_ms=db.get("alert_p95_ms"),
        load_1m_before=load_before,
        load_1m_after=load_1m(),
    )


def start_syslog(port: int, args) -> subprocess.Popen:
    proc = subprocess.Popen(
        [
            PYTHON,
            "-m",
            "tinhso",
            "security",
            "syslog",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--rate",
            "1000000",
            "--batch",
            str(args.syslog_batch),
            "--linger",
            str(args.syslog_linger),
            "--queue",
            str(args.syslog_queue),
            "--writers",
            str(args.syslog_writers),
        ],
        env=child_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        text=True,
    )
    line = proc.stdout.readline()
    if "listening" not in line:
        raise RuntimeError(f"syslog listener did not start: {line!r}")
    return proc


def stop_process(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(60)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)


def syslog_line(n: int, tag: str) -> bytes:
    payload = json.dumps(alert(n, tag))
    frame = f"<132>1 2026-11-30T01:14:56.382Z wazuh-manager wazuh - - - {payload}".encode()
    return f"{len(frame)} ".encode() + frame


def wait_stored(tag: str, expected: int, timeout: float) -> tuple[int, float]:
    deadline = time.time() + timeout
    last, last_change = -1, time.time()
    while time.time() < deadline:
        stored, _ = counts(tag)
        if stored != last:
            last, last_change = stored, time.time()
        if stored >= expected or time.time() - last_change > 15:
            break
        time.sleep(0.2)
    return last, last_change


def pace(t0: float, sent: int, rate: float) -> None:
    """Hold a sender to `rate` events/s (0: as fast as the listener takes them)."""
    if rate > 0:
        wait = t0 + sent / rate - time.time()
        if wait > 0:
            time.sleep(wait)


def leg_syslog(args, rate: float) -> None:
    tag = "sysp" if rate else "sys"
    port = free_port()
    proc = start_syslog(port, args)
    load_before = load_1m()
    sent = 0
    sends: list[tuple[int, float]] = []
    t0 = time.time()
    with socket.create_connection(("127.0.0.1", port)) as tcp:
        stop = time.time() + args.seconds
        while time.time() < stop:
            pace(t0, sent, rate)
            chunk = b"".join(syslog_line(sent + i, tag) for i in range(100))
            sends.append((sent, time.time()))
            tcp.sendall(chunk)  # blocks while the listener is behind (back-pressure)
            sent += 100
    sending = time.time() - t0
    stored, finished = wait_stored(tag, sent, 300)
    stop_process(proc)
    emit(
        leg="syslog",
        transport="tcp",
        offered_per_s=rate or "max",
        seconds=round(sending, 1),
        events_per_s=round(stored / max(finished - t0, 0.001), 1),
        sent=sent,
        stored=stored,
        batch=args.syslog_batch,
        writers=args.syslog_writers,
        linger_ms=int(args.syslog_linger * 1000),
        **client_alert_latency(tag, sends),
        load_1m_before=load_before,
        load_1m_after=load_1m(),
    )


def leg_kill(token: str, args) -> None:
    port = free_port()
    proc = start_gunicorn(port, args.workers)
    acknowledged: set[int] = set()
    pending: list[list[int]] = []
    n = 0
    killed = [False]

    def killer() -> None:
        time.sleep(args.seconds / 2)
        os.killpg(proc.pid, signal.SIGKILL)
        killed[0] = True

    threading.Thread(target=killer, daemon=True).start()
    stop = time.time() + args.seconds
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    restarted = None
    while time.time() < stop or pending:
        batch = pending.pop(0) if pending else list(range(n, n + args.batch))
        if batch[0] == n:
            n += args.batch
        body = "\n".join(json.dumps(alert(i, "kill")) for i in batch).encode()
        try:
            status = post(conn, token, body)
        except (OSError, http.client.HTTPException):
            status = 0
        if status == 202:
            acknowledged.update(batch)
            continue
        pending.append(batch)  # not acknowledged: send again later
        if killed[0] and restarted is None:
            restarted = start_gunicorn(port, args.workers)
        conn.close()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        time.sleep(0.1)
    stored, distinct = counts("kill")
    lost = len(acknowledged) - distinct
    if restarted is not None:
        stop_process(restarted)
    emit(
        leg="kill_http",
        acknowledged=len(acknowledged),
        stored=stored,
        lost=lost,
        duplicates=stored - distinct,
        killed=killed[0],
    )

    # syslog over TCP: no acknowledgement, so what the listener held when killed is gone.
    port = free_port()
    proc = start_syslog(port, args)
    sent = [0]
    stop_sending = threading.Event()

    def sender() -> None:
        t0 = time.time()
        try:
            with socket.create_connection(("127.0.0.1", port)) as tcp:
                while not stop_sending.is_set():
                    pace(t0, sent[0], args.syslog_rate)
                    tcp.sendall(b"".join(syslog_line(sent[0] + i, "sk") for i in range(100)))
                    sent[0] += 100
        except OSError:
            pass  # the listener died under us

    thread = threading.Thread(target=sender, daemon=True)
    thread.start()
    time.sleep(args.seconds / 2)
    handed = sent[0]
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(10)
    stop_sending.set()
    thread.join(10)
    handed = max(handed, sent[0])
    stored, distinct = counts("sk")
    emit(
        leg="kill_syslog",
        offered_per_s=args.syslog_rate,
        handed_to_kernel=handed,
        stored=stored,
        duplicates=stored - distinct,
        unacknowledged_lost=handed - stored,
        # the frame queue, the batch being collected, and per writer one handed over and
        # one being written
        bound_in_flight=args.syslog_queue
        + args.syslog_batch * (1 + (2 * args.syslog_writers if args.syslog_writers > 1 else 0)),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--syslog-batch", type=int, default=500)
    parser.add_argument("--syslog-linger", type=float, default=0.2)
    parser.add_argument("--syslog-queue", type=int, default=1500)
    parser.add_argument("--syslog-writers", type=int, default=2)
    parser.add_argument(
        "--syslog-rate", type=float, default=2000, help="offered events/s of the paced legs"
    )
    parser.add_argument("--legs", default="http,syslog,kill")
    parser.add_argument("--prepare", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.prepare:
        prepare(args.prepare)
        return
    pg_admin(f"DROP DATABASE IF EXISTS {NAME}_bench WITH (FORCE)")
    pg_admin(f"CREATE DATABASE {NAME}_bench")
    token_file = ROOT / "var" / "bench" / "security_token"
    token_file.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([PYTHON, __file__, "--prepare", str(token_file)], env=child_env(), check=True)
    token = token_file.read_text().strip()
    legs = args.legs.split(",")
    if "http" in legs:
        leg_http(token, args)
    if "syslog" in legs:
        leg_syslog(args, 0)  # saturated: the most the listener sustains
        leg_syslog(args, args.syslog_rate)  # paced at the goal: latency below saturation
    if "kill" in legs:
        leg_kill(token, args)


if __name__ == "__main__":
    main()
