"""A bounded fuzz run of the edXML reader: random bytes and mutated real packages never
crash it (only PackageRefused, with a code) and never hang it."""

from __future__ import annotations

import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tinhso.exchange import edxml
from tinhso.exchange.errors import PackageRefused

from .conftest import document_package, signed

pytestmark = pytest.mark.django_db

SETTINGS = settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _read(raw: bytes) -> None:
    start = time.monotonic()
    try:
        edxml.read(raw)
    except PackageRefused as exc:
        assert exc.code and exc.message
    assert time.monotonic() - start < 5


@SETTINGS
@given(st.binary(max_size=4000))
def test_random_bytes_are_refused_cleanly(province, data):
    _read(data)


@pytest.fixture
def package_bytes(province) -> bytes:
    small = [edxml.Attachment(name="a.pdf", data=b"%PDF-1.4 nho")]
    return signed(
        province.sender, document_package(province.sender, "000.00.20.H99", attachments=small)
    )


@SETTINGS
@given(
    st.lists(
        st.tuples(st.floats(0, 1), st.sampled_from(["flip", "cut", "dup", "insert"])),
        min_size=1,
        max_size=4,
    ),
    st.sampled_from([b"<", b">", b"&", b"<!DOCTYPE x>", b"&lol;", b"\x00", b"]]>", b"\xff"]),
)
def test_mutated_packages_are_refused_cleanly(package_bytes, edits, junk):
    raw = bytearray(package_bytes)
    for where, op in edits:
        if not raw:
            break
        i = int(where * (len(raw) - 1))
        if op == "flip":
            raw[i] ^= 0x55
        elif op == "cut":
            del raw[i:]
        elif op == "dup":
            raw[i:i] = raw[max(0, i - 50) : i]
        else:
            raw[i:i] = junk
    _read(bytes(raw))
