"""A deployed process's static addresses (`tinhso.core.staticfiles`): the manifest's hashed
name, the same as whitenoise's storage gives, and a name missing from the manifest is an
error at every call (never kept as an address)."""

from __future__ import annotations

import json

import pytest
from whitenoise.storage import CompressedManifestStaticFilesStorage

from tinhso.core.staticfiles import KeptAddressStorage


@pytest.fixture
def collected(tmp_path):
    (tmp_path / "tinhso").mkdir()
    for name in ("tinhso/tinhso.css", "tinhso/tinhso.1a2b3c4d5e6f.css"):
        (tmp_path / name).write_text("body{}")
    manifest = {"paths": {"tinhso/tinhso.css": "tinhso/tinhso.1a2b3c4d5e6f.css"}, "version": "1.1"}
    (tmp_path / "staticfiles.json").write_text(json.dumps(manifest))
    return tmp_path


def test_the_kept_address_is_whitenoises_hashed_address(collected):
    ours = KeptAddressStorage(location=collected, base_url="/static/")
    theirs = CompressedManifestStaticFilesStorage(location=collected, base_url="/static/")
    for _ in range(2):
        assert ours.url("tinhso/tinhso.css") == theirs.url("tinhso/tinhso.css")
    assert ours.url("tinhso/tinhso.css") == "/static/tinhso/tinhso.1a2b3c4d5e6f.css"


def test_a_name_missing_from_the_manifest_is_an_error_every_time(collected):
    storage = KeptAddressStorage(location=collected, base_url="/static/")
    for _ in range(2):
        with pytest.raises(ValueError, match="khong-co.js"):
            storage.url("tinhso/khong-co.js")
