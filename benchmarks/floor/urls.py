"""The floor's three views: the same queries as tinhso's pages, in raw SQL, nothing else.

- the public lookup (`/api/v1/onestop/lookup/`): the dossier by code with its procedure and
  step, the 4-digit secret checked against the phone or ID number, a JSON answer;
- the catalogue search (`/onestop/thu-tuc/?q=`): the active procedures with their field,
  the synonyms, a plain diacritics-insensitive all-words match in Python, then the page of
  20 with field and agency;
- a procedure page (`/onestop/thu-tuc/<code>/`): the procedure with its field and agencies,
  its papers and the steps of its active process.
"""

from __future__ import annotations

import re
import unicodedata

from django.db import connection
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.urls import path

LOOKUP = (
    "SELECT d.code, d.tracking_code, p.name, d.state, s.name, d.due_at, d.received_at, "
    "d.applicant_phone, d.applicant_id_number FROM onestop_dossier d "
    "JOIN onestop_procedure p ON p.id = d.procedure_id "
    "LEFT JOIN onestop_processstep s ON s.id = d.current_step_id WHERE d.code = %s"
)
ENTRIES = (
    "SELECT p.id, p.code, p.name, p.result_description, f.name FROM onestop_procedure p "
    "JOIN onestop_field f ON f.id = p.field_id WHERE p.is_active"
)
SYNONYMS = "SELECT terms, meaning FROM onestop_searchsynonym ORDER BY id"
PAGE = (
    "SELECT p.code, p.name, f.name, a.name, p.processing_days, p.online_type "
    "FROM onestop_procedure p JOIN onestop_field f ON f.id = p.field_id "
    "LEFT JOIN directory_agency a ON a.id = p.agency_id "
    "WHERE p.id = ANY(%s) ORDER BY array_position(%s, p.id) LIMIT 20"
)
PROCEDURE = (
    "SELECT p.id, p.code, p.name, p.online_type, p.is_active, p.processing_days, "
    "p.processing_time_note, p.fee_vnd, p.fee_note, p.result_description, "
    "p.applicant_description, p.conditions, p.sequence_description, p.legal_basis, "
    "f.code, f.name, a.name, r.name FROM onestop_procedure p "
    "JOIN onestop_field f ON f.id = p.field_id "
    "LEFT JOIN directory_agency a ON a.id = p.agency_id "
    "LEFT JOIN directory_agency r ON r.id = p.receiving_agency_id WHERE p.code = %s"
)
PAPERS = (
    "SELECT name, copies_original, copies_copy, is_required, template_name "
    'FROM onestop_requiredpaper WHERE procedure_id = %s ORDER BY "order", id'
)
STEPS = (
    "SELECT s.name, s.role, s.budget_days FROM onestop_processstep s WHERE s.template_id = "
    "(SELECT id FROM onestop_processtemplate WHERE procedure_id = %s AND is_active "
    'ORDER BY id DESC LIMIT 1) ORDER BY s."order"'
)
WORD = re.compile(r"[a-z0-9]+")
# The filter lists of the real page (fields, agencies, levels, online), as a constant: the
# page has a similar size and a loop of similar length to render, without their queries.
FILTERS = [
    ("field", [(f"F{i:02d}", f"Lĩnh vực thủ tục số {i} ({i * 7})") for i in range(16)]),
    ("agency", [(f"H97.{i:02d}", f"Sở, ban, ngành hoặc UBND huyện số {i}") for i in range(44)]),
    ("level", [("tinh", "Cấp tỉnh"), ("huyen", "Cấp huyện"), ("xa", "Cấp xã")]),
    ("online_type", [("full", "Toàn trình"), ("partial", "Một phần")]),
]


def fold(text: str | None) -> str:
    text = unicodedata.normalize("NFD", (text or "").lower().replace("đ", "d"))
    return "".join(ch for ch in text if not unicodedata.combining(ch))


def lookup(request):
    code = request.GET.get("code", "").strip().upper()
    secret = request.GET.get("secret", "").strip()
    with connection.cursor() as cursor:
        cursor.execute(LOOKUP, [code])
        row = cursor.fetchone()
    if row is None:
        return JsonResponse({"code": "lookup_not_found"}, status=404)
    phone = "".join(ch for ch in row[7] or "" if ch.isdigit())
    id_number = "".join(ch for ch in row[8] or "" if ch.isdigit())
    if secret not in (phone[-4:], id_number[-4:]):
        return JsonResponse({"code": "lookup_not_found"}, status=404)
    return JsonResponse(
        {
            "code": row[0],
            "tracking_code": row[1] or "",
            "procedure": row[2],
            "status": row[3],
            "step": row[4] or "",
            "due_at": row[5].isoformat() if row[5] else None,
            "received_at": row[6].isoformat() if row[6] else None,
        }
    )


def catalog(request):
    q = request.GET.get("q", "")
    wanted = WORD.findall(fold(q))
    with connection.cursor() as cursor:
        cursor.execute(ENTRIES)
        entries = cursor.fetchall()
        cursor.execute(SYNONYMS)
        cursor.fetchall()
        hits = []
        for pk, code, name, result, field in entries:
            name_words = WORD.findall(fold(name))
            words = set(name_words) | set(WORD.findall(fold(f"{result} {field}")))
            if all(w in words for w in wanted):
                hits.append((not all(w in name_words for w in wanted), code, pk))
        ids = [pk for _phrase, _code, pk in sorted(hits)]
        cursor.execute(PAGE, [ids, ids])
        rows = cursor.fetchall()
    context = {"q": q, "count": len(ids), "rows": rows, "filters": FILTERS}
    return render(request, "catalog.html", context)


def procedure(request, code):
    with connection.cursor() as cursor:
        cursor.execute(PROCEDURE, [code])
        row = cursor.fetchone()
        if row is None:
            raise Http404
        cursor.execute(PAPERS, [row[0]])
        papers = cursor.fetchall()
        cursor.execute(STEPS, [row[0]])
        steps = cursor.fetchall()
    names = [
        "id",
        "code",
        "name",
        "online_type",
        "is_active",
        "processing_days",
        "processing_time_note",
        "fee_vnd",
        "fee_note",
        "result_description",
        "applicant_description",
        "conditions",
        "sequence_description",
        "legal_basis",
        "field_code",
        "field_name",
        "agency_name",
        "receiving_agency_name",
    ]
    p = dict(zip(names, row, strict=True))
    context = {
        "p": p,
        "papers": papers,
        "steps": steps,
        "legal_basis": [x for x in p["legal_basis"].splitlines() if x.strip()],
        "fee_lines": [x for x in p["fee_note"].splitlines() if x.strip()],
    }
    return render(request, "procedure.html", context)


urlpatterns = [
    path("api/v1/onestop/lookup/", lookup),
    path("onestop/thu-tuc/", catalog),
    path("onestop/thu-tuc/<str:code>/", procedure),
]
