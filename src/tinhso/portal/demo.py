"""The demo's web portal: the province's main portal and three component portals.

Everything goes through the paths people use: the platform administrator creates each
portal (`services.create_portal`) and its sections as published pages; an editor writes
each article and submits it to the portal's workflow; the agency's leader approves it
(Wagtail's own workflow, which publishes it); clerks publish issued documents from
`documents`; citizens comment on a draft. One article per portal is left waiting for the
leader, so the review queue is never empty in the demo.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone
from wagtail.models import Page, Workflow

from tinhso.accounts.models import Role, RoleGrant, User
from tinhso.directory.models import Agency
from tinhso.portal import services
from tinhso.portal.models import (
    ArticleIndexPage,
    ArticlePage,
    ConsultationIndexPage,
    ConsultationPage,
    EnglishHomePage,
    LegalDocumentsPage,
    OrgChartPage,
    PortalHomePage,
    PortalKind,
    ProceduresPage,
    SectionPage,
    vietnamese_slug,
)

PORTALS = [
    # (agency code, kind, title, slug, host prefix or None for the main host, theme, shared)
    (
        "H99",
        PortalKind.MAIN,
        "Cổng thông tin điện tử tỉnh Sông Lam",
        "cong-tinh",
        None,
        "red",
        False,
    ),
    (
        "H99.10",
        PortalKind.DEPARTMENT,
        "Sở Khoa học và Công nghệ",
        "so-khcn",
        "so-khcn",
        "blue",
        True,
    ),
    (
        "H99.51",
        PortalKind.COMMUNE,
        "Phường Sông Lam",
        "phuong-song-lam",
        "phuong-song-lam",
        "green",
        True,
    ),
    (
        "H99.16",
        PortalKind.CENTRE,
        "Trung tâm Phục vụ hành chính công tỉnh",
        "hanh-chinh-cong",
        "hanhchinhcong",
        "teal",
        True,
    ),
]

ARTICLES = {
    "H99": [
        (
            "news",
            "Tỉnh Sông Lam đẩy mạnh chuyển đổi số trong cơ quan nhà nước",
            "Năm 2026, tỉnh đặt mục tiêu 100% hồ sơ công việc cấp tỉnh được xử lý trên môi trường mạng và trên 45% hồ sơ thủ tục hành chính được nộp trực tuyến toàn trình.",
        ),
        (
            "news",
            "Khai trương Trung tâm điều hành thông minh của tỉnh",
            "Trung tâm giám sát, điều hành thông minh tiếp nhận phản ánh hiện trường của người dân và hiển thị số liệu trực tuyến của các sở, ngành.",
        ),
        (
            "announcement",
            "Thông báo lịch tiếp công dân định kỳ tháng 12/2026",
            "Chủ tịch UBND tỉnh tiếp công dân định kỳ vào ngày 15/12/2026 tại Trụ sở Tiếp công dân tỉnh.",
        ),
        (
            "directive",
            "Chỉ đạo về tăng cường kỷ luật, kỷ cương trong giải quyết thủ tục hành chính",
            "Chủ tịch UBND tỉnh yêu cầu các sở, ngành, địa phương không để hồ sơ quá hạn, thực hiện xin lỗi người dân khi trễ hẹn.",
        ),
    ],
    "H99.10": [
        (
            "announcement",
            "Thông báo tuyển chọn nhiệm vụ khoa học và công nghệ năm 2027",
            "Các tổ chức, cá nhân đăng ký tham gia tuyển chọn gửi hồ sơ trực tuyến trước ngày 31/01/2027.",
        ),
        (
            "news",
            "Hội nghị tổng kết nhiệm vụ khoa học và công nghệ cấp tỉnh năm 2026",
            "Sở Khoa học và Công nghệ tổ chức hội nghị tổng kết 32 nhiệm vụ khoa học và công nghệ cấp tỉnh đã nghiệm thu trong năm.",
        ),
        (
            "news",
            "Sở Khoa học và Công nghệ hướng dẫn đăng ký mã số mã vạch trực tuyến",
            "Doanh nghiệp có thể nộp hồ sơ đăng ký sử dụng mã số mã vạch hoàn toàn trực tuyến.",
        ),
    ],
    "H99.51": [
        (
            "announcement",
            "Thông báo lịch tiếp nhận hồ sơ hộ tịch dịp cuối năm",
            "Bộ phận một cửa phường tiếp nhận hồ sơ hộ tịch cả sáng thứ Bảy trong tháng 12/2026.",
        ),
        (
            "news",
            "Phường Sông Lam ra quân tổng vệ sinh môi trường cuối năm",
            "Hơn 500 người dân và đoàn viên thanh niên tham gia dọn vệ sinh các tuyến phố, khơi thông cống rãnh trước mùa mưa.",
        ),
        (
            "news",
            "Phường Sông Lam tổ chức Ngày hội Đại đoàn kết toàn dân tộc",
            "Các khu phố tổ chức ngày hội với nhiều hoạt động văn hóa, thể thao và trao quà cho hộ khó khăn.",
        ),
    ],
    "H99.16": [
        (
            "announcement",
            "Hướng dẫn đặt lịch hẹn trước khi đến Trung tâm",
            "Người dân có thể đặt lịch hẹn trực tuyến để được ưu tiên phục vụ đúng khung giờ đã chọn.",
        ),
        (
            "news",
            "Trung tâm Phục vụ hành chính công tỉnh đón lượt khách thứ 100.000 trong năm",
            "Tỷ lệ người dân hài lòng khi giải quyết thủ tục tại Trung tâm đạt 98,6%.",
        ),
        (
            "news",
            "Trung tâm bổ sung quầy tiếp nhận hồ sơ đất đai",
            "Từ tháng 12/2026, Trung tâm mở thêm hai quầy tiếp nhận hồ sơ lĩnh vực đất đai vào buổi chiều.",
        ),
    ],
}

FUNCTIONS = (
    "Tham mưu, giúp Ủy ban nhân dân thực hiện chức năng quản lý nhà nước theo ngành, lĩnh vực "
    "được giao; thực hiện các nhiệm vụ, quyền hạn theo quy định của pháp luật."
)
FUNCTIONS_EN = (
    "Advises and assists the People's Committee in state management of the sectors assigned "
    "to it, and exercises the duties and powers provided for by law."
)


def _paragraph(text: str) -> list[dict]:
    return [{"type": "paragraph", "value": f"<p>{text}</p>"}]


def _site_address() -> tuple[str, int]:
    parts = urlsplit(getattr(settings, "TINHSO_SITE_URL", "http://127.0.0.1:8000"))
    return parts.hostname or "127.0.0.1", parts.port or 80


def _user(username: str) -> User | None:
    return User.objects.filter(username=username, is_active=True).first()


def _first_with_role(agency: Agency, role: str) -> User | None:
    grant = (
        RoleGrant.objects.filter(agency=agency, role=role, user__is_active=True)
        .select_related("user")
        .order_by("user__username")
        .first()
    )
    return grant.user if grant else None


def _publish(parent: Page, page: Page, actor: User) -> Page:
    """What an administrator does in the editor: add a page under `parent` and publish it."""
    page.slug = page.slug or vietnamese_slug(page.title)
    parent.add_child(instance=page)
    page.save_revision(user=actor).publish(user=actor)
    return page


def _write_and_submit(index: ArticleIndexPage, editor: User, title: str, summary: str, day):
    """An editor writes an article as a draft and submits it to the portal's workflow."""
    article = ArticlePage(
        title=title,
        slug=vietnamese_slug(title),
        summary=summary,
        date=day,
        body=_paragraph(summary),
        live=False,
    )
    index.add_child(instance=article)
    article.save_revision(user=editor)
    workflow = article.get_workflow()
    assert isinstance(workflow, Workflow)
    workflow.start(article, editor)
    return article


