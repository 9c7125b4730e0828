"""Component portals are isolated: an editor of one cannot touch another's pages, images,
documents or workflows (Wagtail is not multi-tenant by default; create_portal makes it so)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from wagtail.documents.models import Document
from wagtail.images.models import Image
from wagtail.permission_policies.collections import CollectionOwnershipPermissionPolicy

from tinhso.core.errors import DomainError
from tinhso.portal import services
from tinhso.portal.errors import PortalErrorCode
from tinhso.portal.models import PortalKind

from .conftest import approve, sign_in, write_article

pytestmark = pytest.mark.django_db


def _png() -> bytes:
    import io

    from PIL import Image as PILImage

    buffer = io.BytesIO()
    PILImage.new("RGB", (4, 4), (200, 30, 30)).save(buffer, "PNG")
    return buffer.getvalue()


def test_editor_edits_own_portal_pages_but_not_another_portals(department, commune):
    own = write_article(commune, "Tin của phường", submit=False)
    theirs = write_article(department, "Tin của sở", submit=False)
    assert own.permissions_for_user(commune.editor).can_edit()
    assert not theirs.permissions_for_user(commune.editor).can_edit()
    assert not department.home.permissions_for_user(commune.editor).can_add_subpage()
    # ... and cannot publish even their own page: that is the leader's approval.
    assert not own.permissions_for_user(commune.editor).can_publish()


def test_editor_cannot_open_another_portals_page_in_the_cms(client, department, commune):
    theirs = write_article(department, "Tin của sở", submit=False)
    own = write_article(commune, "Tin của phường", submit=False)
    sign_in(client, commune.editor)
    assert client.get(f"/cms/pages/{own.pk}/edit/").status_code == 200
    response = client.get(f"/cms/pages/{theirs.pk}/edit/")
    assert response.status_code in (302, 403)
    assert theirs.title not in response.content.decode()
    # Posting an edit to another portal's page changes nothing.
    client.post(f"/cms/pages/{theirs.pk}/edit/", {"title": "Sửa trộm", "slug": "sua-trom"})
    theirs.refresh_from_db()
    assert (
        theirs.title == "Tin của sở"
        and theirs.get_latest_revision().content["title"] == "Tin của sở"
    )


def test_images_and_documents_are_kept_per_portal_collection(department, commune):
    theirs_image = Image.objects.create(
        title="Ảnh của sở",
        file=SimpleUploadedFile("anh.png", _png()),
        collection=department.home.collection,
    )
    theirs_doc = Document.objects.create(
        title="Tài liệu của sở",
        file=SimpleUploadedFile("tai-lieu.pdf", b"%PDF-1.4\n%%EOF"),
        collection=department.home.collection,
    )
    images = CollectionOwnershipPermissionPolicy(
        Image, auth_model=Image, owner_field_name="uploaded_by_user"
    )
    docs = CollectionOwnershipPermissionPolicy(
        Document, auth_model=Document, owner_field_name="uploaded_by_user"
    )
    user = commune.editor
    assert theirs_image not in images.instances_user_has_any_permission_for(
        user, ["choose", "change"]
    )
    assert theirs_doc not in docs.instances_user_has_any_permission_for(user, ["choose", "change"])
    assert theirs_image in images.instances_user_has_any_permission_for(
        department.editor, ["choose"]
    )
    assert commune.home.collection in images.collections_user_has_permission_for(user, "add")
    assert department.home.collection not in images.collections_user_has_permission_for(user, "add")


def test_only_the_portals_own_leader_can_approve_its_articles(department, commune):
    article = write_article(commune, "Tin chờ duyệt")
    task_state = article.current_workflow_state.current_task_state
    task = task_state.task.specific
    assert task.get_actions(article, department.leader) == []
    assert task.get_actions(article, commune.editor) == []
    assert task.get_actions(article, commune.leader)
    approve(article, commune.leader)
    article.refresh_from_db()
    assert article.live


def test_only_platform_or_agency_admins_create_portals(department, commune):
    with pytest.raises(DomainError) as error:
        services.create_portal(
            actor=commune.editor,
            agency=commune.agency,
            kind=PortalKind.COMMUNE,
            title="Cổng trộm",
            slug="cong-trom",
            hostname="cong-trom.localhost",
        )
    assert error.value.status == 403


def test_a_hostname_belongs_to_one_portal(platform_admin, department):
    with pytest.raises(DomainError) as error:
        services.create_portal(
            actor=platform_admin,
            agency=department.agency,
            kind=PortalKind.DEPARTMENT,
            title="Trùng tên miền",
            slug="trung",
            hostname="so-khcn.localhost",
        )
    assert error.value.code == PortalErrorCode.HOSTNAME_TAKEN
