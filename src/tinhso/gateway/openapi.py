"""Reading an OpenAPI 3 description: its endpoints, title, version and server; the diff
between two descriptions (what a refresh would change)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

import yaml

from tinhso.gateway.errors import InvalidOpenAPI, OpenAPIUnreachable

MAX_DESCRIPTION_BYTES = 2 * 1024 * 1024
METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


@dataclass(frozen=True)
class EndpointSpec:
    method: str
    path: str
    operation_id: str = ""
    summary: str = ""

    @property
    def key(self) -> tuple[str, str]:
        return (self.method, self.path)


@dataclass
class Description:
    title: str
    version: str
    description: str
    server: str
    endpoints: list[EndpointSpec]
    text: str  # normalised JSON

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()


@dataclass
class Diff:
    added: list[EndpointSpec] = field(default_factory=list)
    removed: list[EndpointSpec] = field(default_factory=list)
    changed: list[tuple[EndpointSpec, EndpointSpec]] = field(default_factory=list)
    version_from: str = ""
    version_to: str = ""

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)


def parse(text: str | bytes) -> Description:
    if isinstance(text, bytes):
        if len(text) > MAX_DESCRIPTION_BYTES:
            raise InvalidOpenAPI()
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidOpenAPI() from exc
    if len(text.encode()) > MAX_DESCRIPTION_BYTES:
        raise InvalidOpenAPI()
    try:
        data: Any = json.loads(text)
    except ValueError:
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise InvalidOpenAPI() from exc
    if not isinstance(data, dict) or not str(data.get("openapi", "")).startswith("3."):
        raise InvalidOpenAPI()
    paths = data.get("paths")
    info: dict[str, Any] = data["info"] if isinstance(data.get("info"), dict) else {}
    if not isinstance(paths, dict):
        raise InvalidOpenAPI()
    endpoints = []
    for path, item in paths.items():
        if not isinstance(path, str) or not path.startswith("/") or not isinstance(item, dict):
            raise InvalidOpenAPI(f"Đường dẫn không hợp lệ trong mô tả OpenAPI: {str(path)[:80]}")
        if len(path) > 300:
            raise InvalidOpenAPI("Đường dẫn trong mô tả OpenAPI dài quá 300 ký tự.")
        for method in METHODS:
            operation = item.get(method)
            if isinstance(operation, dict):
                endpoints.append(
                    EndpointSpec(
                        method.upper(),
                        path,
                        str(operation.get("operationId") or "")[:200],
                        str(operation.get("summary") or "")[:300],
                    )
                )
    servers = data.get("servers") or []
    server = ""
    if isinstance(servers, list) and servers and isinstance(servers[0], dict):
        url = str(servers[0].get("url") or "")
        if url.startswith(("http://", "https://")):
            server = url
    try:
        normalised = json.dumps(data, ensure_ascii=False, sort_keys=True, default=str)
    except (TypeError, ValueError) as exc:
        raise InvalidOpenAPI() from exc
    return Description(
        title=str(info.get("title") or "")[:200],
        version=str(info.get("version") or "")[:40],
        description=str(info.get("description") or "")[:10000],
        server=server[:500],
        endpoints=sorted(endpoints, key=lambda e: (e.path, e.method)),
        text=normalised,
    )


def fetch(url: str, *, timeout: float = 10.0) -> str:
    """Download a description (bounded in size and time)."""
    import requests

    try:
        with requests.get(url, timeout=timeout, stream=True) as response:
            response.raise_for_status()
            data = b""
            for chunk in response.iter_content(65536):
                data += chunk
                if len(data) > MAX_DESCRIPTION_BYTES:
                    raise InvalidOpenAPI()
    except requests.RequestException as exc:
        raise OpenAPIUnreachable() from exc
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidOpenAPI() from exc


def diff(old: list[EndpointSpec], new: Description, old_version: str = "") -> Diff:
    before = {e.key: e for e in old}
    after = {e.key: e for e in new.endpoints}
    result = Diff(version_from=old_version, version_to=new.version)
    result.added = [after[k] for k in sorted(after.keys() - before.keys())]
    result.removed = [before[k] for k in sorted(before.keys() - after.keys())]
    for key in sorted(before.keys() & after.keys()):
        a, b = before[key], after[key]
        if (a.operation_id, a.summary) != (b.operation_id, b.summary):
            result.changed.append((a, b))
    return result
