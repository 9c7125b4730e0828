"""The province's web portal: a main portal and component portals as Wagtail page trees.

Each portal (main, department, commune, public-administration centre) is a
`PortalHomePage` at the top of its own tree with its own Wagtail `Site` (host name), its
own collection of images and documents and its own editor and approver groups, so that an
editor of one portal cannot touch another's content (Wagtail is not multi-tenant by
default: `services.create_portal` builds the isolation and `tests/portal` proves it).
Content is structured (Circular 22/2023): articles, required sections, legal documents
published from `documents`, drafts open for public comment.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.fields import RichTextField, StreamField
from wagtail.images.blocks import ImageBlock
from wagtail.models import Page, Site
from wagtail.search import index

from tinhso.core.pagination import paginate
from tinhso.core.text import fold
from tinhso.portal.required import SECTION_CHOICES

RICH_TEXT_FEATURES = ["h2", "h3", "bold", "italic", "ol", "ul", "link"]
PAGE_SIZE = 20


def vietnamese_slug(title: str) -> str:
    """ "Đẩy mạnh chuyển đổi số" → "day-manh-chuyen-doi-so" (Wagtail's own drops the đ)."""
    return slugify(fold(title))[:80].strip("-") or "trang"


class PortalKind(models.TextChoices):
    MAIN = "main", _("Cổng chính của tỉnh")
    DEPARTMENT = "department", _("Cổng thành phần sở, ngành")
    COMMUNE = "commune", _("Cổng thành phần xã, phường")
    CENTRE = "centre", _("Trung tâm phục vụ hành chính công")


class Theme(models.TextChoices):
    """Colours within the province's theme, each with AA contrast on white text."""

    RED = "red", _("Đỏ")
    BLUE = "blue", _("Xanh dương")
    GREEN = "green", _("Xanh lá")
    TEAL = "teal", _("Xanh ngọc")


def clean_rich_text(html: str) -> str:
    """Only the allowed features survive, whoever wrote the HTML (editor, API, import):
    no script, no event handler, no javascript: link."""
    from wagtail.admin.rich_text.converters.editor_html import EditorHTMLConverter

    return EditorHTMLConverter(features=RICH_TEXT_FEATURES).to_database_format(html or "")


class SafeRichTextBlock(blocks.RichTextBlock):
    def get_prep_value(self, value) -> str:
        return clean_rich_text(super().get_prep_value(value))


def body_blocks() -> list[tuple[str, blocks.Block]]:
    return [
        ("paragraph", SafeRichTextBlock(features=RICH_TEXT_FEATURES, label=_("Đoạn văn"))),
        ("image", ImageBlock(label=_("Ảnh"))),
        ("quote", blocks.BlockQuoteBlock(label=_("Trích dẫn"))),
    ]


class PortalPage(Page):
    """What every portal page knows: its portal and the language it is written in."""

    class Meta:
        abstract = True

    @cached_property
    def portal(self) -> PortalHomePage | None:
        home = self.get_ancestors(inclusive=True).type(PortalHomePage).last()
        return home.specific if home else None

    @cached_property
    def language(self) -> str:
        in_english = self.get_ancestors(inclusive=True).type(EnglishHomePage).exists()
        return "en" if in_english else "vi"

    def get_context(self, request, *args, **kwargs) -> dict[str, Any]:
        context = super().get_context(request, *args, **kwargs)
        context["portal"] = self.portal
        context["page_language"] = self.language
        return context

    def full_clean(self, *args, **kwargs) -> None:
        # Wagtail's default slug drops "đ"; fold it the way the platform folds Vietnamese.
        if not self.slug and self.title:  # type: ignore[has-type]
            self.slug = vietnamese_slug(self.title)
        super().full_clean(*args, **kwargs)

    def serve(self, request, *args, **kwargs):
        from django.utils import translation

        with translation.override(self.language):
            response = super().serve(request, *args, **kwargs)
            if hasattr(response, "render"):
                response.render()
            return response


class PortalHomePage(PortalPage):
    """The front page of one portal; the top of its tree and its Wagtail Site's root."""

    kind = models.CharField(_("loại cổng"), max_length=12, choices=PortalKind.choices)
    agency = models.ForeignKey(
        "directory.Agency",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("cơ quan chủ quản"),
    )
    theme = models.CharField(_("màu chủ đạo"), max_length=8, choices=Theme.choices, default="red")
    logo = models.ForeignKey(
        "wagtailimages.Image",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("biểu trưng"),
    )
    banner = models.ForeignKey(
        "wagtailimages.Image",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("ảnh đầu trang"),
    )
    intro = models.TextField(_("giới thiệu"), blank=True, max_length=1000)
    share_with_main = models.BooleanField(
        _("đưa tin lên cổng chính"),
        default=False,
        help_text=_("Tin bài của cổng thành phần này được hiển thị trên cổng chính của tỉnh."),
    )
    address = models.CharField(_("địa chỉ"), max_length=255, blank=True)
    phone = models.CharField(_("điện thoại"), max_length=40, blank=True)
    email = models.EmailField(_("thư điện tử"), blank=True)
    collection = models.ForeignKey(
        "wagtailcore.Collection",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )

    parent_page_types = ["wagtailcore.Page"]
    subpage_types = [
        "portal.ArticleIndexPage",
        "portal.SectionPage",
        "portal.LegalDocumentsPage",
        "portal.ProceduresPage",
        "portal.OrgChartPage",
        "portal.ConsultationIndexPage",
        "portal.EnglishHomePage",
    ]
    content_panels = [
        *Page.content_panels,
        FieldPanel("intro"),
        MultiFieldPanel(
            [FieldPanel("logo"), FieldPanel("banner"), FieldPanel("theme")],
            heading=_("Giao diện"),
        ),
        MultiFieldPanel(
            [FieldPanel("address"), FieldPanel("phone"), FieldPanel("email")],
            heading=_("Liên hệ"),
        ),
        FieldPanel("share_with_main"),
    ]

    class Meta:
        verbose_name = _("trang chủ cổng")

    def get_context(self, request, *args, **kwargs) -> dict[str, Any]:
        from tinhso.portal import selectors

        context = super().get_context(request, *args, **kwargs)
        context.update(selectors.front_page(self, Site.find_for_request(request)))
        context["service_links"] = selectors.service_links()
        return context


class EnglishHomePage(PortalPage):
    """The English version of the sections Decree 42 art. 7 requires in English."""

    intro = models.TextField(blank=True, max_length=1000)
    parent_page_types = ["portal.PortalHomePage"]
    subpage_types = ["portal.SectionPage", "portal.OrgChartPage"]
    max_count_per_parent = 1
    content_panels = [*Page.content_panels, FieldPanel("intro")]

    class Meta:
        verbose_name = _("trang tiếng Anh")


class ArticleIndexPage(PortalPage):
    class Kind(models.TextChoices):
        NEWS = "news", _("Tin tức, sự kiện")
        ANNOUNCEMENT = "announcement", _("Thông báo")
        DIRECTIVE = "directive", _("Chỉ đạo, điều hành")

    kind = models.CharField(_("loại tin"), max_length=12, choices=Kind.choices, default="news")
    intro = models.TextField(_("giới thiệu"), blank=True, max_length=1000)
    parent_page_types = ["portal.PortalHomePage"]
    subpage_types = ["portal.ArticlePage"]
    content_panels = [*Page.content_panels, FieldPanel("kind"), FieldPanel("intro")]

    class Meta:
        verbose_name = _("chuyên mục tin")

    def get_context(self, request, *args, **kwargs) -> dict[str, Any]:
        context = super().get_context(request, *args, **kwargs)
        articles = ArticlePage.objects.child_of(self).live().public().order_by("-date", "-id")
        context["page_obj"] = paginate(request, articles, PAGE_SIZE)
        return context


class ArticlePage(PortalPage):
    date = models.DateField(_("ngày đăng"), default=timezone.localdate)
    summary = models.TextField(_("tóm tắt"), max_length=600)
    image = models.ForeignKey(
        "wagtailimages.Image",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("ảnh đại diện"),
    )
    body = StreamField(body_blocks(), blank=True, verbose_name=_("nội dung"))
    author = models.CharField(_("tác giả"), max_length=120, blank=True)

    parent_page_types = ["portal.ArticleIndexPage"]
    subpage_types: list[str] = []
    content_panels = [
        *Page.content_panels,
        FieldPanel("date"),
        FieldPanel("summary"),
        FieldPanel("image"),
        FieldPanel("body"),
        FieldPanel("author"),
    ]
    search_fields = [
        *Page.search_fields,
        index.SearchField("summary"),
        index.SearchField("body"),
        index.FilterField("date"),
    ]

    class Meta:
        verbose_name = _("tin bài")

    @property
    def kind(self) -> str:
        parent = self.get_parent()
        return getattr(parent.specific, "kind", "news") if parent else "news"


class SectionPage(PortalPage):
    """A page of required or other standing information (functions, plans, finance...)."""

    section = models.CharField(
        _("mục thông tin bắt buộc"), max_length=24, choices=SECTION_CHOICES, blank=True
    )
    body = StreamField(body_blocks(), blank=True, verbose_name=_("nội dung"))
    reviewed_on = models.DateField(_("ngày rà soát"), default=timezone.localdate)

    parent_page_types = ["portal.PortalHomePage", "portal.EnglishHomePage", "portal.SectionPage"]
    subpage_types = ["portal.SectionPage"]
    content_panels = [
        *Page.content_panels,
        FieldPanel("section"),
        FieldPanel("reviewed_on"),
        FieldPanel("body"),
    ]
    search_fields = [*Page.search_fields, index.SearchField("body")]

    class Meta:
        verbose_name = _("trang thông tin")


class OrgChartPage(PortalPage):
    """The organisation chart and contact officials, read live from `directory`."""

    intro = models.TextField(blank=True, max_length=1000)
    parent_page_types = ["portal.PortalHomePage", "portal.EnglishHomePage"]
    subpage_types: list[str] = []
    content_panels = [*Page.content_panels, FieldPanel("intro")]

    class Meta:
        verbose_name = _("sơ đồ tổ chức, cán bộ đầu mối")

    def get_context(self, request, *args, **kwargs) -> dict[str, Any]:
        from tinhso.portal import selectors

        context = super().get_context(request, *args, **kwargs)
        portal = self.portal
        if portal is not None:
            context.update(selectors.organisation(portal.agency))
        return context


class LegalDocumentsPage(PortalPage):
    """Legal and administrative documents, as `documents` published them."""

    intro = models.TextField(blank=True, max_length=1000)
    parent_page_types = ["portal.PortalHomePage"]
    subpage_types: list[str] = []
    max_count_per_parent = 1
    content_panels = [*Page.content_panels, FieldPanel("intro")]

    class Meta:
        verbose_name = _("văn bản pháp luật, chỉ đạo điều hành")

    def get_context(self, request, *args, **kwargs) -> dict[str, Any]:
        from tinhso.portal import selectors

        context = super().get_context(request, *args, **kwargs)
        portal = self.portal
        q = (request.GET.get("q") or "")[:200]
        doc_type = (request.GET.get("loai") or "")[:8]
        found = selectors.search_published_documents(
            agency=portal.agency if portal else None,
            include_subtree=bool(portal and portal.kind == PortalKind.MAIN),
            q=q,
            doc_type=doc_type,
        )
        context["q"], context["doc_type"] = q, doc_type
        context["doc_types"] = selectors.published_document_types()
        context["page_obj"] = paginate(request, found, PAGE_SIZE)
        return context


class ProceduresPage(PortalPage):
    """Find a procedure of this agency in the one-stop catalogue and start it there."""

    intro = models.TextField(blank=True, max_length=1000)
    parent_page_types = ["portal.PortalHomePage"]
    subpage_types: list[str] = []
    max_count_per_parent = 1
    content_panels = [*Page.content_panels, FieldPanel("intro")]

    class Meta:
        verbose_name = _("thủ tục hành chính")

    def get_context(self, request, *args, **kwargs) -> dict[str, Any]:
        from tinhso.portal import selectors

        context = super().get_context(request, *args, **kwargs)
        q = (request.GET.get("q") or "")[:200]
        portal = self.portal
        found = selectors.procedures_for(portal, q=q)
        context["q"] = q
        context["page_obj"] = paginate(request, found, PAGE_SIZE)
        return context


class ConsultationIndexPage(PortalPage):
    intro = models.TextField(blank=True, max_length=1000)
    parent_page_types = ["portal.PortalHomePage"]
    subpage_types = ["portal.ConsultationPage"]
    content_panels = [*Page.content_panels, FieldPanel("intro")]

    class Meta:
        verbose_name = _("lấy ý kiến dự thảo")

    def get_context(self, request, *args, **kwargs) -> dict[str, Any]:
        context = super().get_context(request, *args, **kwargs)
        drafts = ConsultationPage.objects.child_of(self).live().public().order_by("-closes_at")
        context["page_obj"] = paginate(request, drafts, PAGE_SIZE)
        return context


class ConsultationPage(PortalPage):
    """A draft document open for public comment until `closes_at` (lấy ý kiến dự thảo)."""

    summary = models.TextField(_("tóm tắt dự thảo"), max_length=2000)
    draft = models.ForeignKey(
        "wagtaildocs.Document",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("tệp dự thảo"),
    )
    closes_at = models.DateTimeField(_("hạn góp ý"))
    result = RichTextField(
        _("tổng hợp, tiếp thu, giải trình"), features=RICH_TEXT_FEATURES, blank=True
    )

    parent_page_types = ["portal.ConsultationIndexPage"]
    subpage_types: list[str] = []
    content_panels = [
        *Page.content_panels,
        FieldPanel("summary"),
        FieldPanel("draft"),
        FieldPanel("closes_at"),
        FieldPanel("result"),
    ]
    search_fields = [*Page.search_fields, index.SearchField("summary")]

    class Meta:
        verbose_name = _("dự thảo lấy ý kiến")

    def save(self, *args, **kwargs):
        self.result = clean_rich_text(self.result) if self.result else ""
        return super().save(*args, **kwargs)

    @property
    def is_open(self) -> bool:
        return timezone.now() < self.closes_at

    def get_context(self, request, *args, **kwargs) -> dict[str, Any]:
        from tinhso.portal import selectors

        context = super().get_context(request, *args, **kwargs)
        context["comments"] = selectors.visible_comments(self)
        return context


class DraftComment(models.Model):
    """A signed-in citizen's or business's comment on a draft, and the agency's answer."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    page = models.ForeignKey(ConsultationPage, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="draft_comments"
    )
    author_name = models.CharField(max_length=200)
    body = models.TextField(max_length=4000)
    created_at = models.DateTimeField(default=timezone.now)
    hidden = models.BooleanField(default=False)
    answer = models.TextField(blank=True, max_length=4000)
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.author_name}: {self.body[:60]}"


class PublishedDocument(models.Model):
    """An issued outgoing document published on the portal, until it is withdrawn.

    The metadata is copied when `documents` publishes it (so the public list never reads
    the working tables) and the file is the issued one, served as stored.
    """

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    document = models.OneToOneField(
        "documents.OutgoingDocument", on_delete=models.PROTECT, related_name="portal_entry"
    )
    agency = models.ForeignKey("directory.Agency", on_delete=models.PROTECT, related_name="+")
    issuer_name = models.CharField(max_length=255)
    doc_type = models.CharField(max_length=8)
    doc_type_label = models.CharField(max_length=80)
    number_notation = models.CharField(max_length=60)
    subject = models.TextField()
    search_text = models.TextField(editable=False, default="")
    issued_on = models.DateField()
    effective_on = models.DateField(null=True, blank=True)
    published_at = models.DateTimeField(default=timezone.now)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-issued_on", "-id"]
        indexes = [models.Index(fields=["agency", "-issued_on"], name="portal_doc_agency_issued")]

    def __str__(self) -> str:
        return f"{self.number_notation} — {self.subject[:60]}"

    def save(self, *args, **kwargs) -> None:
        self.search_text = fold(f"{self.number_notation} {self.subject} {self.issuer_name}")
        super().save(*args, **kwargs)
