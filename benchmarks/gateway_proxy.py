"""The gateway's data plane against nginx `proxy_pass`, same upstream, same machine.

    .venv/bin/python benchmarks/gateway_proxy.py               # 10 s per run, 64 connections
    .venv/bin/python benchmarks/gateway_proxy.py --seconds 30

The upstream is a small nginx server answering a fixed JSON body. Three targets are
driven with wrk (installed from Debian when missing, like nginx): the upstream directly,
nginx `proxy_pass` to it (the limit), and `tinhso gateway serve` with authentication
(API key), the access check, the rate limit and the message log on (write-ahead, then
ingested, chained and signed by its ingester process during the run). Both proxies get the
same number of worker processes (--processes, by default the gateway's own default: one
per core, at most 4); nginx's serve the upstream too. After the run the remaining records
are ingested and counted against the answered calls (0 lost), and the log is verified.

Prints JSON lines: one per target and connection count (requests_per_s, p50_ms, p99_ms),
then a summary: throughput ratio gateway/nginx, added p50 (gateway − nginx, and gateway −
direct, at 64 connections and at 1 connection), the data plane's and its ingester's CPU
per call during the gateway's run (what a busy machine does not change), log records vs
answered calls.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src"


def emit(**figures) -> None:
    print(json.dumps(figures), flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ensure(binary: str, package: str) -> str | None:
    found = shutil.which(binary) or (
        f"/usr/sbin/{binary}" if os.path.exists(f"/usr/sbin/{binary}") else None
    )
    if found:
        return found
    if os.geteuid() != 0:
        return None
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(
        ["apt-get", "install", "-y", "-q", package],
        env=env,
        check=False,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return shutil.which(binary) or (
        f"/usr/sbin/{binary}" if os.path.exists(f"/usr/sbin/{binary}") else None
    )


def nginx_conf(work: Path, upstream_port: int, proxy_port: int, processes: int) -> Path:
    conf = work / "nginx.conf"
    conf.write_text(
        f"""
worker_processes {processes};
error_log {work}/error.log warn;
pid {work}/nginx.pid;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  client_body_temp_path {work}/body;
  proxy_temp_path {work}/proxy;
  fastcgi_temp_path {work}/fastcgi;
  uwsgi_temp_path {work}/uwsgi;
  scgi_temp_path {work}/scgi;
  keepalive_requests 1000000;
  upstream backend {{ server 127.0.0.1:{upstream_port}; keepalive 128; }}
  server {{
    listen 127.0.0.1:{upstream_port};
    location / {{ default_type application/json; return 200 '{{"ok":true,"service":"bench"}}'; }}
  }}
  server {{
    listen 127.0.0.1:{proxy_port};
    location / {{
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }}
  }}
}}
"""
    )
    return conf


def wait_up(url: str, timeout: float = 90) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)  # noqa: S310 - local
            return
        except urllib.error.HTTPError:
            return
        except Exception:  # noqa: BLE001
            time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer")


def wrk(wrk_bin: str, url: str, connections: int, seconds: int, headers: list[str]) -> dict:
    args = [wrk_bin, f"-t{min(2, connections)}", f"-c{connections}", f"-d{seconds}s", "--latency"]
    for h in headers:
        args += ["-H", h]
    out = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout

    def ms(label: str) -> float:
        m = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if not m:
            return float("nan")
        v, unit = float(m.group(1)), m.group(2)
        return round(v / 1000 if unit == "us" else v * 1000 if unit == "s" else v, 3)

    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors:(.*)", out)
    return {
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),
        "requests_per_s": round(float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)), 1),
        "p50_ms": ms("50"),
        "p99_ms": ms("99"),
        "non_2xx": int(non2xx.group(1)) if non2xx else 0,
        "socket_errors": errors.group(1).strip() if errors else "",
    }


def cpu_seconds(pid: int) -> float:
    """A process's CPU time so far (user + system), from /proc; 0 when unreadable."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def is_ingester(pid: int) -> bool:
    try:
        return b"ingest" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def prepare(db_url: str, upstream: str, key_file: str) -> None:
    """Child process: a database with one enabled service, a consumer, a key, a right."""
    sys.path.insert(0, str(SRC))
    os.environ["DATABASE_URL"] = db_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "tinhso.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    from tinhso.accounts.models import Role
    from tinhso.accounts.services import create_official, grant_role
    from tinhso.directory import services as directory
    from tinhso.gateway import services

    agency = directory.create_agency(actor=None, code="B01", name="Cơ quan đo", kind="department")
    admin = create_official(username="bench", full_name="Bench")
    grant_role(user=admin, agency=agency, role=Role.PLATFORM_ADMIN)
    provider = services.create_provider(
        actor=admin, code="bench", name="Upstream", agency=agency, contact_name="Bench"
    )
    service = services.publish_service(
        actor=admin,
        provider=provider,
        code="echo",
        base_url=upstream,
        title="Echo",
        timeout_ms=5000,
    )
    services.enable_service(actor=admin, service=service)
    consumer = services.create_consumer(
        actor=admin,
        code="loadgen",
        name="wrk",
        agency=agency,
        contact_name="Bench",
        rate_per_minute=1_000_000,
        quota_per_day=1_000_000_000,
    )
    services.grant_right(actor=admin, service=service, consumer=consumer)
    _, key = services.issue_key(actor=admin, consumer=consumer)
    Path(key_file).write_text(key)


