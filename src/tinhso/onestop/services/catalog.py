"""Catalog use-cases: fields, procedures, required papers, internal processes.

The internal process's step budgets must sum to the procedure's processing time
(`validate_budgets`), so that following the process on time delivers on time.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction

from tinhso.accounts.models import Role
from tinhso.accounts.rules import require
from tinhso.audit.services import record
from tinhso.core import pagecache
from tinhso.core.errors import ValidationFailed
from tinhso.onestop.models import (
    Field,
    Level,
    OnlineType,
    Procedure,
    ProcessStep,
    ProcessTemplate,
    RequiredPaper,
)

PROCEDURE_FIELDS = {
    "name",
    "levels",
    "agency",
    "receiving_agency",
    "processing_days",
    "processing_time_note",
    "fee_vnd",
    "fee_note",
    "online_type",
    "sequence_description",
    "conditions",
    "applicant_description",
    "legal_basis",
    "result_description",
    "form_schema",
    "is_active",
}


def _decimal(value: Any, label: str) -> Decimal:
    try:
        result = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise ValidationFailed(f"{label} không hợp lệ.", code="invalid_days") from exc
    if result != result or result < 0:
        raise ValidationFailed(f"{label} không hợp lệ.", code="invalid_days")
    return result


def validate_budgets(processing_days: Any, steps: Sequence[dict]) -> None:
    """Raise unless the steps' budgets sum exactly to the procedure's processing time."""
    if not steps:
        raise ValidationFailed("Quy trình nội bộ phải có ít nhất một bước.", code="process_empty")
    total = sum((_decimal(s.get("budget_days"), "Thời gian của bước") for s in steps), Decimal(0))
    expected = _decimal(processing_days, "Thời hạn giải quyết")
    if total != expected:
        raise ValidationFailed(
            f"Tổng thời gian các bước ({total.normalize():f} ngày) phải bằng thời hạn giải "
            f"quyết của thủ tục ({expected.normalize():f} ngày).",
            code="process_budget_mismatch",
            details={"total": str(total), "expected": str(expected)},
        )
    for step in steps:
        if step.get("role") not in Role.values:
            raise ValidationFailed(
                f"Vai trò '{step.get('role')}' của bước '{step.get('name')}' không hợp lệ.",
                code="invalid_role",
            )
        if not (step.get("name") or "").strip():
            raise ValidationFailed("Mỗi bước phải có tên.", code="step_name_required")


@transaction.atomic
def upsert_field(*, actor, code: str, name: str) -> Field:
    require(actor, "onestop.manage_catalog", None)
    field, created = Field.objects.get_or_create(code=code.strip(), defaults={"name": name.strip()})
    if not created and field.name != name.strip():
        field.name = name.strip()
        field.save()
    if created:
        record(actor=actor, action="onestop.create_field", obj=field, summary={"name": name})
    return field


def _check_procedure(values: dict[str, Any]) -> None:
    levels = [lv for lv in str(values.get("levels", "")).split(",") if lv]
    if any(lv not in Level.values for lv in levels):
        raise ValidationFailed("Cấp thực hiện không hợp lệ.", code="invalid_level")
    if values.get("online_type", OnlineType.PARTIAL) not in OnlineType.values:
        raise ValidationFailed(
            "Loại dịch vụ công trực tuyến không hợp lệ.", code="invalid_online_type"
        )
    days = _decimal(values.get("processing_days", 0), "Thời hạn giải quyết")
    if days < Decimal("0.5"):
        raise ValidationFailed(
            "Thời hạn giải quyết phải từ 0,5 ngày làm việc.", code="invalid_days"
        )
    if int(values.get("fee_vnd", 0) or 0) < 0:
        raise ValidationFailed("Phí, lệ phí không hợp lệ.", code="invalid_fee")
    schema = values.get("form_schema") or {}
    if schema:
        from tinhso.onestop.eforms import schema_problems

        problems = schema_problems(schema)
        if problems:
            raise ValidationFailed(
                "Biểu mẫu điện tử không hợp lệ: " + "; ".join(problems),
                code="invalid_form_schema",
            )


@transaction.atomic
def upsert_procedure(
    *,
    actor,
    code: str,
    field: Field,
    papers: Sequence[dict] | None = None,
    steps: Sequence[dict] | None = None,
    **values: Any,
) -> Procedure:
    """Create or update a procedure by its code, with its papers and process (when given).

    papers: [{"name", "copies_original", "copies_copy", "is_required", "note"}]
    steps: [{"name", "kind", "role", "budget_days", "agency" (Agency|None),
             "org_unit_name"}] — budgets must sum to processing_days.
    """
    unknown = set(values) - PROCEDURE_FIELDS
    if unknown:
        raise ValidationFailed(
            "Trường không hợp lệ: " + ", ".join(sorted(unknown)), code="unknown_fields"
        )
    procedure = Procedure.objects.filter(code=code.strip()).first()
    require(actor, "onestop.manage_catalog", procedure or values.get("agency"))
    merged = {
        "levels": getattr(procedure, "levels", Level.PROVINCE),
        "processing_days": getattr(procedure, "processing_days", None),
        **values,
    }
    _check_procedure(merged)
    if steps is not None:
        validate_budgets(merged["processing_days"], steps)
    created = procedure is None
    if procedure is None:
        procedure = Procedure(code=code.strip(), field=field)
    procedure.field = field
    for key, value in values.items():
        setattr(procedure, key, value)
    procedure.full_clean(exclude=["uid"])
    procedure.save()
    if papers is not None:
        procedure.papers.all().delete()
        RequiredPaper.objects.bulk_create(
            [
                RequiredPaper(
                    procedure=procedure,
                    order=index,
                    name=p["name"],
                    copies_original=int(p.get("copies_original", 1)),
                    copies_copy=int(p.get("copies_copy", 0)),
                    is_required=bool(p.get("is_required", True)),
                    note=p.get("note", ""),
                )
                for index, p in enumerate(papers, start=1)
            ]
        )
    if steps is not None:
        _replace_process(procedure, steps)
    record(
        actor=actor,
        action="onestop.create_procedure" if created else "onestop.update_procedure",
        obj=procedure,
        object_id=procedure.code,
        summary={"code": procedure.code, "name": procedure.name},
    )
    return procedure


def _replace_process(procedure: Procedure, steps: Sequence[dict]) -> ProcessTemplate:
    # Dossiers keep the template they started with: retire the old one, create a new one.
    procedure.process_templates.filter(is_active=True).update(is_active=False)
    template = ProcessTemplate.objects.create(
        procedure=procedure, name=f"Quy trình nội bộ {procedure.code}"
    )
    ProcessStep.objects.bulk_create(
        [
            ProcessStep(
                template=template,
                order=index,
                name=s["name"].strip(),
                kind=s.get("kind", ProcessStep.Kind.PROCESSING),
                agency=s.get("agency"),
                org_unit=s.get("org_unit"),
                org_unit_name=s.get("org_unit_name", ""),
                role=s["role"],
                budget_days=_decimal(s["budget_days"], "Thời gian của bước"),
            )
            for index, s in enumerate(steps, start=1)
        ]
    )
    return template


@transaction.atomic
def save_process(*, actor, procedure: Procedure, steps: Sequence[dict]) -> ProcessTemplate:
    """Replace the procedure's internal process (budgets must sum to its time)."""
    require(actor, "onestop.manage_catalog", procedure)
    validate_budgets(procedure.processing_days, steps)
    template = _replace_process(procedure, steps)
    record(
        actor=actor,
        action="onestop.save_process",
        obj=procedure,
        object_id=procedure.code,
        summary={"steps": [s["name"] for s in steps]},
    )
    return template


