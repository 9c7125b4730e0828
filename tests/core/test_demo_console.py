"""First contact on the console: `tinhso demo`, `tinhso serve`, `tinhso otp-code`."""

from __future__ import annotations

import os
import re
import resource
import signal
import socket
import subprocess
import sys
import time
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tinhso.accounts import demo as accounts_demo
from tinhso.accounts import otp, services
from tinhso.core.progress import StepLine, report_progress

SRC = Path(__file__).resolve().parents[2] / "src"

# `make demo` migrates an SQLite database: the console is the demo's, on the demo's engine
# (the demo data's services run on both legs in their own tests).
pytestmark = pytest.mark.sqlite


class Out(StringIO):
    def write(self, text):  # like a management command's stdout: one line per write
        return super().write(text + "\n")


class FakeTerminal(StringIO):
    def isatty(self):
        return True


# --- `tinhso demo`: a progress line per module, then the logins at the given address


@pytest.mark.django_db
def test_demo_shows_a_line_per_module_and_ends_with_the_readme_logins_at_the_given_address():
    out = StringIO()
    call_command(
        "demo",
        "--only",
        "directory",
        "accounts",
        "workdays",
        "--site-url",
        "http://127.0.0.1:8123",
        stdout=out,
    )
    text = out.getvalue()
    lines = text.splitlines()
    steps = [line for line in lines if re.match(r"\[\d/3\] ", line)]
    assert [s.split(" ✓")[0] for s in steps] == [
        "[1/3] Danh bạ cơ quan, cán bộ",
        "[2/3] Tài khoản mẫu",
        "[3/3] Lịch làm việc",
    ]
    # each module's summary follows its own step line
    assert lines[lines.index(steps[0]) + 1].startswith("  danh bạ: 67 cơ quan")
    assert "http://127.0.0.1:8123/accounts/login/" in text
    assert "8000" not in text
    # the table is the README's logins, in the README's order, and it ends the output
    listed = re.findall(r"^  \S.*?  ([a-z0-9.]+)  ", text, flags=re.M)
    assert listed == accounts_demo.README_LOGINS
    assert "  Cán bộ một cửa     motcua.ttphvhcc  " in text
    assert lines[-1].startswith("Cán bộ đăng nhập thêm mã xác thực một lần")
    assert "Công dân chỉ cần mật khẩu" in lines[-1]


@pytest.mark.django_db
def test_demo_prints_no_logins_when_asked_to_leave_them_to_serve():
    out = StringIO()
    call_command("demo", "--only", "workdays", "--no-logins", stdout=out)
    assert "[1/1] Lịch làm việc ✓" in out.getvalue()
    assert "Tài khoản mẫu" not in out.getvalue()


def test_on_a_terminal_the_step_line_shows_a_bar_of_what_the_loader_reported():
    terminal = FakeTerminal()
    with StepLine(terminal, "[5/6] Thủ tục, hồ sơ một cửa", tty=True) as step:
        report_progress(step, 80, 320)
        step.write("  một cửa: 320 hồ sơ mẫu")
        time.sleep(0.6)  # the line is redrawn about five times a second
        drawn = terminal.getvalue()
        assert "[5/6] Thủ tục, hồ sơ một cửa [██████" in drawn and "80/320" in drawn
        assert "một cửa: 320" not in drawn  # summaries wait for the end of the step
    final = terminal.getvalue().split("\r\033[2K")[-1]
    assert re.fullmatch(
        r"\[5/6\] Thủ tục, hồ sơ một cửa ✓ \d+,\d giây\n  một cửa: 320 hồ sơ mẫu\n", final
    )


def test_off_a_terminal_only_finished_lines_are_written():
    log = StringIO()
    with StepLine(log, "[1/1] Chữ ký số", tty=False) as step:
        report_progress(step, 1, 2)
        step.write("  chữ ký số: 3 chứng thư")
    assert "\r" not in log.getvalue() and "█" not in log.getvalue()
    assert log.getvalue().startswith("[1/1] Chữ ký số ✓ ")


def test_loaders_accept_any_plain_writer():
    report_progress(StringIO(), 1, 2)  # no `progress` method: nothing happens


# --- `tinhso otp-code`


