"""Public dossier lookup under 64 concurrent connections against the served app.

    .venv/bin/python benchmarks/onestop_lookup.py                  # 20,000 dossiers, 20 s
    .venv/bin/python benchmarks/onestop_lookup.py --dossiers 100000 --seconds 60

Loads a PostgreSQL database `bench_onestop_lookup` with dossiers (the bulk path of
onestop_year.py), starts gunicorn on 127.0.0.1 (sync workers, --workers), and drives
GET /api/v1/onestop/lookup/?code=...&secret=... with 64 connections — wrk when installed
(a Lua script cycling through real codes, 1 in 10 with wrong digits → 404), else a Python
thread client. The lookup's rate limit is raised for the run (ONESTOP_LOOKUP_RATE).

Prints one JSON line: requests_per_s, p50_ms, p99_ms, errors, non_2xx (the 404s are the
wrong-digit lookups), client, connections, workers.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import re
import shutil
import signal
import socket
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

PG_BASE = os.environ.get("BENCH_PG_BASE", "postgres://postgres@127.0.0.1:5432/")
NAME = "onestop_lookup"
DB_URL = f"{PG_BASE}bench_{NAME}"


def prepare(n: int, sample: int) -> list[str]:
    """Load the database (child process) and return lookup paths."""
    setup_django(DB_URL)
    from django.core.management import call_command
    from django.db import transaction

    call_command("migrate", verbosity=0, interactive=False)
    import onestop_year

    with transaction.atomic():
        onestop_year.load(n)
    from tinhso.onestop.models import Dossier

    rows = list(
        Dossier.objects.exclude(code=None)
        .order_by("?")
        .values_list("code", "applicant_phone", "applicant_id_number")[:sample]
    )
    rng = random.Random(7)
    paths = []
    for code, phone, id_number in rows:
        secret = (phone if rng.random() < 0.5 else id_number)[-4:]
        if rng.random() < 0.1:
            secret = f"{(int(secret) + 1) % 10000:04d}"
        paths.append(f"/api/v1/onestop/lookup/?code={code}&secret={secret}")
    return paths


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_up(url: str, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)  # noqa: S310 - our own local server
            return
        except urllib.error.HTTPError:
            return  # answered (404 etc.)
        except Exception:  # noqa: BLE001
            time.sleep(0.3)
    raise RuntimeError("gunicorn did not start")


def run_wrk(base: str, paths: list[str], connections: int, seconds: int) -> dict:
    lines = ["paths = {", *[f'  "{p}",' for p in paths], "}", "counter = 0"]
    lines += [
        "request = function()",
        "  counter = counter + 1",
        "  return wrk.format(nil, paths[(counter % #paths) + 1])",
        "end",
    ]
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write("\n".join(lines) + "\n")
    out = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{connections}",
            f"-d{seconds}s",
            "--latency",
            "-s",
            script.name,
            base,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    os.unlink(script.name)

    def ms(label: str) -> float:
        match = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if not match:
            return float("nan")
        value, unit = float(match.group(1)), match.group(2)
        return round(value / 1000 if unit == "us" else value * 1000 if unit == "s" else value, 2)

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors:(.*)", out)
    total = int(re.search(r"(\d+) requests in", out).group(1))
    return {
        "client": "wrk",
        "requests": total,
        "requests_per_s": round(rps, 1),
        "p50_ms": ms("50"),
        "p99_ms": ms("99"),
        "non_2xx": int(non2xx.group(1)) if non2xx else 0,
        "errors": errors.group(1).strip() if errors else "",
    }


def run_threads(base: str, paths: list[str], connections: int, seconds: int) -> dict:
    import http.client

    host, port = base.split("//")[1].split(":")
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    stop = time.time() + seconds

    def worker(offset: int) -> None:
        conn = http.client.HTTPConnection(host, int(port), timeout=30)
        k = offset
        local, codes = [], {}
        while time.time() < stop:
            path = paths[k % len(paths)]
            k += connections
            started = time.perf_counter()
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
            local.append((time.perf_counter() - started) * 1000)
            codes[response.status] = codes.get(response.status, 0) + 1
        with lock:
            latencies.extend(local)
            for c, v in codes.items():
                statuses[c] = statuses.get(c, 0) + v

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(connections)]
    started = time.time()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.time() - started
    latencies.sort()
    return {
        "client": "python-threads",
        "requests": len(latencies),
        "requests_per_s": round(len(latencies) / elapsed, 1),
        "p50_ms": round(latencies[len(latencies) // 2], 2),
        "p99_ms": round(latencies[int(len(latencies) * 0.99)], 2),
        "non_2xx": sum(v for c, v in statuses.items() if c >= 300),
        "errors": "",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dossiers", type=int, default=20_000)
    parser.add_argument("--sample", type=int, default=2_000, help="distinct codes looked up")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--prepare", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--paths-file", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.prepare:
        Path(args.paths_file).write_text(json.dumps(prepare(args.dossiers, args.sample)))
        return
    try:
        pg_admin(f"DROP DATABASE IF EXISTS bench_{NAME}")
        pg_admin(f"CREATE DATABASE bench_{NAME}")
    except Exception as exc:  # noqa: BLE001
        emit(db="postgresql", skipped=f"PostgreSQL not reachable: {exc}")
        return
    server = None
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        paths_file = handle.name
    try:
        subprocess.run(
            [
                sys.executable,
                __file__,
                "--prepare",
                "--dossiers",
                str(args.dossiers),
                "--sample",
                str(args.sample),
                "--paths-file",
                paths_file,
            ],
            check=True,
            cwd=ROOT,
        )
        paths = json.loads(Path(paths_file).read_text())
        port = free_port()
        env = {
            **os.environ,
            "DATABASE_URL": DB_URL,
            "DJANGO_SETTINGS_MODULE": "tinhso.settings",
            "PYTHONPATH": str(ROOT / "src"),
            "ONESTOP_LOOKUP_RATE": "100000000/min",
            "TINHSO_VAR_DIR": str(ROOT / "var" / "bench"),
            "DEBUG": "0",
            "SECURE_SSL_REDIRECT": "0",
            "SECURE_HSTS_SECONDS": "0",
            "LOG_LEVEL": "ERROR",  # the wrong-digit lookups are 404s, logged as warnings
        }
        server = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "tinhso.wsgi:application",
                "-b",
                f"127.0.0.1:{port}",
                "-w",
                str(args.workers),
                "--backlog",
                "2048",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
            start_new_session=True,
        )
        base = f"http://127.0.0.1:{port}"
        wait_up(base + paths[0])
        # warm every worker's connection and imports
        for p in paths[:50]:
            with contextlib.suppress(urllib.error.HTTPError):
                urllib.request.urlopen(base + p, timeout=10)  # noqa: S310
        runner = run_wrk if shutil.which("wrk") else run_threads
        result = runner(base, paths, args.connections, args.seconds)
        emit(
            db="postgresql",
            dossiers=args.dossiers,
            connections=args.connections,
            workers=args.workers,
            seconds=args.seconds,
            **result,
        )
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(30)
        os.unlink(paths_file)
        pg_admin(f"DROP DATABASE IF EXISTS bench_{NAME}")


if __name__ == "__main__":
    main()
