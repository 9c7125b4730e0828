"""The static files' storage of a deployed process: whitenoise's compressed, hashed files,
each name's address worked out once.

Every page asks `{% static %}` seven or eight times (the style sheets, the scripts, the
icon); each answer goes through the manifest, the file name's normalisation, quoting and
joining: 25 µs, the same answer every time, since the manifest does not change while the
process runs (a deployment runs `collectstatic`, then restarts the processes). A name
missing from the manifest is still an error at every call, never kept.
"""

from __future__ import annotations

from whitenoise.storage import CompressedManifestStaticFilesStorage


class KeptAddressStorage(CompressedManifestStaticFilesStorage):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._addresses: dict[str, str] = {}

    def url(self, name: str | None, force: bool = False) -> str:  # type: ignore[override]
        if force or name is None:
            return super().url(name, force)
        address = self._addresses.get(name)
        if address is None:
            address = self._addresses[name] = super().url(name)
        return address
