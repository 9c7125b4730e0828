"""Editors draft and submit, the agency's leader approves; scheduled pages wait for their
time and go back to the editors if the approver has left; every step is in the audit trail."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tinhso.accounts import services as accounts
from tinhso.accounts.models import Role, RoleGrant
from tinhso.audit.models import AuditEntry
from tinhso.portal import selectors, services

from .conftest import approve, write_article

pytestmark = pytest.mark.django_db


def _actions(page) -> list[str]:
    return list(
        AuditEntry.objects.filter(object_type="wagtailcore.page", object_id=str(page.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )


def test_submitted_article_is_not_public_until_the_leader_approves(client, commune):
    article = write_article(commune, "Phường ra quân vệ sinh môi trường")
    article.refresh_from_db()
    assert not article.live
    assert (
        client.get(
            article.url_path.replace("/phuong-song-lam", ""), HTTP_HOST="phuong-song-lam.localhost"
        ).status_code
        == 404
    )
    approve(article, commune.leader)
    article.refresh_from_db()
    assert article.live
    response = client.get(
        "/tin-tuc/phuong-ra-quan-ve-sinh-moi-truong/", HTTP_HOST="phuong-song-lam.localhost"
    )
    assert response.status_code == 200
    assert "Phường ra quân vệ sinh môi trường" in response.content.decode()
    assert _actions(article) == ["portal.submit_page", "portal.publish_page", "portal.approve_page"]


def test_rejected_article_stays_a_draft(commune):
    article = write_article(commune, "Bài cần sửa")
    task_state = article.current_workflow_state.current_task_state
    task_state.task.specific.on_action(task_state, commune.leader, "reject")
    article.refresh_from_db()
    assert not article.live
    assert "portal.reject_page" in _actions(article)


def test_main_portal_shows_news_of_component_portals_that_opt_in(main_portal, department, commune):
    shared = write_article(commune, "Tin phường chia sẻ")
    approve(shared, commune.leader)
    private = write_article(department, "Tin riêng của sở")
    approve(private, department.leader)
    own = write_article(main_portal, "Tin của tỉnh")
    approve(own, main_portal.leader)
    titles = [a.title for a in selectors.front_page_articles(main_portal.home)]
    assert "Tin phường chia sẻ" in titles and "Tin của tỉnh" in titles
    assert "Tin riêng của sở" not in titles
    assert [a.title for a in selectors.front_page_articles(department.home)] == ["Tin riêng của sở"]


def test_cached_front_page_shows_a_change_at_once(client, main_portal, commune):
    """Front pages are cached for visitors, yet a publication, a withdrawal or a deleted
    page shows on the next request."""

    def front() -> str:
        return client.get("/", HTTP_HOST="testserver").content.decode()

    assert "Tin mới phường" not in front()  # the front page is now cached
    article = write_article(commune, "Tin mới phường")
    approve(article, commune.leader)
    assert "Tin mới phường" in front()
    article.refresh_from_db()
    article.unpublish(user=commune.leader)
    assert "Tin mới phường" not in front()
    approve_again = write_article(main_portal, "Tin tỉnh sẽ xóa")
    approve(approve_again, main_portal.leader)
    assert "Tin tỉnh sẽ xóa" in front()
    approve_again.refresh_from_db()
    approve_again.delete()
    assert "Tin tỉnh sẽ xóa" not in front()


def _schedule(portal, title: str, when):
    from tinhso.portal.models import ArticlePage

    article = write_article(portal, title, submit=False)
    article = ArticlePage.objects.get(pk=article.pk)
    article.go_live_at = when
    article.save_revision(user=portal.editor)
    article.get_workflow().start(article, portal.editor)
    approve(article, portal.leader)
    article.refresh_from_db()
    return article


def _time_passes(article, when) -> None:
    """The clock reaches `when`: the approved revision's go-live time is now in the past."""
    from wagtail.models import Revision

    revision = Revision.page_revisions.get(
        object_id=str(article.pk), approved_go_live_at__isnull=False
    )
    revision.approved_go_live_at = when
    revision.content["go_live_at"] = when.isoformat()
    revision.save(update_fields=["approved_go_live_at", "content"])


def test_scheduled_article_goes_live_at_its_time(commune):
    later = timezone.now() + timedelta(hours=2)
    article = _schedule(commune, "Tin hẹn giờ", later)
    assert not article.live
    assert services.publish_due() == {"published": 0, "returned": 0}
    _time_passes(article, timezone.now() - timedelta(seconds=1))
    assert services.publish_due() == {"published": 1, "returned": 0}
    article.refresh_from_db()
    assert article.live


def test_scheduled_article_returns_to_editors_when_its_approver_has_left(commune):
    later = timezone.now() + timedelta(hours=2)
    article = _schedule(commune, "Tin hẹn giờ, người duyệt đã chuyển công tác", later)
    RoleGrant.objects.filter(user=commune.leader, role=Role.LEADER).delete()
    result = services.publish_due(now=later + timedelta(minutes=1))
    assert result == {"published": 0, "returned": 1}
    article.refresh_from_db()
    assert not article.live
    assert "portal.schedule_returned" in _actions(article)
    # Nothing is left scheduled: running again changes nothing.
    assert services.publish_due(now=later + timedelta(hours=1)) == {"published": 0, "returned": 0}


def test_scheduled_article_of_a_deactivated_approver_is_returned(commune):
    later = timezone.now() + timedelta(hours=1)
    _schedule(commune, "Tin hẹn giờ 2", later)
    accounts_user = commune.leader
    accounts_user.is_active = False
    accounts_user.save(update_fields=["is_active"])
    assert services.publish_due(now=later + timedelta(minutes=1))["returned"] == 1
    assert accounts  # the accounts service is what a real deactivation goes through
