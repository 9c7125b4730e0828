"""Citizen look-up in the national population database (STUB of the documented shape;
the database's real API is not public).

Contract (provider `csdlqg-dancu`, service `tra-cuu-cong-dan`, through the gateway):

    GET /citizens/{citizen_id}           (12-digit personal identification number)
    → 200 {"citizen_id", "full_name", "birth_date", "gender", "permanent_address",
           "current_address", "nationality"}
    → 404                                 no such citizen

A look-up needs the citizen's consent and a purpose; it is recorded (`CitizenLookup`,
with the papers it spares the citizen — indicators 4.3/4.5) and audited. The fields come
back ready to prefill an e-form.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from tinhso.accounts.models import CITIZEN_ID_RE
from tinhso.accounts.rules import require
from tinhso.audit.services import record
from tinhso.core.errors import ValidationFailed
from tinhso.core.text import clean_text
from tinhso.gateway.connectors.base import call
from tinhso.gateway.errors import ConnectorFailed, ConsentRequired
from tinhso.gateway.models import CitizenLookup

PROVIDER, SERVICE = "csdlqg-dancu", "tra-cuu-cong-dan"
FIELDS = (
    "citizen_id",
    "full_name",
    "birth_date",
    "gender",
    "permanent_address",
    "current_address",
    "nationality",
)
# The papers a successful look-up makes unnecessary (they are reused, not asked for).
REUSED_PAPERS = ("Căn cước công dân (bản sao)", "Giấy xác nhận thông tin về cư trú")


def lookup_citizen(
    *,
    actor: Any,
    citizen_id: str,
    purpose: str,
    consent: bool,
    dossier_code: str = "",
) -> tuple[CitizenLookup, dict[str, Any] | None]:
    require(actor, "gateway.lookup_citizen")
    citizen_id = (citizen_id or "").strip()
    if not CITIZEN_ID_RE.match(citizen_id):
        raise ValidationFailed("Số định danh cá nhân phải gồm đúng 12 chữ số.")
    purpose = clean_text(purpose or "")[:300]
    if not purpose:
        raise ValidationFailed("Cần ghi mục đích tra cứu.")
    if not consent:
        raise ConsentRequired()
    response = call("GET", PROVIDER, SERVICE, f"/citizens/{citizen_id}", issue=dossier_code)
    if response.status_code == 404:
        data = None
    elif response.status_code != 200:
        raise ConnectorFailed(f"CSDL quốc gia về dân cư trả lời lỗi {response.status_code}.")
    else:
        try:
            body = response.json()
        except ValueError as exc:
            raise ConnectorFailed() from exc
        data = {name: body.get(name, "") for name in FIELDS}
    with transaction.atomic():
        lookup = CitizenLookup.objects.create(
            actor=actor if getattr(actor, "pk", None) else None,
            citizen_id=citizen_id,
            purpose=purpose,
            dossier_code=(dossier_code or "")[:40],
            consent_at=timezone.now(),
            found=data is not None,
            papers_reused=list(REUSED_PAPERS) if data else [],
        )
        record(
            actor=actor,
            action="gateway.citizen_lookup",
            obj=lookup,
            summary={
                "citizen_id": citizen_id,
                "purpose": purpose,
                "dossier": dossier_code,
                "found": data is not None,
                "consent": True,
            },
        )
    return lookup, data
