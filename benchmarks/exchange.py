"""Two tinhso instances on PostgreSQL exchanging packages over HTTP (issue 9).

    .venv/bin/python benchmarks/exchange.py [--packages 200] [--workers 2]

Province A (H99) and province B (H98) run as real processes: gunicorn + task workers each,
databases `<prefix>_a` / `<prefix>_b` (`--db-prefix`, default `bench_exchange`; dropped
and created, from `--template` when given). Figures:

- throughput: A's outbox is filled with N dispatched documents while its workers are
  stopped (the documents are issued, their drafting workflow's e-mails delivered, then
  they are dispatched); then the workers start: packages delivered and kept at B per second (signature
  and certificate checked, PDF checked, 01 queued back), with lost/duplicated counts.
  `packages_per_s` counts from the start of the worker processes; `first_arrival_s` is
  how long the first package took (the workers' start-up is most of it) and
  `drain_packages_per_s` the rate from the first package kept at B to the last;
- latency: documents dispatched one after another with everything running: p50/p95 from
  the dispatch (transmission created at A) to status 01 recorded at A;
- recovery: B's web server is killed (-9), documents are dispatched, B is restarted:
  the time from the restart until A's outbox is drained and B holds every package once
  (`first_arrival_s`: until B kept the first of them — its web workers booting is most
  of it; `first_to_last_s`: from the first to the last).

Each figure also gives the CPU time spent per package (less noisy than a rate on a shared
machine): `cpu_ms_per_package` by the two instances' processes (web servers and task
workers, from /proc), `db_cpu_ms_per_package` by the PostgreSQL backends serving their
two databases; for the throughput, `drain_cpu_ms_per_package` (and `drain_db_...`) the
same from the first package kept at B on (without the sender workers' start-up), split
into the sender's processes (`a_...`, `drain_sender_...`) and the receiver's (`b_...`,
`drain_receiver_...`); `load_average` is the machine's at the end of the drain.

Both instances use persistent database connections (DB_CONN_MAX_AGE=60), as the
settings do by default in production.

Prints one JSON line per figure.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from onestop_lifecycle import emit, pg_admin  # noqa: E402
from tests.exchange.instances import make_pair  # noqa: E402

PG_BASE = os.environ.get("BENCH_PG_BASE", "postgres://postgres@127.0.0.1:5432/")


def _wait(check, timeout: float = 600, every: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(every)
    raise SystemExit("timed out")


def _documents(inst) -> list[str]:
    return [
        r[0]
        for r in inst.sql(
            "select document_id from exchange_inboxitem where kind = 'document' "
            "and business_type = 0"
        )
    ]


_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _proc_cpu() -> dict[int, tuple[int, float]]:
    """{pid: (session id, CPU seconds used, children reaped included)} of every process."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        # after the command: state ppid pgrp session ... utime(11) stime cutime cstime
        session = int(fields[3])
        ticks = sum(int(f) for f in fields[11:15])
        found[int(entry.name)] = (session, ticks / _TICK)
    return found


