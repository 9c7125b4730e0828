"""Reading and verifying the audit trail."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection

from tinhso.audit.models import AuditEntry, ChainHead
from tinhso.audit.services import entry_hash


@dataclass
class ChainReport:
    ok: bool
    checked: int
    broken_seq: int | None = None
    reason: str = ""


def verify_chain(batch_size: int = 20_000) -> ChainReport:
    """Walk the chain in sequence order; report the first broken link."""
    prev_hash = "0" * 64
    expected_seq = 1
    checked = 0
    columns = (
        "seq",
        "created_at",
        "actor_id",
        "actor_name",
        "action",
        "object_type",
        "object_id",
        "agency_id",
        "summary",
        "ip",
        "prev_hash",
        "hash",
    )
    qs = AuditEntry.objects.order_by("seq").values_list(*columns)
    iterator = (
        qs.iterator(chunk_size=batch_size)
        if connection.vendor == "postgresql"
        else qs.iterator(chunk_size=batch_size)
    )
    for row in iterator:
        (
            seq,
            created_at,
            actor_id,
            actor_name,
            action,
            object_type,
            object_id,
            agency_id,
            summary,
            ip,
            stored_prev,
            stored_hash,
        ) = row
        if seq != expected_seq:
            return ChainReport(
                False,
                checked,
                expected_seq,
                f"thiếu hoặc sai thứ tự bản ghi (gặp #{seq}, cần #{expected_seq})",
            )
        if stored_prev != prev_hash:
            return ChainReport(False, checked, seq, "liên kết với bản ghi trước bị sai")
        digest = entry_hash(
            prev_hash=prev_hash,
            seq=seq,
            created_at=created_at,
            actor_id=actor_id,
            actor_name=actor_name,
            action=action,
            object_type=object_type,
            object_id=object_id,
            agency_id=agency_id,
            summary=summary,
            ip=ip,
        )
        if digest != stored_hash:
            return ChainReport(False, checked, seq, "nội dung bản ghi đã bị thay đổi")
        prev_hash = stored_hash
        expected_seq += 1
        checked += 1
    head = ChainHead.objects.filter(pk=1).first()
    if head and head.last_seq != checked:
        return ChainReport(
            False, checked, checked + 1, f"bản ghi cuối bị xóa (đầu chuỗi ghi #{head.last_seq})"
        )
    return ChainReport(True, checked)
