"""What a web or worker process does at boot, so that the first request or task after a
(re)start is not the one that pays for it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import sys
import tinhso.wsgi  # what gunicorn imports in each worker before it accepts a request
print(all(m in sys.modules for m in ("tinhso.urls", "tinhso.exchange.api", "tinhso.documents.api")))
# what receiving a package imports inside functions (core.warmup)
print(all(m in sys.modules for m in ("pypdf", "signxml", "tinhso.signing.selectors")))
# what was loaded is out of the collector's sight, and the young generation is larger
import gc
from tinhso.core.warmup import GEN0_THRESHOLD
print(gc.get_freeze_count() > 100_000, gc.get_threshold()[0] == GEN0_THRESHOLD)
"""


def _env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.update(
        {
            "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'src'}",
            "TINHSO_VAR_DIR": str(tmp_path),
            "SECRET_KEY": "process-boot-test-" + "k" * 40,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'boot.sqlite3'}",
        }
    )
    return env


def test_a_web_worker_has_every_urlconf_loaded_and_its_heap_frozen_before_its_first_request(
    tmp_path,
):
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-3:] == ["True", "True", "True True"]


def test_the_task_worker_imports_what_its_tasks_import_lazily_before_its_first_task():
    """`tinhso worker` warms up (core.warmup.WORKER) before it takes any task: the
    first batch of packages is not the one that imports pyHanko, signxml and pypdf."""
    from tinhso.core.warmup import WORKER

    assert {"pypdf", "signxml", "tinhso.signing.services", "tinhso.exchange.tasks"} <= set(WORKER)
    source = (ROOT / "src/tinhso/core/management/commands/worker.py").read_text()
    assert source.index("warm_up(WORKER)") < source.index("_run_tasks(extra, verbosity")
    assert source.index("settle_heap()") < source.index("_run_tasks(extra, verbosity")


def test_the_task_worker_skips_the_system_checks_that_import_every_view():
    from tinhso.core.management.commands.worker import Command

    assert Command.requires_system_checks == []
