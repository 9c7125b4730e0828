"""Directory pages render, search highlights, private data stays private."""

import pytest
from django.urls import reverse

from tinhso.directory.models import Agency

from .conftest import login

pytestmark = pytest.mark.django_db


def test_url_names():
    assert reverse("directory:tree") == "/directory/"
    assert reverse("directory:search") == "/directory/search/"
    assert reverse("directory:agency", args=["H57.03"]) == "/directory/agencies/H57.03/"


def test_tree_page_uses_details_and_links(client, province):
    r = client.get(reverse("directory:tree"))
    assert r.status_code == 200
    html = r.content.decode()
    assert "<details open>" in html and "<summary>" in html
    assert 'href="/directory/agencies/H57.19/"' in html
    assert "Trung tâm Xúc tiến đầu tư" in html  # depth 2 rendered


def test_tree_children_fragment_and_root(client, province):
    r = client.get(reverse("directory:tree_children", args=["H57.40"]))
    assert r.status_code == 200 and "Ủy ban nhân dân xã Hòa An" in r.content.decode()
    r = client.get(reverse("directory:tree"), {"root": "H57.40"})
    assert r.status_code == 200 and 'aria-current="page"' in r.content.decode()
    r = client.get(reverse("directory:tree"), {"root": "bad code"})
    assert r.status_code == 400 and "không hợp lệ" in r.content.decode()


def test_search_page_is_a_labelled_get_form_with_highlighted_links(client, people, province):
    login(client, people.planner)
    r = client.get(reverse("directory:search"))
    html = r.content.decode()
    assert (
        'method="get"' in html
        and 'name="q"' in html
        and '<label class="form-label" for="directory-q"' in html
    )
    r = client.get(reverse("directory:search"), {"q": "so tai chinh"})
    html = r.content.decode()
    assert r.status_code == 200
    assert (
        '<a href="/directory/agencies/H57.03/"><mark>Sở</mark> <mark>Tài</mark> <mark>chính</mark></a>'
        in html
    )


def test_search_finds_people_for_logged_in_users_only(client, people):
    r = client.get(reverse("directory:search"), {"q": "tran thi lan"})
    assert "Trần Thị Lan" not in r.content.decode()
    login(client, people.stc_leader)
    r = client.get(reverse("directory:search"), {"q": "tran thi lan"})
    assert "<mark>Trần</mark> <mark>Thị</mark> <mark>Lan</mark>" in r.content.decode()


def test_agency_page_shows_codes_chain_units_people_and_history(client, people, province):
    login(client, people.stc_leader)
    r = client.get(reverse("directory:agency", args=["000.00.19.H57"]))
    html = r.content.decode()
    assert r.status_code == 200
    for text in [
        "H57.19",
        "000.00.19.H57",
        "Ủy ban nhân dân tỉnh Thử Nghiệm",
        "Phòng Tổng hợp",
        "Trần Thị Lan",
        "Chuyên viên",
        "Thành lập",
        "Trung tâm Xúc tiến đầu tư",
    ]:
        assert text in html, text
    assert "0990000003" in html  # officials see colleagues' phones


def test_closed_agency_page_shows_badge_and_successor(client, province):
    from tinhso.directory.services import merge_agencies

    merge_agencies(actor=None, predecessors=[province.skhdt], successor=province.stc)
    html = client.get(reverse("directory:agency", args=["H57.19"])).content.decode()
    assert "badge-closed" in html and "Đã sáp nhập" in html
    assert 'href="/directory/agencies/H57.03/"' in html
    html = client.get(reverse("directory:agency", args=["H57.03"])).content.decode()
    assert "Tiếp nhận từ các cơ quan" in html and "Sở Kế hoạch và Đầu tư" in html


def test_anonymous_and_citizens_see_no_personal_data(client, people, province):
    html = client.get(reverse("directory:agency", args=["H57.03"])).content.decode()
    assert "Nguyễn Văn Hùng" not in html and "0990000002" not in html
    assert "Sở Tài chính" in html
    login(client, people.citizen)
    html = client.get(reverse("directory:agency", args=["H57.03"])).content.decode()
    assert "Nguyễn Văn Hùng" in html and "0990000002" not in html
    r = client.get(reverse("directory:person", args=[people.stc_leader.uid]))
    assert r.status_code == 200 and "0990000002" not in r.content.decode()


