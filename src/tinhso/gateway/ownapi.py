"""tinhso's own REST APIs as gateway services: the project's OpenAPI schema cut per app
(`/api/v1/<app>/...` → a description whose server is `<site>/api/v1/<app>`), so they are
published exactly like any provider's description."""

from __future__ import annotations

import json
from typing import Any

from django.utils.translation import gettext_lazy as _

# app → (service title, description)
OWN_APIS: dict[str, tuple[Any, Any]] = {
    "onestop": (
        _("Dịch vụ công: tra cứu hồ sơ, thống kê"),
        _("Tra cứu tình trạng hồ sơ thủ tục hành chính, danh mục thủ tục, số liệu thống kê."),
    ),
    "directory": (
        _("Danh bạ cơ quan, đơn vị"),
        _("Cây cơ quan, đơn vị hành chính, mã định danh cơ quan, tra cứu cán bộ."),
    ),
    "documents": (
        _("Văn bản điều hành: thống kê"),
        _("Số liệu văn bản đến, văn bản đi của các cơ quan."),
    ),
    "opendata": (_("Dữ liệu mở"), _("Bộ dữ liệu mở của tỉnh (tương thích CKAN).")),
}


def project_schema() -> dict[str, Any]:
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator().get_schema(request=None, public=True)


def app_description(schema: dict[str, Any], app: str, site: str) -> str | None:
    """The description of one app's endpoints, or None when the app publishes none."""
    prefix = f"/api/v1/{app}"
    paths = {
        path[len(prefix) :] or "/": item
        for path, item in schema.get("paths", {}).items()
        if path.startswith(prefix + "/")
    }
    if not paths:
        return None
    title, description = OWN_APIS.get(app, (app, ""))
    doc = {
        "openapi": schema.get("openapi", "3.0.3"),
        "info": {
            "title": str(title),
            "version": str(schema.get("info", {}).get("version", "1")),
            "description": str(description),
        },
        "servers": [{"url": f"{site.rstrip('/')}{prefix}"}],
        "paths": paths,
        "components": schema.get("components", {}),
    }
    return json.dumps(doc, ensure_ascii=False, default=str)