def count_log(db_url: str, wal_dir: str) -> None:
    """Child process: ingest what is left, count, verify."""
    sys.path.insert(0, str(SRC))
    os.environ["DATABASE_URL"] = db_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "tinhso.settings"
    os.environ["GATEWAY_WAL_DIR"] = wal_dir
    import django

    django.setup()
    from tinhso.gateway.messagelog import ingest_pending, verify_log
    from tinhso.gateway.models import MessageLog

    ingest_pending()
    started = time.perf_counter()
    report = verify_log()
    print(
        json.dumps(
            {
                "records": MessageLog.objects.count(),
                "ok_records": MessageLog.objects.filter(result="ok").count(),
                "verified": report.ok,
                "verify_s": round(time.perf_counter() - started, 2),
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument(
        "--processes", type=int, default=0, help="worker processes of each proxy (0: default)"
    )
    parser.add_argument("--targets", default="direct,nginx,gateway", help=argparse.SUPPRESS)
    parser.add_argument("--prepare", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--count", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.prepare:
        prepare(*args.prepare)
        return
    if args.count:
        count_log(*args.count)
        return
    nginx = ensure("nginx", "nginx-light")
    wrk_bin = ensure("wrk", "wrk")
    if not nginx or not wrk_bin:
        emit(skipped="needs nginx and wrk (apt-get install nginx-light wrk, as root)")
        return
    work = Path(tempfile.mkdtemp(prefix="bench-gateway-"))
    upstream_port, proxy_port, gateway_port = free_port(), free_port(), free_port()
    processes = args.processes or min(4, os.cpu_count() or 1)  # the gateway's default
    conf = nginx_conf(work, upstream_port, proxy_port, processes)
    db_url = f"sqlite:///{work / 'gateway.sqlite3'}"
    wal_dir = work / "wal"
    key_file = work / "key"
    env = {
        **os.environ,
        "PYTHONPATH": str(SRC),
        "DJANGO_SETTINGS_MODULE": "tinhso.settings",
        "DATABASE_URL": db_url,
        "TINHSO_VAR_DIR": str(work / "var"),
        "GATEWAY_WAL_DIR": str(wal_dir),
        "GATEWAY_LOG_KEY_FILE": str(work / "log-key.pem"),
        "SECRET_KEY": os.environ.get("SECRET_KEY") or "bench-only-" + "x" * 50,
        "DEBUG": "0",
        "GATEWAY_PROCESSES": str(processes),
    }
    upstream = f"http://127.0.0.1:{upstream_port}"
    procs = []
    try:
        procs.append(subprocess.Popen([nginx, "-c", str(conf), "-g", "daemon off;"]))
        subprocess.run(
            [sys.executable, __file__, "--prepare", db_url, upstream, str(key_file)],
            check=True,
            env=env,
            cwd=ROOT,
        )
        key = key_file.read_text().strip()
        gateway_log = open(work / "gateway.log", "ab")  # noqa: SIM115
        procs.append(
            subprocess.Popen(
                [sys.executable, "-m", "tinhso", "gateway", "serve", "--port", str(gateway_port)],
                env=env,
                cwd=ROOT,
                stdout=gateway_log,
                stderr=subprocess.STDOUT,
            )
        )
        wait_up(upstream + "/")
        wait_up(f"http://127.0.0.1:{proxy_port}/")
        wait_up(f"http://127.0.0.1:{gateway_port}/health")
        targets = {
            "direct": (upstream + "/items/1", []),
            "nginx": (f"http://127.0.0.1:{proxy_port}/items/1", []),
            "gateway": (
                f"http://127.0.0.1:{gateway_port}/bench/echo/items/1",
                [f"X-Api-Key: {key}"],
            ),
        }
        results: dict[tuple[str, int], dict] = {}
        answered_2xx = 0
        for connections in (args.connections, 1):
            seconds = args.seconds if connections > 1 else max(3, args.seconds // 2)
            for name, (url, headers) in targets.items():
                if name not in args.targets.split(","):
                    continue
                # the supervisor's children: the data-plane processes and the ingester
                watched = children(procs[-1].pid)
                cpu_before = [cpu_seconds(pid) for pid in watched]
                figures = wrk(wrk_bin, url, connections, seconds, headers)
                if name == "gateway":  # CPU per call: what the machine's load does not change
                    used = {
                        pid: cpu_seconds(pid) - b
                        for pid, b in zip(watched, cpu_before, strict=True)
                    }
                    calls = max(1, figures["requests"])
                    plane = [u for pid, u in used.items() if not is_ingester(pid)]
                    figures["data_plane_cpu_us_per_call"] = round(sum(plane) / calls * 1e6, 1)
                    figures["data_plane_processes"] = len(plane)
                    figures["ingester_cpu_us_per_call"] = round(
                        sum(u for pid, u in used.items() if is_ingester(pid)) / calls * 1e6, 1
                    )
                figures["load_average_1m"] = round(os.getloadavg()[0], 2)
                results[(name, connections)] = figures
                if name == "gateway":
                    answered_2xx += figures["requests"] - figures["non_2xx"]
                emit(target=name, connections=connections, seconds=seconds, **figures)
        time.sleep(2)  # the data plane's ingester catches up
        procs[-1].terminate()
        procs[-1].wait(timeout=30)
        out = subprocess.run(
            [sys.executable, __file__, "--count", db_url, str(wal_dir)],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        log = json.loads(out.strip().splitlines()[-1])
        if len(results) < 6:
            return
        g, n, d = (results[(t, args.connections)] for t in ("gateway", "nginx", "direct"))
        g1, n1, d1 = (results[(t, 1)] for t in ("gateway", "nginx", "direct"))
        emit(
            summary="gateway_vs_nginx",
            connections=args.connections,
            processes_per_proxy=processes,
            gateway_requests_per_s=g["requests_per_s"],
            data_plane_cpu_us_per_call=g["data_plane_cpu_us_per_call"],
            ingester_cpu_us_per_call=g["ingester_cpu_us_per_call"],
            nginx_requests_per_s=n["requests_per_s"],
            throughput_ratio=round(g["requests_per_s"] / n["requests_per_s"], 3),
            goal_ratio=0.25,
            added_p50_ms_vs_nginx=round(g["p50_ms"] - n["p50_ms"], 3),
            added_p50_ms_vs_direct=round(g["p50_ms"] - d["p50_ms"], 3),
            added_p50_ms_vs_nginx_1_connection=round(g1["p50_ms"] - n1["p50_ms"], 3),
            added_p50_ms_vs_direct_1_connection=round(g1["p50_ms"] - d1["p50_ms"], 3),
            goal_added_p50_ms=2,
            answered_calls=answered_2xx,
            log_records_ok=log["ok_records"],
            log_records_lost=max(0, answered_2xx - log["ok_records"]),
            log_verified=log["verified"],
            verify_s=log["verify_s"],
        )
    finally:
        for p in procs:
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
