"""Helpers of the signing tests."""

from __future__ import annotations

import io

from pypdf import PdfReader, PdfWriter
from pypdf.generic import DictionaryObject, NameObject, StreamObject


def appearance_text(pdf: bytes, field_name: str) -> str:
    """Text drawn in the appearance stream of a signature field (extracted with pypdf
    by placing the appearance XObject on a blank page)."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    for page in writer.pages:
        for annot in page.get("/Annots", []) or []:
            widget = annot.get_object()
            if widget.get("/T") != field_name:
                continue
            ap = widget["/AP"]["/N"]
            content = StreamObject()
            content.set_data(b"q /SigAP Do Q")
            page[NameObject("/Resources")] = DictionaryObject(
                {NameObject("/XObject"): DictionaryObject({NameObject("/SigAP"): ap})}
            )
            page.replace_contents(content)
            return page.extract_text()
    raise AssertionError(f"no signature field {field_name}")


def widget_rect(pdf: bytes, field_name: str) -> tuple[int, list[float]]:
    reader = PdfReader(io.BytesIO(pdf))
    for ix, page in enumerate(reader.pages):
        for annot in page.get("/Annots", []) or []:
            widget = annot.get_object()
            if widget.get("/T") == field_name:
                return ix, [float(v) for v in widget["/Rect"]]
    raise AssertionError(f"no signature field {field_name}")
