"""What a process keeps in memory (tinhso.core.stamps) is dropped when the data changes:
here, in another process on the machine, or after its time on another machine."""

from __future__ import annotations

import os
import time

import pytest
from django.db import transaction

from tinhso.core.stamps import Kept, KeptEach, Stamp

pytestmark = pytest.mark.django_db


@pytest.fixture
def loads(settings, tmp_path):
    settings.VAR_DIR = tmp_path  # a stamp file of this test's own
    stamp = Stamp("test-stamps")
    calls: list[int] = []

    def load() -> int:
        calls.append(1)
        return len(calls)

    return stamp, Kept(stamp, load, seconds=60), calls


def test_a_value_is_loaded_once_then_kept(loads):
    _stamp, kept, calls = loads
    assert kept.get() == kept.get() == 1
    assert len(calls) == 1


def test_a_change_in_this_process_is_seen_at_once(loads):
    stamp, kept, _calls = loads
    kept.get()
    stamp.changed()
    assert kept.get() == 2


def test_a_change_another_process_committed_is_seen_at_the_next_read(loads):
    stamp, kept, _calls = loads
    kept.get()
    path = stamp.path()
    os.makedirs(os.path.dirname(path), exist_ok=True)
    later = time.time_ns() + 1_000_000
    open(path, "a").close()
    os.utime(path, ns=(later, later))  # what the other process does when it commits
    assert kept.get() == 2
    assert kept.get() == 2


def test_what_a_transaction_read_after_its_own_change_is_not_kept_when_it_rolls_back(loads):
    stamp, kept, calls = loads
    kept.get()
    with pytest.raises(RuntimeError), transaction.atomic():
        stamp.changed()
        assert kept.get() == 2  # read inside the changing transaction...
        raise RuntimeError("the use case failed")
    assert kept.get() == 3  # ...was not kept: loaded again after the rollback
    assert kept.get() == 3
    assert len(calls) == 3


def test_a_value_expires_for_changes_made_on_other_machines(loads):
    stamp, _kept, calls = loads
    short = Kept(stamp, lambda: len(calls), seconds=0)
    calls.append(1)
    assert short.get() == 1
    calls.append(1)
    assert short.get() == 2


def test_each_key_is_loaded_once_kept_apart_and_all_dropped_on_a_change(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    stamp = Stamp("test-stamps-each")
    calls: list[str] = []

    def load(key: str) -> str:
        calls.append(key)
        return f"{key}{len(calls)}"

    kept = KeptEach(stamp, load, seconds=60, size=2)
    assert kept.get("a") == kept.get("a") == "a1"
    assert kept.get("b") == "b2" and kept.get("a") == "a1"
    stamp.changed()
    assert kept.get("a") == "a3" and kept.get("b") == "b4"
    kept.get("c")  # a third key: past `size`, what was kept goes
    assert kept.get("a") == "a6"
    with pytest.raises(RuntimeError), transaction.atomic():
        stamp.changed()
        assert kept.get("a") == "a7"
        raise RuntimeError("rolled back")
    assert kept.get("a") == "a8" == kept.get("a")
