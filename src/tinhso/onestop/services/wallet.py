"""The citizen's wallet: papers stored once and offered again in later dossiers."""

from __future__ import annotations

from typing import Any

from django.core.files.storage import default_storage
from django.db import transaction

from tinhso.audit.services import record
from tinhso.core.errors import PermissionDenied, ValidationFailed
from tinhso.onestop.errors import OnestopError as E
from tinhso.onestop.models import DossierFile, WalletItem
from tinhso.onestop.services import files as file_store


@transaction.atomic
def add_to_wallet(*, user, file: Any, name: str = "") -> WalletItem:
    """Store a paper once; uploading the same content again returns the existing item."""
    if not getattr(user, "is_authenticated", False):
        raise PermissionDenied("Vui lòng đăng nhập.")
    stored = file_store.store(file, folder="wallet")
    item, created = WalletItem.objects.get_or_create(
        owner=user,
        sha256=stored.sha256,
        defaults=dict(
            name=(name or stored.original_name)[:500],
            file=stored.name,
            original_name=stored.original_name,
            size=stored.size,
            content_type=stored.content_type,
        ),
    )
    if not created:
        default_storage.delete(stored.name)
    else:
        record(
            actor=user, action="onestop.add_to_wallet", obj=item, summary={"sha256": item.sha256}
        )
    return item


@transaction.atomic
def remove_from_wallet(*, user, item: WalletItem) -> None:
    """Remove a paper from the wallet (dossiers that used it keep their copy's reference)."""
    if item.owner_id != user.pk:
        raise PermissionDenied()
    if item.source == WalletItem.Source.RESULT:
        raise ValidationFailed(
            "Không thể xóa kết quả giải quyết thủ tục khỏi kho dữ liệu.", code=E.WALLET_RESULT
        )
    in_use = DossierFile.objects.filter(wallet_item=item).exists()
    record(actor=user, action="onestop.remove_from_wallet", obj=item, summary={"in_use": in_use})
    if not in_use and item.file.name:
        default_storage.delete(item.file.name)
    item.delete()