def test_unknown_agency_page(client, province):
    r = client.get(reverse("directory:agency", args=["H11"]))
    assert r.status_code == 404 and "Không tìm thấy cơ quan" in r.content.decode()


def test_people_pages(client, people):
    assert client.get(reverse("directory:people")).status_code == 302  # login required
    login(client, people.planner)
    r = client.get(reverse("directory:people"), {"q": "nguyen van hung"})
    assert f'href="/directory/people/{people.stc_leader.uid}/"' in r.content.decode()
    r = client.get(reverse("directory:person", args=[people.stc_leader.uid]))
    html = r.content.decode()
    assert "Nguyễn Văn Hùng" in html and "Giám đốc" in html and "0990000002" in html


def test_import_page_for_platform_admins(client, people, province):
    login(client, people.stc_admin)
    r = client.get(reverse("directory:import"))
    assert r.status_code == 403
    login(client, people.platform)
    assert client.get(reverse("directory:import")).status_code == 200
    from django.core.files.uploadedfile import SimpleUploadedFile

    bad = SimpleUploadedFile(
        "a.csv", "code,name\n1x,Sai\nH57.70,Đúng\n".encode(), content_type="text/csv"
    )
    r = client.post(reverse("directory:import"), {"table": "agencies", "file": bad})
    html = r.content.decode()
    assert r.status_code == 400 and "Dòng 2:" in html and "không có dòng nào được nhập" in html
    assert not Agency.objects.filter(code="H57.70").exists()
    good = SimpleUploadedFile(
        "a.csv",
        "\ufeffcode,name,parent_code\nH57.70,Sở Mới,H57\n".encode(),
        content_type="text/csv",
    )
    r = client.post(reverse("directory:import"), {"table": "agencies", "file": good})
    assert r.status_code == 200 and "1 dòng mới" in r.content.decode()
    assert Agency.objects.get(code="H57.70").parent == province.ubnd
    r = client.get(reverse("directory:export"))
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    assert "H57.70" in r.content.decode("utf-8-sig")
    units = SimpleUploadedFile(
        "u.csv",
        "code,name,level,parent_code\n57002,Xã Mới,commune,570\n".encode(),
        content_type="text/csv",
    )
    r = client.post(reverse("directory:import"), {"table": "admin_units", "file": units})
    assert r.status_code == 200 and "1 dòng mới" in r.content.decode()
    r = client.get(reverse("directory:export"), {"table": "admin_units"})
    assert "57002,Xã Mới,commune,570,1" in r.content.decode("utf-8-sig")


def test_agency_admin_edits_own_agency_not_others(client, people, province):
    login(client, people.stc_admin)
    url = reverse("directory:agency_edit", args=["H57.03"])
    r = client.post(
        url,
        {
            "name": "Sở Tài chính tỉnh",
            "short_name": "STC",
            "kind": "department",
            "phone": "0200 123",
            "email": "",
            "website": "",
            "address": "",
        },
    )
    assert r.status_code == 302
    assert Agency.objects.get(code="H57.03").name == "Sở Tài chính tỉnh"
    r = client.post(url, {"name": "X", "kind": "department", "email": "bad"})
    assert r.status_code == 200 and "không hợp lệ" in r.content.decode()
    assert Agency.objects.get(code="H57.03").name == "Sở Tài chính tỉnh"  # nothing changed
    r = client.get(reverse("directory:agency_edit", args=["H57.19"]))
    assert r.status_code == 403


def test_admin_hub_lists_what_the_user_administers(client, people, province):
    login(client, people.stc_admin)
    r = client.get(reverse("directory:admin"))
    html = r.content.decode()
    assert r.status_code == 200 and "Sở Tài chính" in html and "Sở Kế hoạch" not in html
    assert reverse("directory:reorganise", args=["H57.03"]) in html
    login(client, people.planner)
    assert client.get(reverse("directory:admin")).status_code == 403
    login(client, people.platform)
    html = client.get(reverse("directory:admin")).content.decode()
    assert "Nhập bảng cơ quan" in html and "Sở Kế hoạch và Đầu tư" in html


