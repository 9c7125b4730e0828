"""Agency admins manage only their subtree; platform admins everywhere; nothing changes on
a refusal."""

import pytest

from tinhso.accounts.models import User
from tinhso.audit.models import AuditEntry
from tinhso.core.errors import PermissionDenied
from tinhso.directory import services
from tinhso.directory.csvio import import_agencies
from tinhso.directory.models import Agency, AgencyEvent, Membership

pytestmark = pytest.mark.django_db


def _state():
    return (
        list(Agency.objects.values_list("code", "name", "status", "path", "phone")),
        AgencyEvent.objects.count(),
        AuditEntry.objects.count(),
        User.objects.count(),
        Membership.objects.count(),
    )


@pytest.mark.parametrize(
    "action",
    [
        lambda p, u: services.rename_agency(actor=u, agency=p.skhdt, name="Tên khác"),
        lambda p, u: services.update_agency(actor=u, agency=p.skhdt, phone="1"),
        lambda p, u: services.create_agency(actor=u, code="H57.19.02", name="Mới", parent=p.skhdt),
        lambda p, u: services.create_agency(actor=u, code="H60", name="Tỉnh khác"),
        lambda p, u: services.move_agency(actor=u, agency=p.stc, new_parent=p.skhdt),
        lambda p, u: services.merge_agencies(actor=u, predecessors=[p.skhdt], successor=p.stc),
        lambda p, u: services.close_agency(actor=u, agency=p.ttxt),
        lambda p, u: services.create_org_unit(actor=u, agency=p.skhdt, name="Phòng X"),
        lambda p, u: services.appoint_official(
            actor=u, agency=p.skhdt, username="moi.skhdt", full_name="Người Mới"
        ),
    ],
)
def test_agency_admin_cannot_act_outside_their_subtree(province, people, action):
    before = _state()
    with pytest.raises(PermissionDenied) as exc:
        action(province, people.stc_admin)
    assert exc.value.code == "permission_denied" and exc.value.status == 403
    assert exc.value.message.startswith(("Bạn không có quyền", "Chỉ quản trị nền tảng"))
    assert _state() == before


def test_agency_admin_acts_inside_their_subtree(province, people):
    services.rename_agency(actor=people.stc_admin, agency=province.stc, name="Sở Tài chính tỉnh")
    child = services.create_agency(
        actor=people.stc_admin,
        code="H57.03.01",
        name="Chi cục Tài chính doanh nghiệp",
        parent=province.stc,
    )
    services.update_agency(actor=people.stc_admin, agency=child, phone="0200 1")
    entry = AuditEntry.objects.filter(action="directory.create_agency", object_id="H57.03.01").get()
    assert entry.actor_id == people.stc_admin.pk


def test_leader_and_citizen_cannot_manage(province, people):
    for user in (people.stc_leader, people.citizen):
        with pytest.raises(PermissionDenied):
            services.update_agency(actor=user, agency=province.stc, phone="1")


def test_platform_admin_manages_everywhere(province, people):
    services.merge_agencies(
        actor=people.platform, predecessors=[province.skhdt], successor=province.stc
    )
    assert Agency.objects.get(pk=province.skhdt.pk).status == "merged"


def test_only_platform_admins_import(province, people):
    data = "code,name\nH57.77,Sở Thử\n"
    with pytest.raises(PermissionDenied):
        import_agencies(actor=people.stc_admin, data=data)
    assert not Agency.objects.filter(code="H57.77").exists()
    import_agencies(actor=people.platform, data=data)
    assert Agency.objects.filter(code="H57.77").exists()
