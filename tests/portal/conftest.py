"""Fixtures for portal tests: a main portal and two component portals with their people."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tinhso.accounts import services as accounts
from tinhso.accounts.models import Role
from tinhso.directory.models import Agency
from tinhso.portal import services
from tinhso.portal.models import ArticleIndexPage, PortalHomePage, PortalKind

PASSWORD = "Mat-khau-123!"


@dataclass
class Portal:
    home: PortalHomePage
    news: ArticleIndexPage
    agency: Agency
    editor: object
    leader: object
    clerk: object


def make_official(username: str, agency: Agency, role: str):
    user = accounts.create_official(
        username=username,
        full_name=f"Cán bộ {username}",
        email=f"{username}@example.vn",
        password=PASSWORD,
    )
    accounts.grant_role(user=user, agency=agency, role=role)
    return user


@pytest.fixture
def platform_admin(db):
    province = Agency.objects.create(
        code="H99", name="Ủy ban nhân dân tỉnh Sông Lam", kind="province"
    )
    admin = make_official("quantri", province, Role.PLATFORM_ADMIN)
    admin.province = province
    return admin


def make_portal(
    admin, *, code: str, name: str, kind: str, slug: str, host: str, parent=None, share=False
) -> Portal:
    agency = Agency.objects.filter(code=code).first() or Agency.objects.create(
        code=code, name=name, kind="department", parent=parent
    )
    leader = make_official(f"lanhdao_{slug}", agency, Role.LEADER)
    clerk = make_official(f"vanthu_{slug}", agency, Role.CLERK)
    editor = make_official(f"bientap_{slug}", agency, Role.SPECIALIST)
    home = services.create_portal(
        actor=admin,
        agency=agency,
        kind=kind,
        title=name,
        slug=slug,
        hostname=host,
        share_with_main=share,
    )
    services.add_editor(actor=admin, portal=home, user=editor)
    news = ArticleIndexPage(title="Tin tức", slug="tin-tuc", kind="news", show_in_menus=True)
    home.add_child(instance=news)
    news.save_revision(user=admin).publish(user=admin)
    return Portal(home=home, news=news, agency=agency, editor=editor, leader=leader, clerk=clerk)


@pytest.fixture
def main_portal(platform_admin) -> Portal:
    return make_portal(
        platform_admin,
        code="H99",
        name="Cổng thông tin điện tử tỉnh Sông Lam",
        kind=PortalKind.MAIN,
        slug="cong-tinh",
        host="testserver",
    )


@pytest.fixture
def department(platform_admin, main_portal) -> Portal:
    return make_portal(
        platform_admin,
        code="H99.10",
        name="Sở Khoa học và Công nghệ",
        kind=PortalKind.DEPARTMENT,
        slug="so-khcn",
        host="so-khcn.localhost",
        parent=main_portal.agency,
        share=False,
    )


@pytest.fixture
def commune(platform_admin, main_portal) -> Portal:
    return make_portal(
        platform_admin,
        code="H99.51",
        name="Phường Sông Lam",
        kind=PortalKind.COMMUNE,
        slug="phuong-song-lam",
        host="phuong-song-lam.localhost",
        parent=main_portal.agency,
        share=True,
    )


def sign_in(client, user) -> None:
    """A signed-in official whose second factor was checked (as after the OTP page)."""
    from tinhso.accounts.middleware import SESSION_KEY

    client.force_login(user)
    if user.needs_second_factor:
        session = client.session
        session[SESSION_KEY] = True
        session.save()


def write_article(portal: Portal, title: str, *, submit: bool = True):
    from tinhso.portal.models import ArticlePage, vietnamese_slug

    article = ArticlePage(
        title=title,
        slug=vietnamese_slug(title),
        summary=f"Tóm tắt: {title}",
        body=[{"type": "paragraph", "value": f"<p>{title}</p>"}],
        live=False,
    )
    portal.news.add_child(instance=article)
    article.save_revision(user=portal.editor)
    if submit:
        article.get_workflow().start(article, portal.editor)
    return article


def approve(article, user) -> None:
    article.refresh_from_db()
    task_state = article.current_workflow_state.current_task_state
    task_state.task.specific.on_action(task_state, user, "approve")
