"""`tinhso pki init-demo`: the local demo CA, certificates and images for the demo
province's signers. Idempotent: a second run creates nothing."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from tinhso.accounts.models import Role, RoleGrant
from tinhso.core.progress import report_progress
from tinhso.signing import images
from tinhso.signing.models import Certificate, SignatureImage
from tinhso.signing.services.images import set_image
from tinhso.signing.services.pki import ensure_demo_ca, issue_certificate, revoke_certificate

SIGNER_ROLES = (Role.LEADER,)
SEAL_ROLES = (Role.LEADER, Role.CLERK)
REVOKED_DEMO_REASON = "demo: chứng thư thử nghiệm bị thu hồi"


@transaction.atomic
def init_demo(out=None) -> dict[str, int]:
    root, issuing = ensure_demo_ca()
    now = timezone.now()
    counts = {"personal": 0, "agency": 0, "images": 0, "revoked": 0}
    valid = Certificate.objects.filter(
        status=Certificate.Status.ACTIVE, not_before__lte=now, not_after__gt=now
    )

    grants = (
        RoleGrant.objects.filter(role__in=SIGNER_ROLES, user__is_active=True)
        .select_related("user", "agency")
        .order_by("user_id", "agency__depth", "agency_id")
    )
    has_cert = set(
        valid.filter(kind=Certificate.Kind.PERSONAL).values_list("owner_user_id", flat=True)
    )
    has_image = set(
        SignatureImage.objects.filter(owner_user__isnull=False).values_list(
            "owner_user_id", flat=True
        )
    )
    agency_ids = set(
        RoleGrant.objects.filter(role__in=SEAL_ROLES).values_list("agency_id", flat=True)
    )
    from tinhso.directory.models import Agency

    agencies = list(Agency.objects.filter(pk__in=agency_ids).select_related("parent"))
    total = len(grants) + len(agencies)  # progress of `tinhso demo`
    for done, grant in enumerate(grants):
        report_progress(out, done, total)
        user = grant.user
        if user.pk not in has_cert:
            issue_certificate(
                ca=issuing,
                kind=Certificate.Kind.PERSONAL,
                owner_user=user,
                owner_agency=grant.agency,
            )
            has_cert.add(user.pk)
            counts["personal"] += 1
        if user.pk not in has_image:
            set_image(owner_user=user, png=images.signature_png(user.full_name or user.username))
            has_image.add(user.pk)
            counts["images"] += 1

    has_agency_cert = set(
        valid.filter(kind=Certificate.Kind.AGENCY).values_list("owner_agency_id", flat=True)
    )
    has_seal = set(
        SignatureImage.objects.filter(owner_agency__isnull=False).values_list(
            "owner_agency_id", flat=True
        )
    )
    for done, agency in enumerate(agencies, start=len(grants)):
        report_progress(out, done, total)
        if agency.pk not in has_agency_cert:
            issue_certificate(ca=issuing, kind=Certificate.Kind.AGENCY, owner_agency=agency)
            counts["agency"] += 1
        if agency.pk not in has_seal:
            set_image(owner_agency=agency, png=images.seal_png(agency.name))
            counts["images"] += 1

    # One revoked certificate, to show what verification says about it.
    if not Certificate.objects.filter(revocation_reason=REVOKED_DEMO_REASON).exists():
        first = grants.first()
        if first is not None:
            extra = issue_certificate(
                ca=issuing,
                kind=Certificate.Kind.PERSONAL,
                owner_user=first.user,
                owner_agency=first.agency,
                not_before=now - dt.timedelta(days=30),
                not_after=now + dt.timedelta(days=335),
            )
            revoke_certificate(certificate=extra, reason=REVOKED_DEMO_REASON)
            counts["revoked"] += 1
    if out is not None and any(counts.values()):
        out.write(
            f"  chữ ký số: {counts['personal']} chứng thư cá nhân, {counts['agency']} chứng thư "
            f"cơ quan, {counts['images']} ảnh chữ ký/con dấu, {counts['revoked']} thu hồi"
        )
    return counts