class CpuMeter:
    """CPU seconds of the instances' processes (their sessions) and of the PostgreSQL
    backends of their databases, between `start()` and `stop()`."""

    def __init__(self, instances, databases: list[str]) -> None:
        self.instances, self.databases = instances, databases

    def _sessions(self, inst=None) -> set[int]:
        return {
            proc.pid
            for one in ((inst,) if inst is not None else self.instances)
            for proc in (one.web, one.worker, *getattr(one, "extra_workers", []))
            if proc is not None
        }

    def _backends(self) -> set[int]:
        import psycopg

        with psycopg.connect(f"{PG_BASE}postgres") as conn:
            rows = conn.execute(
                "select pid from pg_stat_activity where datname = any(%s)", (self.databases,)
            ).fetchall()
        return {r[0] for r in rows}

    def _sample(self) -> tuple[dict[int, float], ...]:
        """CPU by pid: the instances' processes, the database backends, then each
        instance's processes (sender, receiver)."""
        procs = _proc_cpu()
        backends = self._backends()
        db = {pid: procs[pid][1] for pid in backends if pid in procs}
        each = []
        for inst in (None, *self.instances):
            sessions = self._sessions(inst)
            each.append({pid: cpu for pid, (sid, cpu) in procs.items() if sid in sessions})
        return each[0], db, *each[1:]

    def start(self) -> None:
        self.before = self._sample()

    def stop(self, packages: int) -> dict[str, float]:
        after = self._sample()
        figures = {}
        names = ["cpu_ms_per_package", "db_cpu_ms_per_package"]
        names += [f"{side}_cpu_ms_per_package" for side in ("a", "b")[: len(self.instances)]]
        for name, old, new in zip(names, self.before, after, strict=True):
            used = sum(cpu - old.get(pid, 0.0) for pid, cpu in new.items())
            figures[name] = round(used * 1000 / max(packages, 1), 1)
        return figures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--packages", type=int, default=200)
    parser.add_argument("--latency-packages", type=int, default=40)
    parser.add_argument("--recovery-packages", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2, help="task workers of the sender")
    parser.add_argument(
        "--db-prefix",
        default=os.environ.get("BENCH_EXCHANGE_DB_PREFIX", "bench_exchange"),
        help="the two databases are <prefix>_a and <prefix>_b (dropped and created)",
    )
    parser.add_argument(
        "--template",
        default=os.environ.get("BENCH_EXCHANGE_TEMPLATE", ""),
        help="create the two databases from this (migrated, unseeded) database: no minutes "
        "of migrations on a busy machine",
    )
    args = parser.parse_args()
    urls, names = [], []
    for side in ("a", "b"):
        name = f"{args.db_prefix}_{side}"
        names.append(name)
        pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        pg_admin(
            f"CREATE DATABASE {name}" + (f" TEMPLATE {args.template}" if args.template else "")
        )
        urls.append(f"{PG_BASE}{name}")
    a, b = make_pair(
        Path(tempfile.mkdtemp(prefix="bench-exchange-")),
        (urls[0], urls[1]),
        migrate=True,
        conn_max_age=60,
    )
    try:
        for inst in (a, b):
            inst.start_web(workers=3)
        b.start_worker()
        # Throughput: fill A's outbox, then let the workers drain it. The e-mails of
        # the documents' drafting workflow (to sign, to number) are delivered before
        # they are dispatched: the drain is the exchange's work only.
        issued = a.run("issue", str(args.packages), timeout=3600)["documents"]
        a.manage("worker", "--batch", "--sweep-interval", "0", "--seal-interval", "0")
        a.run("dispatch_issued", "000.00.20.H98", *issued, timeout=3600)
        meter = CpuMeter((a, b), names)
        start, started_at = time.monotonic(), time.time()
        a.start_worker(args.workers)
        meter.start()
        # Steady state: from the first package kept at B (the workers have booted).
        steady = CpuMeter((a, b), names)
        _wait(lambda: len(_documents(b)) >= 1, every=0.02)
        steady.start()
        kept_at_start = len(_documents(b))
        _wait(lambda: len(_documents(b)) >= args.packages)
        elapsed = time.monotonic() - start
        steady_cpu = steady.stop(args.packages - kept_at_start)
        ids = _documents(b)
        first, last = b.sql(
            "select extract(epoch from min(created_at)), extract(epoch from max(created_at)) "
            "from exchange_inboxitem where kind = 'document' and business_type = 0"
        )[0]
        _wait(
            lambda: (
                a.sql(
                    "select count(*) from exchange_transmission where status in ('queued', 'sent')"
                )
                == [(0,)]
            )
        )
        cpu = meter.stop(args.packages)
        emit(
            figure="throughput",
            packages=args.packages,
            seconds=round(elapsed, 2),
            packages_per_s=round(args.packages / elapsed, 1),
            first_arrival_s=round(float(first) - started_at, 2),
            drain_packages_per_s=round((args.packages - 1) / max(float(last - first), 1e-3), 1),
            lost=args.packages - len(set(ids)),
            duplicated=len(ids) - len(set(ids)),
            sender_workers=args.workers,
            **cpu,  # the sender workers' start-up included
            drain_cpu_ms_per_package=steady_cpu["cpu_ms_per_package"],
            drain_db_cpu_ms_per_package=steady_cpu["db_cpu_ms_per_package"],
            # the sender's processes (A) and the receiver's (B), web servers and workers
            drain_sender_cpu_ms_per_package=steady_cpu["a_cpu_ms_per_package"],
            drain_receiver_cpu_ms_per_package=steady_cpu["b_cpu_ms_per_package"],
            load_average=[round(x, 2) for x in os.getloadavg()],
        )
        # Latency: dispatch -> 01 at the sender.
        before = a.sql("select max(id) from exchange_transmission")[0][0]
        meter.start()
        a.run("dispatch", "000.00.20.H98", str(args.latency_packages), timeout=3600)
        _wait(
            lambda: (
                a.sql(
                    "select count(*) from exchange_transmission where id > ? and status = '01'",
                    before,
                )
                == [(args.latency_packages,)]
            )
        )
        rows = a.sql(
            "select extract(epoch from (e.received_at - t.created_at)) from "
            "exchange_transmission t join exchange_statusevent e on e.transmission_id = t.id "
            "and e.status_code = '01' where t.id > ?",
            before,
        )
        ms = sorted(float(r[0]) * 1000 for r in rows)
        emit(
            figure="dispatch_to_01",
            packages=len(ms),
            p50_ms=round(statistics.median(ms), 1),
            p95_ms=round(ms[int(0.95 * (len(ms) - 1))], 1),
            # the dispatching process is not counted (documents drafted, signed, issued)
            **meter.stop(len(ms)),
        )
        # Recovery: the receiver killed, packages dispatched, the receiver restarted.
        b.kill_web()
        expected = len(_documents(b)) + args.recovery_packages
        a.run("dispatch", "000.00.20.H98", str(args.recovery_packages), timeout=3600)
        time.sleep(2)
        start, restarted_at = time.monotonic(), time.time()
        b.start_web(workers=3)
        meter.start()
        _wait(
            lambda: (
                len(_documents(b)) >= expected
                and a.sql(
                    "select count(*) from exchange_outboxmessage where state in ('pending', 'sending')"
                    " and kind = 'document'"
                )
                == [(0,)]
            )
        )
        drained = time.monotonic() - start
        cpu = meter.stop(args.recovery_packages)
        ids = _documents(b)
        first, last = b.sql(
            "select extract(epoch from min(created_at)), extract(epoch from max(created_at)) "
            "from (select created_at from exchange_inboxitem where kind = 'document' "
            "and business_type = 0 order by id desc limit ?) recovered",
            args.recovery_packages,
        )[0]
        emit(
            figure="drain_after_receiver_restart",
            packages=args.recovery_packages,
            seconds=round(drained, 2),
            # until the restarted receiver kept its first package (its web workers
            # booting is most of it), then from that one to the last
            first_arrival_s=round(float(first) - restarted_at, 2),
            first_to_last_s=round(float(last - first), 2),
            lost=expected - len(set(ids)),
            duplicated=len(ids) - len(set(ids)),
            dead=a.sql("select count(*) from exchange_outboxmessage where state = 'dead'")[0][0],
            **cpu,  # the restarted web server's boot not included
        )
    finally:
        a.stop()
        b.stop()


if __name__ == "__main__":
    main()
