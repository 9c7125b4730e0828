"""A province's peak mix held for half an hour: memory flat, no errors, p95 stable.

    .venv/bin/python benchmarks/soak.py                          # 1,200 users, 30 minutes
    .venv/bin/python benchmarks/soak.py --minutes 2 --window 30s # a short check
    .venv/bin/python benchmarks/soak.py --max-users 700 --reuse  # 60 % of a new maximum

The production shape and the Locust mix of `benchmarks/load.py` (its functions: the demo
province, `tinhso serve` with gunicorn workers, the task worker and the declared
processes, PostgreSQL, Redis), in a database and var/ folder of its own (`bench_soak`),
at 60 % of the largest user count that held p95 < 300 ms (--max-users; --users to choose).

JSON lines: one per window (--window, 5 minutes by default; the first begins once every
user runs): requests/s, p50/p95/p99 and errors of the requests that ended in it
(`benchmarks/load/windows.py`), and the resident memory (MB) each side holds at its end.
Then one summary: total errors, p95 of the first and the last window and the drift
between them, and for every process (the gunicorn master and each worker, the task
worker, the other processes, the PostgreSQL backends of the soak's database summed,
Locust) RSS and USS (its private memory: a backend's RSS also counts the shared buffers
it has touched) at the start, after the first window (warm caches, lazy imports) and at
the end, with the growth. `holds` says whether the run met the issue's bar.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("LOAD_BENCH_NAME", "soak")  # before load.py reads it
sys.path.insert(0, str(Path(__file__).resolve().parent))

import load  # noqa: E402
from onestop_lifecycle import emit  # noqa: E402

MAX_USERS = 2000  # the largest count that held p95 < 300 ms (benchmarks/load.py, last run)
# The bar: no error, p95 of the last window within 25 % of the first, and no process
# growing its private memory (USS) by more than 10 % (and 20 MB) after the first window.
P95_DRIFT_LIMIT = 0.25
GROWTH_LIMIT, GROWTH_FLOOR_MB = 0.10, 20.0


def window_seconds(text: str) -> float:
    """'30s', '5m', '300' → seconds."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(s|m|min)?\s*", text)
    if not match:
        raise argparse.ArgumentTypeError(f"not a duration: {text!r} (e.g. 30s, 5m)")
    return float(match.group(1)) * (60 if match.group(2) in ("m", "min") else 1)


def memory(serve_pid: int, locust_pid: int) -> dict[str, dict[int, dict]]:
    """Per side, per process: its command, RSS and USS in MB. The database side is the
    backends connected to the soak's database (the server's own processes and other
    databases' backends are not the soak's); Locust is the soak's own; a process that has
    ended (a zombie until reaped) is left out."""
    import psutil

    out: dict[str, dict[int, dict]] = {}
    for side, procs in load.processes(serve_pid).items():
        out[side] = {}
        for proc in procs:
            try:
                line = " ".join(proc.cmdline())
                if side == "database" and f"bench_{load.NAME}" not in line:
                    continue
                if side == "locust" and proc.pid != locust_pid:
                    continue
                if proc.status() == psutil.STATUS_ZOMBIE:
                    continue
                info = proc.memory_full_info()
            except psutil.Error:
                continue
            out[side][proc.pid] = {
                "command": _short(line),
                "rss_mb": round(info.rss / 2**20, 1),
                "uss_mb": round(info.uss / 2**20, 1),
            }
    return out


def _short(line: str) -> str:
    """The command without the virtualenv's path: `tinhso worker`, `gunicorn tinhso.wsgi…`."""
    words = [w.rsplit("/", 1)[-1] for w in line.split()[:4]]
    return " ".join(w for w in words if not w.startswith("python"))[:60]


def side_totals(sample: dict[str, dict[int, dict]]) -> dict[str, float]:
    return {
        side: round(sum(p["rss_mb"] for p in procs.values()), 1) for side, procs in sample.items()
    }


def processes_report(start: dict, warm: dict, end: dict) -> list[dict]:
    """One entry per process (the database's backends summed: they come and go)."""
    rows = []
    for side in start:
        if side == "database":
            row = {"side": "database backends (summed)"}
            for label, sample in (("start", start), ("warm", warm), ("end", end)):
                procs = sample.get(side, {}).values()
                row[f"count_{label}"] = len(procs)
                for kind in ("rss_mb", "uss_mb"):
                    row[f"{kind}_{label}"] = round(sum(p[kind] for p in procs), 1)
            rows.append(_growth(row))
            continue
        for pid in sorted(set(start[side]) | set(end.get(side, {}))):
            seen = start[side].get(pid) or end.get(side, {}).get(pid) or {}
            row = {"side": side, "pid": pid, "command": seen.get("command", "")}
            for label, sample in (("start", start), ("warm", warm), ("end", end)):
                figures = sample.get(side, {}).get(pid)
                for kind in ("rss_mb", "uss_mb"):
                    row[f"{kind}_{label}"] = figures[kind] if figures else None
            rows.append(_growth(row))
    return rows


def _growth(row: dict) -> dict:
    for kind in ("rss_mb", "uss_mb"):
        start, warm, end = row[f"{kind}_start"], row[f"{kind}_warm"], row[f"{kind}_end"]
        row[f"{kind}_growth"] = round(end - start, 1) if None not in (start, end) else None
        row[f"{kind}_growth_after_warm"] = round(end - warm, 1) if None not in (warm, end) else None
    return row