def _approve(article: ArticlePage, leader: User) -> None:
    """The leader approves the article in the workflow, which publishes it."""
    state = article.current_workflow_state
    task_state = state.current_task_state
    task_state.task.specific.on_action(task_state, leader, "approve")


def load(step) -> None:
    if PortalHomePage.objects.exists():
        step.write("đã có")
        return
    admin = _user("admin")
    host, port = _site_address()
    today = timezone.localdate()
    created = articles = documents = 0
    for code, kind, title, slug, prefix, theme, shared in PORTALS:
        agency = Agency.objects.filter(code=code).first()
        if agency is None or admin is None:
            continue
        portal = services.create_portal(
            actor=admin,
            agency=agency,
            kind=kind,
            title=title,
            slug=slug,
            hostname=f"{prefix}.localhost" if prefix else host,
            port=port,
            theme=theme,
            intro=f"Trang thông tin điện tử chính thức của {agency.name}.",
            share_with_main=shared,
        )
        portal.address = f"Số 1, đường Trần Phú, {agency.name}"
        portal.phone = "0238 3 840 000"
        portal.email = f"{slug}@songlam.gov.vn"
        portal.save_revision(user=admin).publish(user=admin)
        created += 1
        editor = _first_with_role(agency, Role.SPECIALIST) or _first_with_role(
            Agency.objects.get(code="H99.01"), Role.SPECIALIST
        )
        leader = _first_with_role(agency, Role.LEADER)
        if editor is not None:
            services.add_editor(actor=admin, portal=portal, user=editor)

        indexes = {}
        for index_kind, index_title in (
            ("news", "Tin tức, sự kiện"),
            ("announcement", "Thông báo"),
            ("directive", "Chỉ đạo, điều hành"),
        ):
            indexes[index_kind] = _publish(
                portal,
                ArticleIndexPage(title=index_title, kind=index_kind, show_in_menus=True),
                admin,
            )
        _publish(
            portal,
            SectionPage(
                title="Chức năng, nhiệm vụ",
                section="functions",
                body=_paragraph(FUNCTIONS),
                show_in_menus=True,
            ),
            admin,
        )
        _publish(
            portal, OrgChartPage(title="Cơ cấu tổ chức, cán bộ đầu mối", show_in_menus=True), admin
        )
        _publish(portal, LegalDocumentsPage(title="Văn bản", show_in_menus=True), admin)
        _publish(portal, ProceduresPage(title="Thủ tục hành chính", show_in_menus=True), admin)
        consultations = _publish(
            portal, ConsultationIndexPage(title="Lấy ý kiến dự thảo", show_in_menus=True), admin
        )
        english = _publish(portal, EnglishHomePage(title="English", show_in_menus=True), admin)
        _publish(
            english,
            SectionPage(
                title="Functions and duties",
                section="functions",
                body=_paragraph(FUNCTIONS_EN),
            ),
            admin,
        )
        _publish(english, OrgChartPage(title="Organisation and contacts"), admin)

        if editor is not None and leader is not None:
            rows = ARTICLES.get(code, [])
            for number, (index_kind, article_title, summary) in enumerate(rows):
                article = _write_and_submit(
                    indexes[index_kind],
                    editor,
                    article_title,
                    summary,
                    today - timedelta(days=number),
                )
                if number < len(rows) - 1 or len(rows) == 1:
                    _approve(article, leader)
                    articles += 1

        if kind == PortalKind.MAIN:
            draft = _publish(
                consultations,
                ConsultationPage(
                    title="Dự thảo Quyết định ban hành Quy chế quản lý cổng thông tin điện tử tỉnh",
                    summary=(
                        "Dự thảo quy định việc cung cấp, cập nhật thông tin trên cổng thông tin "
                        "điện tử của tỉnh và các cổng thành phần theo Nghị định 42/2022/NĐ-CP."
                    ),
                    closes_at=timezone.now() + timedelta(days=20),
                ),
                admin,
            )
            for username, body in (
                ("congdan.an", "Đề nghị quy định rõ thời hạn cập nhật lịch tiếp công dân."),
                (
                    "doanhnghiep.songlam",
                    "Đề nghị công khai thêm kết quả giải quyết thủ tục theo tháng.",
                ),
            ):
                citizen = _user(username)
                if citizen is not None:
                    services.comment_on_draft(actor=citizen, page=draft, body=body)
        documents += _publish_issued_documents(agency, include_subtree=kind == PortalKind.MAIN)
    step.write(f"{created} cổng, {articles} tin bài đã duyệt, {documents} văn bản đã đăng")


def _publish_issued_documents(agency: Agency, *, include_subtree: bool) -> int:
    """The agency's clerks publish its issued, non-secret legal and guidance documents."""
    from tinhso.documents.models import OutgoingDocument

    qs = OutgoingDocument.objects.filter(
        status__in=services.PUBLISHABLE_STATUSES,
        confidentiality="normal",
        doc_type__in=("qd", "kh", "hd", "tb", "ct"),
        portal_entry__isnull=True,
    ).select_related("agency")
    qs = (
        qs.filter(agency__path__startswith=agency.path)
        if include_subtree
        else qs.filter(agency=agency)
    )
    count = 0
    for document in qs:
        clerk = _first_with_role(document.agency, Role.CLERK)
        if clerk is None:
            continue
        services.publish_document(actor=clerk, document=document)
        count += 1
    return count
