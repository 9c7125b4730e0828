"""What a citizen reads: the portal is the front page, each component portal answers on its
own host, the English sections are in English, drafts take signed-in comments until their
deadline, the checklist shows what Decree 42 requires, RSS and the API share the content."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tinhso.accounts import services as accounts
from tinhso.core.errors import DomainError
from tinhso.portal import selectors, services
from tinhso.portal.errors import PortalErrorCode
from tinhso.portal.models import ConsultationPage, EnglishHomePage, SectionPage

from .conftest import approve, sign_in, write_article

pytestmark = pytest.mark.django_db


def _publish(parent, page, user):
    parent.add_child(instance=page)
    page.save_revision(user=user).publish(user=user, skip_permission_checks=True)
    return page


def test_front_page_is_the_portal_of_the_requested_host(client, main_portal, commune):
    approve(write_article(commune, "Tin phường"), commune.leader)
    main = client.get("/").content.decode()
    assert "Cổng thông tin điện tử tỉnh Sông Lam" in main and "Tin phường" in main
    component = client.get("/", HTTP_HOST="phuong-song-lam.localhost").content.decode()
    assert "<title>Phường Sông Lam" in component


def test_a_visitor_gets_the_kept_front_page_checked_against_the_content_version(
    client, main_portal, commune, django_assert_max_num_queries, own_page_stamp
):
    first = client.get("/").content.decode()
    with django_assert_max_num_queries(1):  # the content version, from the shared cache
        again = client.get("/").content.decode()
    assert again.split("csrfmiddlewaretoken")[0] == first.split("csrfmiddlewaretoken")[0]
    component = client.get("/", HTTP_HOST="phuong-song-lam.localhost").content.decode()
    assert "<title>Phường Sông Lam" in component  # kept per host


def test_signed_in_official_keeps_their_workspace_on_the_main_host(client, main_portal, department):
    sign_in(client, main_portal.editor)
    response = client.get("/")
    assert "web/home.html" in [t.name for t in response.templates]
    # ... while a component portal's host always shows that portal.
    response = client.get("/", HTTP_HOST="so-khcn.localhost")
    assert "web/home.html" not in [t.name for t in response.templates]


def test_english_sections_are_served_in_english(client, main_portal):
    english = _publish(
        main_portal.home, EnglishHomePage(title="English", slug="english"), main_portal.leader
    )
    _publish(
        english,
        SectionPage(
            title="Functions and duties",
            slug="functions",
            section="functions",
            body=[{"type": "paragraph", "value": "<p>Advises the People's Committee.</p>"}],
        ),
        main_portal.leader,
    )
    html = client.get("/english/functions/").content.decode()
    assert '<html lang="en">' in html and "Advises the People" in html
    assert "Skip to main content" in html  # the shell itself speaks English there
    rows = {row.section.key: row for row in selectors.required_checklist(main_portal.home)}
    assert rows["functions"].english_present is True
    assert rows["contacts"].english_present is False


def test_checklist_lists_missing_and_outdated_required_sections(client, main_portal):
    _publish(
        main_portal.home,
        SectionPage(
            title="Chức năng, nhiệm vụ",
            slug="chuc-nang",
            section="functions",
            reviewed_on=timezone.localdate() - timedelta(days=400),
            body=[],
        ),
        main_portal.leader,
    )
    rows = {row.section.key: row for row in selectors.required_checklist(main_portal.home)}
    assert rows["functions"].present and not rows["functions"].up_to_date
    assert not rows["legal_documents"].present
    sign_in(client, main_portal.editor)
    html = client.get(
        f"/portal/bien-tap/{main_portal.home.pk}/thong-tin-bat-buoc/"
    ).content.decode()
    assert "Quá hạn rà soát" in html and "Thiếu" in html


def test_checklist_is_for_the_portals_own_editors(client, main_portal, commune):
    sign_in(client, commune.editor)
    assert (
        client.get(f"/portal/bien-tap/{main_portal.home.pk}/thong-tin-bat-buoc/").status_code == 403
    )


def _draft(portal, closes_at):
    from tinhso.portal.models import ConsultationIndexPage

    index = _publish(
        portal.home, ConsultationIndexPage(title="Lấy ý kiến", slug="lay-y-kien"), portal.leader
    )
    return _publish(
        index,
        ConsultationPage(
            title="Dự thảo quy chế", slug="du-thao", summary="Dự thảo", closes_at=closes_at
        ),
        portal.leader,
    )


def _citizen(name="congdan"):
    return accounts.create_citizen(
        username=name,
        full_name="Nguyễn Văn An",
        citizen_id="001099012345",
        password="Mat-khau-123!",
    )


def test_citizens_comment_on_a_draft_until_its_deadline(client, main_portal):
    draft = _draft(main_portal, timezone.now() + timedelta(days=3))
    citizen = _citizen()
    client.force_login(citizen)
    client.post(
        f"/portal/du-thao/{draft.pk}/gop-y/", {"body": "Đề nghị bổ sung thời hạn cập nhật."}
    )
    assert (
        "Đề nghị bổ sung thời hạn cập nhật." in client.get("/lay-y-kien/du-thao/").content.decode()
    )
    with pytest.raises(DomainError) as error:
        services.comment_on_draft(actor=citizen, page=draft, body="Muộn", now=draft.closes_at)
    assert error.value.code == PortalErrorCode.COMMENTS_CLOSED
    with pytest.raises(DomainError) as error:
        services.comment_on_draft(actor=citizen, page=draft, body="x" * 4001)
    assert error.value.code == PortalErrorCode.COMMENT_TOO_LONG
    assert draft.comments.count() == 1
    comment = draft.comments.get()
    services.answer_comment(actor=main_portal.leader, comment=comment, answer="Xin tiếp thu.")
    assert "Xin tiếp thu." in client.get("/lay-y-kien/du-thao/").content.decode()


def test_anonymous_visitors_cannot_comment(client, main_portal):
    draft = _draft(main_portal, timezone.now() + timedelta(days=3))
    response = client.post(f"/portal/du-thao/{draft.pk}/gop-y/", {"body": "Ẩn danh"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert ConsultationPage.objects.get(pk=draft.pk).comments.count() == 0


def test_rss_and_api_share_published_articles_only(client, main_portal):
    approve(write_article(main_portal, "Tin đã duyệt"), main_portal.leader)
    write_article(main_portal, "Tin chờ duyệt")
    rss = client.get("/portal/rss/").content.decode()
    assert "Tin đã duyệt" in rss and "Tin chờ duyệt" not in rss
    api = client.get("/api/v1/portal/articles").json()
    assert [row["title"] for row in api["results"]] == ["Tin đã duyệt"]


def test_rich_text_keeps_only_the_allowed_features(client, main_portal):
    from tinhso.portal.models import ArticlePage

    article = write_article(main_portal, "Bài có mã độc", submit=False)
    article = ArticlePage.objects.get(pk=article.pk)
    article.body = [
        {
            "type": "paragraph",
            "value": '<p>Nội dung<script>alert(1)</script><img src=x onerror="alert(2)"></p>',
        }
    ]
    article.save_revision(user=main_portal.leader).publish(
        user=main_portal.leader, skip_permission_checks=True
    )
    html = client.get(article.url).content.decode()
    assert "Nội dung" in html
    assert "<script>alert(1)" not in html and "onerror" not in html