@pytest.mark.django_db
def test_otp_code_for_a_citizen_says_citizens_have_no_one_time_code():
    services.create_citizen(username="congdan.thu", full_name="Công Dân", citizen_id="001190000009")
    with pytest.raises(CommandError) as exc:
        call_command("otp-code", "congdan.thu", stdout=StringIO())
    message = str(exc.value)
    assert "công dân và doanh nghiệp không có mã xác thực một lần" in message
    assert "mẫu" not in message  # not "demo accounts only"


# --- the real commands in their own processes (a copy of the migrated test database)


@pytest.fixture(scope="module")
def scratch(tmp_path_factory, migrated):
    var = tmp_path_factory.mktemp("var")
    with migrated.database(f"demo_console_{os.getpid()}", var) as url:
        yield _scratch(var, url)


def _scratch(var, database_url):
    env = {
        **os.environ,
        "TINHSO_VAR_DIR": str(var),
        "PYTHONPATH": f"{SRC}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
        "DJANGO_SETTINGS_MODULE": "tinhso.settings",
        "SECRET_KEY": "test-demo-console-" + "k" * 40,  # one key for all the processes
        "DATABASE_URL": database_url,
    }
    env.pop("TINHSO_SITE_URL", None)
    tinhso = [sys.executable, "-m", "tinhso"]
    script = (
        "import sys\n"
        "from tinhso.accounts import services, demo\n"
        "from tinhso.accounts.models import Role\n"
        "from tinhso.directory.models import Agency\n"
        "ubnd = Agency(code='H99', name='Ủy ban nhân dân tỉnh Thử')\n"
        "ubnd.save()\n"
        "u = services.create_official(username='lanhdao.ubnd', full_name='Lãnh Đạo')\n"
        "services.grant_role(user=u, agency=ubnd, role=Role.LEADER)\n"
        "services.create_citizen(username='congdan.an', full_name='An', "
        "citizen_id='001190000001')\n"
        "demo.load(sys.stdout)\n"
    )
    subprocess.run([*tinhso, "shell", "-c", script], env=env, check=True)  # noqa: S603
    return var, env, tinhso


def test_otp_code_answers_without_loading_the_whole_site(scratch):
    var, env, tinhso = scratch
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-X", "importtime", "-m", "tinhso", "otp-code", "lanhdao.ubnd"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    code = done.stdout.strip()
    secret = accounts_demo.demo_secret("lanhdao.ubnd")
    assert code in {otp.code_at(secret, otp.current_step() + d) for d in (-1, 0)}
    # the system checks imported every URL conf (DRF, pyHanko...): ~10 s on a busy machine
    imported = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines()}
    assert "tinhso.urls" not in imported and "pyhanko.sign" not in imported
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    assert cpu < 5, cpu  # the whole site takes ~10 s; the bound leaves room for a busy machine
    citizen = subprocess.run(  # noqa: S603
        [*tinhso, "otp-code", "congdan.an"], env=env, capture_output=True, text=True
    )
    assert citizen.returncode != 0
    assert "không có mã xác thực một lần" in citizen.stderr


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_serve_keeps_the_console_for_the_address_and_logins_and_logs_the_worker_to_a_file(
    scratch,
):
    var, env, tinhso = scratch
    port = _free_port()
    server = subprocess.Popen(  # noqa: S603
        [*tinhso, "serve", "--port", str(port), "--workers", "1", "--logins"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lines = []
        # generous: this proves where the output goes, not how fast the processes boot (each
        # imports its hot paths before taking work, seconds more on a busy 2-core machine)
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            line = server.stdout.readline()
            if not line:
                break
            lines.append(line)
            if "đang chạy tại" in line:
                break
        worker_log = var / "log" / "worker.log"
        while time.monotonic() < deadline and not worker_log.stat().st_size:
            time.sleep(0.2)
    finally:
        server.send_signal(signal.SIGTERM)
        rest, errors = server.communicate(timeout=60)
    console = "".join(lines) + rest
    assert f"tinhso đang chạy tại http://127.0.0.1:{port}" in console
    assert f"http://127.0.0.1:{port}/accounts/login/" in console
    assert "lanhdao.ubnd" in console and "congdan.an" in console
    assert "8000" not in console
    # the worker's chatter is in its log file, not on the console
    assert "Starting worker" in worker_log.read_text()
    assert "Starting worker" not in console + errors
    assert "Booting worker" not in errors  # gunicorn's lines are in web.log
    assert "Booting worker" in (var / "log" / "web.log").read_text()