def test_reorganise_page_merges_and_refuses_outside_subtree(client, people, province):
    login(client, people.platform)
    url = reverse("directory:reorganise", args=["H57.19"])
    r = client.post(
        url,
        {
            "action": "merge",
            "target": "H11",
            "effective_on": "2025-03-01",
            "move_children": "on",
            "move_members": "on",
        },
    )
    assert r.status_code == 400 and "Không tìm thấy cơ quan" in r.content.decode()
    assert Agency.objects.get(code="H57.19").is_active
    r = client.post(
        url,
        {
            "action": "merge",
            "target": "000.00.03.H57",
            "effective_on": "2025-03-01",
            "move_children": "on",
            "move_members": "on",
            "note": "NĐ 45/2025",
        },
    )
    assert r.status_code == 302
    old = Agency.objects.get(code="H57.19")
    assert old.status == "merged" and old.successor.code == "H57.03"
    assert Agency.objects.get(code="H57.19.01").parent.code == "H57.03"
    login(client, people.stc_admin)
    r = client.post(
        reverse("directory:reorganise", args=["H57.40"]),
        {"action": "close", "effective_on": "2025-07-01"},
    )
    assert r.status_code == 403
    assert Agency.objects.get(code="H57.40").is_active


def test_org_unit_page(client, people, province):
    login(client, people.stc_admin)
    url = reverse("directory:org_unit_create", args=["H57.03"])
    assert client.get(url).status_code == 200
    r = client.post(url, {"name": "Phòng Đầu tư"})
    assert r.status_code == 302
    assert province.stc.org_units.filter(name="Phòng Đầu tư").exists()
    r = client.post(url, {"name": "Phòng Đầu tư"})
    assert r.status_code == 400 and "đã có đơn vị" in r.content.decode()


def test_appoint_and_end_posts(client, people, province):
    from tinhso.accounts.models import RoleGrant, User
    from tinhso.directory.models import Membership

    login(client, people.stc_admin)
    url = reverse("directory:appoint", args=["H57.03"])
    assert client.get(url).status_code == 200
    # a new person without a name: refused, nothing created
    r = client.post(url, {"username": "vanthu.stc"})
    assert r.status_code == 400 and "họ và tên" in r.content.decode()
    assert not User.objects.filter(username="vanthu.stc").exists()
    # new official with a post in an org unit and a role
    r = client.post(
        url,
        {
            "username": "vanthu.stc",
            "full_name": "Vũ Thị Văn",
            "position": province.specialist.pk,
            "org_unit": province.budget.pk,
            "roles": ["clerk"],
            "is_primary": "on",
        },
    )
    assert r.status_code == 302
    clerk = User.objects.get(username="vanthu.stc")
    assert clerk.is_official
    assert RoleGrant.objects.filter(user=clerk, agency=province.stc, role="clerk").exists()
    # an existing official (from another agency) gets a second post here
    r = client.post(url, {"username": "chuyenvien.skhdt", "roles": ["specialist"]})
    assert r.status_code == 302
    assert {m.agency.code for m in Membership.objects.filter(user=people.planner)} == {
        "H57.19",
        "H57.03",
    }
    # platform_admin is not grantable here
    r = client.post(url, {"username": "chuyenvien.skhdt", "roles": ["platform_admin"]})
    assert r.status_code == 400
    # end a post
    m = Membership.objects.get(user=clerk)
    r = client.post(reverse("directory:end_post", args=["H57.03", m.pk]))
    assert r.status_code == 302 and Membership.objects.get(pk=m.pk).ended_on is not None
    # not in another agency
    other = Membership.objects.get(user=people.planner, agency=province.skhdt)
    r = client.post(reverse("directory:end_post", args=["H57.19", other.pk]))
    assert r.status_code == 403 and Membership.objects.get(pk=other.pk).ended_on is None
