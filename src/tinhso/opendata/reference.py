"""Reference data of the portal (topic groups, licences) from `data/reference.json`:
loaded by a migration and by `ensure_reference()` (idempotent)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

PATH = Path(__file__).parent / "data" / "reference.json"
THEME = "http://publications.europa.eu/resource/authority/data-theme/"


def ensure_reference(group_model: Any = None, licence_model: Any = None) -> None:
    if group_model is None or licence_model is None:
        from tinhso.opendata.models import Licence, TopicGroup

        group_model, licence_model = TopicGroup, Licence
    data = json.loads(PATH.read_text(encoding="utf-8"))
    for position, group in enumerate(data["groups"]):
        group_model.objects.update_or_create(
            name=group["name"],
            defaults={
                "title": group["title"],
                "theme_uri": THEME + group["theme"],
                "position": position,
            },
        )
    for position, licence in enumerate(data["licences"]):
        licence_model.objects.update_or_create(
            id=licence["id"],
            defaults={
                "title": licence["title"],
                "url": licence["url"],
                "is_open": licence["is_open"],
                "position": position,
            },
        )
