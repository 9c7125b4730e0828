"""Filling a page's form as a person would: the page's own values, plausible text in the
required fields left empty, a small PDF in every file field (the load test's citizens
and clerks, and `load.py` when it checks which procedures can be submitted)."""

from __future__ import annotations

import os
import random
from pathlib import Path

from lxml import html as lxml_html

PAPER = Path(os.environ.get("LOAD_PAPER", "var/load/paper.pdf"))
# paper documents from outside the platform, as a clerk types the sender in
SENDERS = ["Bộ Nội vụ", "Bộ Tài chính", "Văn phòng Chính phủ", "Công ty Điện lực tỉnh"]


def incoming_values(number: int) -> dict[str, str]:
    """What a clerk types to register a paper document from outside the platform, by the
    register form's own field names (tests/documents/test_load_test_forms.py: when the
    form's fields changed, the load test's registrations came back with their errors)."""
    return {
        "number_notation": f"{number}/UBND-VP",
        "sender_name": random.choice(SENDERS),
        "subject": f"V/v báo cáo tình hình thực hiện nhiệm vụ số {number}",
    }


def form_values(form, overrides: dict | None = None) -> tuple[dict, dict]:
    """The values a person would send: what the page filled in, and plausible text in
    the required fields it left empty; a PDF in every file field."""
    data: dict[str, str | list[str]] = {}
    files: dict[str, tuple[str, bytes, str]] = {}
    for field in form.inputs:
        name = field.get("name")
        if not name or field.get("disabled") is not None:
            continue
        tag = field.tag
        kind = (field.get("type") or "text").lower()
        if tag == "input" and kind == "file":
            files[name] = ("giay-to.pdf", PAPER.read_bytes(), "application/pdf")
        elif tag == "input" and kind in ("checkbox", "radio"):
            wanted = (
                field.checked
                or (kind == "radio" and name not in data)  # a group's first, unless one is checked
                # a required box, or the e-form's pledge ("tôi cam đoan...")
                or (
                    kind == "checkbox"
                    and (field.get("required") is not None or name.startswith("ef-"))
                )
            )
            if wanted:
                data[name] = field.get("value") or "on"
        elif tag == "select":
            options = [o.get("value", o.text or "") for o in field.findall(".//option")]
            chosen = field.value if not field.multiple else None
            if chosen:
                data[name] = chosen
            elif field.get("required") is not None or name in ("agency",):
                data[name] = next((o for o in options if o), "")
        elif tag in ("input", "textarea"):
            if kind in ("submit", "button", "reset", "image"):
                continue
            value = field.value or ""
            if not value and (field.get("required") is not None or tag == "textarea"):
                value = sample_text(field, kind)
            data[name] = value
    data.update(overrides or {})
    return data, files


def sample_text(field, kind: str) -> str:
    name = (field.get("name") or "").lower()
    if kind == "date":
        return "2026-11-16"
    if kind == "number":
        return field.get("min") or "1"
    if kind == "email" or "email" in name:
        return "nguoidan@example.vn"
    if kind == "tel" or "phone" in name:
        return "0912345678"
    if name.endswith(("_id", "cccd", "id_number")):
        return "001090012345"
    maxlength = int(field.get("maxlength") or 200)
    return "Nguyễn Văn Bình, thôn 3, xã Phú Lộc"[: max(1, maxlength)]


def main_form(text: str):
    """The page's main form: of its POST forms (not the language switch nor the logout
    button), the one with the most fields; None when the page has none."""
    if not text:
        return None
    forms = [
        form
        for form in lxml_html.fromstring(text).forms
        if (form.get("method") or "").lower() == "post"
        and not any(
            skip in (form.get("action") or "") for skip in ("/i18n/", "logout", "dang-xuat")
        )
    ]
    return max(forms, key=lambda form: len(form.inputs), default=None)
