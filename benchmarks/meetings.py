"""A meeting of 300 members voting at once over HTTP, against the served app.

    .venv/bin/python benchmarks/meetings.py                    # 300 members, secret
    .venv/bin/python benchmarks/meetings.py --members 500 --kind named --workers 4

Loads a PostgreSQL database `meetings_bench` through the meetings services (a body
of N members, a meeting with everyone checked in, a vote opened), gives every member an
API token, starts gunicorn on 127.0.0.1 (sync workers, --workers) and has every member
POST /api/v1/meetings/votes/<uid>/ballot/ at the same moment (one thread each, released
together); then every member tries a second time (each must be refused: 409 vote_twice).
The secretary then closes the vote (POST .../close/) and reads it back (GET): the time
from the close request to the published result is measured.

Two runs, two JSON lines: "burst" (all N members released at the same instant: the
latency includes waiting in the server's queue) and "paced" (workers×threads clients,
each member voting once as the server takes them: the latency is the time per vote).
Each line: votes_accepted, votes_counted (the published result), double_votes_refused,
votes_per_s, p50_ms / p95_ms / max_ms per vote as the member sees it (from sending the
request to the whole answer, queueing included), server_p50_ms / server_p95_ms (the same
ballots as gunicorn's access log times them: from the moment a worker takes the request
to its answer, without the wait in the listen queue), close_to_result_ms, errors, and
the machine's 1-minute load average (the figures only mean something on an idle machine).
Goals (issue 15): all counted, none twice, close→result < 1 s, p95 < 200 ms on 2 cores
(p95_ms is the figure the goal is about; server_p95_ms only tells queueing from work).
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
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
from onestop_lookup import free_port, wait_up  # noqa: E402

PG_BASE = os.environ.get("BENCH_PG_BASE", "postgres://postgres@127.0.0.1:5432/")
NAME = "meetings_bench"
DB_URL = f"{PG_BASE}{NAME}"
# A key for this throw-away database only (as the other benchmarks do), unless one is set.
os.environ.setdefault("SECRET_KEY", "bench-only-" + "m" * 50)


def prepare(members: int, kind: str) -> dict:
    """The world, made through the services (child process): tokens and the vote."""
    setup_django(DB_URL)
    from django.core.management import call_command
    from django.utils import timezone

    call_command("migrate", verbosity=0, interactive=False)
    from tinhso.accounts import services as accounts
    from tinhso.accounts.models import Role
    from tinhso.directory.models import Agency
    from tinhso.meetings import services

    agency = Agency.objects.create(
        code="HBENCH.01", name="Ủy ban nhân dân tỉnh (benchmark)", short_name="UBND"
    )

    def official(username: str, role: str | None = None):
        user = accounts.create_official(username=username, full_name=username)
        if role:
            accounts.grant_role(user=user, agency=agency, role=role)
        return user

    secretary = official("thuky", Role.SPECIALIST)
    chair = official("chutich", Role.LEADER)
    people = [chair] + [official(f"thanhvien{i:04d}") for i in range(1, members)]
    body = services.create_body(actor=secretary, agency=agency, name="Hội nghị", members=people)
    services.add_voting_rule(
        actor=secretary,
        body=body,
        name="Quá nửa tổng số thành viên",
        legal_basis="Quy chế làm việc",
        is_default=True,
    )
    meeting = services.create_meeting(
        actor=secretary,
        body=body,
        title="Kỳ họp biểu quyết (benchmark)",
        starts_at=timezone.now(),
        chair=chair,
        members=people,
    )
    services.start_meeting(actor=secretary, meeting=meeting)
    for user in people:
        services.check_in(actor=user, meeting=meeting, token=meeting.checkin_token)
    burst = services.create_vote(
        actor=secretary, meeting=meeting, question="Thông qua nghị quyết", kind=kind
    )
    paced = services.create_vote(
        actor=secretary, meeting=meeting, question="Thông qua dự toán", kind=kind
    )
    return {
        "votes": [str(burst.uid), str(paced.uid)],
        "secretary": accounts.issue_token(user=secretary, name="bench"),
        "members": [accounts.issue_token(user=u, name="bench") for u in people],
    }


def post(host: str, port: int, path: str, token: str, body: dict | None) -> tuple[int, float]:
    conn = http.client.HTTPConnection(host, port, timeout=60)
    data = json.dumps(body).encode() if body is not None else b""
    started = time.perf_counter()
    conn.request(
        "POST",
        path,
        body=data,
        headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
    )
    response = conn.getresponse()
    response.read()
    conn.close()
    return response.status, (time.perf_counter() - started) * 1000


def wave(
    host: str, port: int, path: str, tokens: list[str], connections: int | None = None
) -> tuple[list, float]:
    """Every member posts once: all released at the same moment (connections None), or
    through `connections` clients at a time (members voting as the server takes them)."""
    results: list = [None] * len(tokens)
    n = connections or len(tokens)
    barrier = threading.Barrier(n + 1)
    options = ["yes", "yes", "no", "abstain"]

    def run(start: int) -> None:
        barrier.wait()
        for i in range(start, len(tokens), n):
            try:
                results[i] = post(host, port, path, tokens[i], {"option": options[i % 4]})
            except Exception as exc:  # noqa: BLE001
                results[i] = (f"error: {exc}", 0.0)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    barrier.wait()
    started = time.perf_counter()
    for t in threads:
        t.join()
    return results, time.perf_counter() - started


def server_times(log: Path, path: str, status: int) -> list[int]:
    """Milliseconds gunicorn spent on each request to `path` answered with `status`."""
    times = []
    for line in log.read_text().splitlines():
        code, ms, url = (line.split() + ["", "", ""])[:3]
        if url == path and code == str(status):
            times.append(int(ms))
    return sorted(times)


def pct(values: list, p: float) -> float | None:
    if not values:
        return None
    return round(values[min(len(values) - 1, int(len(values) * p))], 1)


def measure(base, port, path, world, first, second, seconds, members, log) -> dict:
    latencies = sorted(ms for status, ms in first if status == 201)
    accepted = sum(1 for status, _ms in first if status == 201)
    refused_twice = sum(1 for status, _ms in second if status == 409)
    errors = [s for s, _ms in first + second if s not in (201, 409)]
    started = time.perf_counter()
    status, _ms = post("127.0.0.1", port, path + "close/", world["secretary"], None)
    request = urllib.request.Request(
        base + path, headers={"Authorization": f"Token {world['secretary']}"}
    )
    result = json.loads(urllib.request.urlopen(request, timeout=30).read())  # noqa: S310
    close_to_result_ms = (time.perf_counter() - started) * 1000
    counted = result["result"]["cast"] if result.get("result") else None
    served = server_times(log, path + "ballot/", 201)
    return {
        "votes_accepted": accepted,
        "votes_counted": counted,
        "double_votes_refused": refused_twice,
        "all_counted_none_twice": counted == members == accepted == refused_twice,
        "votes_per_s": round(accepted / seconds, 1),
        "p50_ms": pct(latencies, 0.50),
        "p95_ms": pct(latencies, 0.95),
        "max_ms": round(latencies[-1], 1) if latencies else None,
        "server_p50_ms": pct(served, 0.50),
        "server_p95_ms": pct(served, 0.95),
        "close_status": status,
        "close_to_result_ms": round(close_to_result_ms, 1),
        "errors": len(errors),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=300)
    parser.add_argument("--kind", choices=["secret", "named"], default="secret")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=4, help="gunicorn threads per worker")
    parser.add_argument("--prepare", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.prepare:
        Path(args.out).write_text(json.dumps(prepare(args.members, args.kind)))
        return
    try:
        pg_admin(f"DROP DATABASE IF EXISTS {NAME}")
        pg_admin(f"CREATE DATABASE {NAME}")
    except Exception as exc:  # noqa: BLE001
        emit(db="postgresql", skipped=f"PostgreSQL not reachable: {exc}")
        return
    server = None
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        out = handle.name
    with tempfile.NamedTemporaryFile(suffix=".log", delete=False) as handle:
        log = Path(handle.name)
    try:
        subprocess.run(
            [sys.executable, __file__, "--prepare", "--members", str(args.members)]
            + ["--kind", args.kind, "--out", out],
            check=True,
            cwd=ROOT,
        )
        world = json.loads(Path(out).read_text())
        port = free_port()
        env = {
            **os.environ,
            "DATABASE_URL": DB_URL,
            "DJANGO_SETTINGS_MODULE": "tinhso.settings",
            "PYTHONPATH": str(ROOT / "src"),
            "TINHSO_VAR_DIR": str(ROOT / "var" / "bench"),
            "TASKS_BACKEND": "django_tasks.backends.dummy.DummyBackend",
            "DEBUG": "0",
            "SECURE_SSL_REDIRECT": "0",
            "SECURE_HSTS_SECONDS": "0",
            "LOG_LEVEL": "ERROR",
        }
        server = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "tinhso.wsgi:application",
                "-b",
                f"127.0.0.1:{port}",
                "-w",
                str(args.workers),
                "--threads",
                str(args.threads),
                "--backlog",
                "2048",
                "--access-logfile",
                str(log),
                "--access-logformat",
                "%(s)s %(M)s %(U)s",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
            start_new_session=True,
        )
        base = f"http://127.0.0.1:{port}"
        vote_path = f"/api/v1/meetings/votes/{world['votes'][0]}/"
        wait_up(base + "/healthz", timeout=300)  # a loaded machine starts gunicorn slowly
        for _ in range(args.workers * 4):  # warm the workers (imports, connections)
            with contextlib.suppress(urllib.error.HTTPError):
                request = urllib.request.Request(
                    base + vote_path, headers={"Authorization": f"Token {world['secretary']}"}
                )
                urllib.request.urlopen(request, timeout=30)  # noqa: S310 - our local server

        for mode, uid in zip(("burst", "paced"), world["votes"], strict=True):
            path = f"/api/v1/meetings/votes/{uid}/"
            opened, _ms = post("127.0.0.1", port, path + "open/", world["secretary"], None)
            connections = None if mode == "burst" else args.workers * args.threads
            first, seconds = wave(
                "127.0.0.1", port, path + "ballot/", world["members"], connections
            )
            second, _ = wave("127.0.0.1", port, path + "ballot/", world["members"], connections)
            emit(
                db="postgresql",
                mode=mode,
                kind=args.kind,
                members=args.members,
                connections=connections or args.members,
                workers=args.workers,
                threads=args.threads,
                load_avg_1min=round(os.getloadavg()[0], 1),
                open_status=opened,
                **measure(base, port, path, world, first, second, seconds, args.members, log),
            )
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(30)
        os.unlink(out)
        log.unlink(missing_ok=True)
        pg_admin(f"DROP DATABASE IF EXISTS {NAME}")


if __name__ == "__main__":
    main()