def summary(windows: list[dict], rows: list[dict], users: int, minutes: float) -> dict:
    # a last window cut short by the run's end (a second or so) is too small to compare
    full = [w for w in windows if w["seconds"] >= 0.5 * windows[0]["seconds"]] if windows else []
    first, last = (full[0], full[-1]) if full else ({}, {})
    p95_first, p95_last = first.get("p95_ms"), last.get("p95_ms")
    drift = round(p95_last - p95_first, 1) if None not in (p95_first, p95_last) else None
    errors = sum(w["errors"] for w in windows)

    def grew(row: dict) -> bool:
        # judged by private memory (USS): a database backend's RSS grows with the shared
        # buffers it touches (bounded by shared_buffers), which is not a leak
        warm, growth = row["uss_mb_warm"], row["uss_mb_growth_after_warm"]
        if warm is None or growth is None:
            return False  # a process that ended or started: listed, judged by hand
        return growth > max(GROWTH_FLOOR_MB, GROWTH_LIMIT * warm)

    growing = [row.get("pid", row["side"]) for row in rows if grew(row)]
    return {
        "summary": True,
        "users": users,
        "minutes": minutes,
        "windows": len(windows),
        "requests": sum(w["requests"] for w in windows),
        "errors_total": errors,
        "p95_first_ms": p95_first,
        "p95_last_ms": p95_last,
        "p95_drift_ms": drift,
        "p95_drift_percent": round(100 * drift / p95_first, 1)
        if drift is not None and p95_first
        else None,
        "p95_max_ms": max((w["p95_ms"] for w in full if w["p95_ms"] is not None), default=None),
        "failures": failures(),
        "processes": rows,
        "holds": {
            "no_errors": errors == 0,
            "p95_stable": drift is not None and drift <= P95_DRIFT_LIMIT * p95_first,
            "memory_flat": not growing,
            "growing": growing,
        },
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def failures() -> list[dict]:
    """Locust's failures of the whole run, by kind and error (what the errors were)."""
    import csv

    path = load.VAR / "soak_failures.csv"
    if not path.exists():
        return []
    return [
        {"name": r["Name"], "error": r["Error"][:160], "count": int(r["Occurrences"])}
        for r in list(csv.DictReader(path.open()))[:10]
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-users", type=int, default=MAX_USERS, help="largest p95<300ms count")
    parser.add_argument("--users", type=int, help="users (default: 60 %% of --max-users)")
    parser.add_argument("--minutes", type=float, default=30, help="measured time after the ramp")
    parser.add_argument("--window", type=window_seconds, default=300.0, help="e.g. 5m, 30s")
    parser.add_argument(
        "--workers",
        type=int,
        default=2,
        help="gunicorn web processes (serve's default: one per core)",
    )
    parser.add_argument("--reuse", action="store_true", help="keep the loaded province")
    args = parser.parse_args()
    users = args.users or round(0.6 * args.max_users)
    seconds = int(args.minutes * 60)
    load.ensure_locust()
    world_file = load.province(args.reuse)
    windows_file = load.VAR / "soak-windows.jsonl"
    windows_file.unlink(missing_ok=True)
    _spawn_rate, ramp = load.ramp_for(users)
    serve, base = load.start_serve(args.workers)
    locust = None
    locust_log = (load.VAR / "soak-locust.log").open("w")
    try:
        locust, _ramp = load.start_locust(
            base,
            world_file,
            users,
            seconds,
            load.VAR / "soak",
            env={
                "LOAD_WINDOWS_FILE": str(windows_file),
                "LOAD_RAMP_SECONDS": str(ramp),
                "LOAD_WINDOW_SECONDS": str(args.window),
            },
            stderr=locust_log,  # a pipe nobody reads for 30 minutes could fill and block it
        )
        emit(soak="started", users=users, minutes=args.minutes, window_s=args.window, base=base)
        # the start: every user running (Locust needs a moment to start before its ramp)
        deadline = time.monotonic() + ramp + 3
        while time.monotonic() < deadline and locust.poll() is None:
            time.sleep(0.5)
        start = memory(serve.pid, locust.pid)
        warm = end = start
        windows: list[dict] = []
        seen = 0
        while True:
            done = locust.poll() is not None
            lines = windows_file.read_text().splitlines() if windows_file.exists() else []
            for line in lines[seen:]:
                window = json.loads(line)
                # taken as the window closes (Locust still runs when its last one is written)
                sample = memory(serve.pid, locust.pid)
                if not windows:
                    warm = sample
                if sample.get("locust"):
                    end = sample
                windows.append(window)
                emit(**window, rss_mb=side_totals(sample))
            seen = len(lines)
            if done:
                break
            time.sleep(1)
        rows = processes_report(start, warm, end)
        result = summary(windows, rows, users, args.minutes)
        if locust.returncode not in (0, 1):
            result["locust_stderr"] = (load.VAR / "soak-locust.log").read_text().strip()[-300:]
        emit(**result)
    finally:
        if locust is not None and locust.poll() is None:
            locust.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                locust.wait(30)
        locust_log.close()
        load.stop_serve(serve)


if __name__ == "__main__":
    main()