# ---------------------------------------------------------------------------------------
# Search synonyms (what people call procedures; see tinhso.onestop.search)


def synonyms_text() -> str:
    """The synonyms as the administration page edits them: "terms = meaning" per line."""
    from tinhso.onestop.models import SearchSynonym

    return "\n".join(f"{s.terms} = {s.meaning}" for s in SearchSynonym.objects.all())


def parse_synonyms(text: str) -> list[tuple[str, str]]:
    """[(terms, meaning)] from "sổ đỏ, sổ hồng = giấy chứng nhận quyền sử dụng đất" lines;
    `ValidationFailed` naming every bad line (blank lines and lines starting with # skip)."""
    rows: list[tuple[str, str]] = []
    problems: list[str] = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        terms, sep, meaning = line.partition("=")
        term_list = [t.strip() for t in terms.split(",") if t.strip()]
        meaning = meaning.strip()
        if not sep or not term_list or not meaning:
            problems.append(
                f"dòng {number}: cần dạng 'cách gọi, cách gọi khác = tên trong danh mục'"
            )
            continue
        if len(", ".join(term_list)) > 300 or len(meaning) > 300:
            problems.append(f"dòng {number}: dài quá 300 ký tự")
            continue
        rows.append((", ".join(term_list), meaning))
    if problems:
        raise ValidationFailed(
            "Danh sách từ đồng nghĩa có lỗi: " + "; ".join(problems) + ".",
            code="invalid_synonyms",
            details={"lines": problems},
        )
    return rows


@transaction.atomic
def save_search_synonyms(*, actor, text: str) -> int:
    """Replace the catalogue search's synonyms (platform administrators); returns how many."""
    from tinhso.onestop.models import SearchSynonym

    require(actor, "onestop.manage_catalog", None)
    rows = parse_synonyms(text)
    before = synonyms_text()
    SearchSynonym.objects.all().delete()
    SearchSynonym.objects.bulk_create(SearchSynonym(terms=t, meaning=m) for t, m in rows)
    pagecache.changed()  # bulk_create sends no signal: the search pages change
    record(
        actor=actor,
        action="onestop.save_search_synonyms",
        object_type="onestop.searchsynonym",
        object_id="*",
        summary={"count": len(rows), "before": before, "after": synonyms_text()},
    )
    return len(rows)
