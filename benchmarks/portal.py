"""The web portal at a province's size, on PostgreSQL.

    .venv/bin/python benchmarks/portal.py                                   # 30,000 / 50 / 3 M
    .venv/bin/python benchmarks/portal.py --articles 5000 --sites 10 --revisions 300000

Builds a database `bench_portal`: `--sites` portals made by `services.create_portal` (the
main one and component portals, each with its Site, collection, groups and workflow),
`--articles` live articles spread over them (bulk-inserted page rows: Wagtail's per-page
`add_child` would take an hour at this size), the search index for them, and a revision
table of `--revisions` rows (the size at which Wagtail users report slow pages). Then,
in-process through Django's test client (so the figures are the application's, not a
network's): the main home page, a component home page and an article page, each cold
(first request after the process cleared its caches) and warm; site search; publishing a
new page through its revision. Goals (issue 14): warm p95 < 50 ms, search p95 < 100 ms,
publish < 200 ms.

Prints one JSON line per figure group.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from onestop_lifecycle import (  # noqa: E402
    PG_ADMIN_URL,
    emit,
    pg_admin,
    setup_django,
    use_plain_static_files,
)

NAME = "bench_portal"
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
WORDS = [
    "chuyển",
    "đổi",
    "số",
    "dịch",
    "vụ",
    "công",
    "trực",
    "tuyến",
    "hội",
    "nghị",
    "triển",
    "khai",
    "kế",
    "hoạch",
    "năm",
    "phường",
    "xã",
    "sở",
    "ngành",
    "người",
    "dân",
    "doanh",
    "nghiệp",
    "thủ",
    "tục",
    "hành",
    "chính",
    "cải",
    "cách",
    "đầu",
    "tư",
    "y",
    "tế",
    "giáo",
    "dục",
    "giao",
    "thông",
    "môi",
    "trường",
    "nông",
    "nghiệp",
    "du",
    "lịch",
    "văn",
    "hóa",
    "an",
    "ninh",
    "quốc",
    "phòng",
]


def _step(n: int) -> str:
    """Treebeard's 4-character path step for the n-th child (1-based)."""
    out = ""
    for _ in range(4):
        n, r = divmod(n, 36)
        out = ALPHABET[r] + out
    return out


def _p95(samples: list[float]) -> float:
    return round(statistics.quantiles(samples, n=20)[18], 2) if len(samples) >= 20 else max(samples)


def build(*, sites: int, articles: int, revisions: int) -> None:
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection, transaction
    from django.utils import timezone
    from wagtail.models import Page

    from tinhso.accounts import services as accounts
    from tinhso.accounts.models import Role
    from tinhso.directory.models import Agency
    from tinhso.portal import services
    from tinhso.portal.models import ArticleIndexPage, ArticlePage, PortalKind

    started = time.perf_counter()
    province = Agency.objects.create(
        code="H99", name="Ủy ban nhân dân tỉnh Sông Lam", kind="province"
    )
    admin = accounts.create_official(username="quantri", full_name="Quản trị", email="q@x.vn")
    accounts.grant_role(user=admin, agency=province, role=Role.PLATFORM_ADMIN)
    indexes = []
    for n in range(sites):
        agency = (
            province
            if n == 0
            else Agency.objects.create(
                code=f"H99.{n:02d}", name=f"Sở thứ {n}", kind="department", parent=province
            )
        )
        home = services.create_portal(
            actor=admin,
            agency=agency,
            kind=PortalKind.MAIN if n == 0 else PortalKind.DEPARTMENT,
            title="Cổng thông tin điện tử tỉnh" if n == 0 else f"Cổng thành phần {n}",
            slug=f"cong-{n}",
            hostname="localhost" if n == 0 else f"site{n}.localhost",
            share_with_main=n % 2 == 1,
        )
        index = ArticleIndexPage(title="Tin tức", slug="tin-tuc", kind="news")
        home.add_child(instance=index)
        index.save_revision(user=admin).publish(user=admin)
        indexes.append(index)
    content_type = ContentType.objects.get_for_model(ArticlePage)
    now = timezone.now()
    per_site = articles // sites
    with transaction.atomic():
        for site_number, index in enumerate(indexes):
            rows = []
            for i in range(1, per_site + 1):
                words = " ".join(
                    WORDS[(i * 7 + k * 3 + site_number) % len(WORDS)] for k in range(8)
                )
                title = f"Tin {site_number}-{i}: {words}"
                slug = f"tin-{i}"
                rows.append(
                    Page(
                        title=title,
                        draft_title=title,
                        slug=slug,
                        content_type=content_type,
                        path=index.path + _step(i),
                        depth=index.depth + 1,
                        numchild=0,
                        url_path=f"{index.url_path}{slug}/",
                        live=True,
                        has_unpublished_changes=False,
                        first_published_at=now,
                        last_published_at=now,
                        live_revision=None,
                        locale_id=index.locale_id,
                        translation_key=__import__("uuid").uuid4(),
                    )
                )
            created = Page.objects.bulk_create(rows, batch_size=2000)
            Page.objects.filter(pk=index.pk).update(numchild=per_site)
            with connection.cursor() as cursor:
                cursor.executemany(
                    "INSERT INTO portal_articlepage (page_ptr_id, date, summary, body, author, image_id)"
                    " VALUES (%s, %s, %s, %s, '', NULL)",
                    [
                        (
                            page.pk,
                            now.date(),
                            page.title,
                            '[{"type": "paragraph", "value": "<p>'
                            + page.title
                            + '</p>", "id": "x"}]',
                        )
                        for page in created
                    ],
                )
    emit(
        step="pages_loaded",
        sites=sites,
        articles=per_site * sites,
        seconds=round(time.perf_counter() - started, 1),
    )
    started = time.perf_counter()
    from wagtail.search.backends import get_search_backend

    backend = get_search_backend()
    ids = list(ArticlePage.objects.values_list("pk", flat=True))
    for start in range(0, len(ids), 2000):
        backend.add_bulk(
            ArticlePage, list(ArticlePage.objects.filter(pk__in=ids[start : start + 2000]))
        )
    emit(step="search_indexed", seconds=round(time.perf_counter() - started, 1))
    started = time.perf_counter()
    page_ct = ContentType.objects.get_for_model(Page)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO wagtailcore_revision
                (content_type_id, base_content_type_id, object_id, created_at, user_id,
                 content, approved_go_live_at, object_str)
            SELECT %s, %s, (%s + (g %% %s))::text, now() - (g || ' minutes')::interval, NULL,
                   '{"title": "bản nháp"}'::jsonb, NULL, 'bản nháp'
            FROM generate_series(1, %s) AS g
            """,
            [content_type.pk, page_ct.pk, ids[0], len(ids), revisions],
        )
        cursor.execute("ANALYZE")
    emit(
        step="revisions_loaded",
        revisions=revisions,
        seconds=round(time.perf_counter() - started, 1),
    )


def _timed(client, path: str, n: int, host: str = "localhost") -> list[float]:
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        response = client.get(path, HTTP_HOST=host, secure=True)
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    return samples


def measure(requests: int) -> None:
    from django.core.cache import cache
    from django.test import Client
    from django.utils import timezone
    from wagtail.models import Page

    from tinhso.accounts.models import User
    from tinhso.portal.models import ArticleIndexPage, ArticlePage

    use_plain_static_files()
    client = Client()
    article = ArticlePage.objects.live().order_by("-pk").first()
    article_path = article.url_path.split("/", 2)[2]
    for name, path, host in (
        ("main_home", "/", "localhost"),
        ("component_home", "/", "site1.localhost"),
        ("article", "/" + article_path, "localhost"),
    ):
        cache.clear()
        cold = _timed(client, path, 1, host)[0]
        warm = _timed(client, path, requests, host)
        emit(
            page=name,
            cold_ms=round(cold, 1),
            warm_p50_ms=round(statistics.median(warm), 2),
            warm_p95_ms=_p95(warm),
            requests_per_s=round(1000 / statistics.mean(warm), 1),
        )
    queries = ["chuyển đổi số", "dich vu cong", "hội nghị triển khai", "giao thông môi trường"]
    search = []
    for i in range(requests):
        search += _timed(client, f"/portal/tim-kiem/?q={queries[i % len(queries)]}", 1)
    emit(search_p50_ms=round(statistics.median(search), 2), search_p95_ms=_p95(search))
    admin = User.objects.get(username="quantri")
    index = ArticleIndexPage.objects.first()
    publish = []
    for i in range(20):
        page = ArticlePage(
            title=f"Bài mới {i}",
            slug=f"bai-moi-{int(timezone.now().timestamp())}-{i}",
            summary="Tóm tắt",
        )
        index.add_child(instance=page)
        revision = page.save_revision(user=admin)
        started = time.perf_counter()
        revision.publish(user=admin)
        publish.append((time.perf_counter() - started) * 1000)
    emit(
        publish_p50_ms=round(statistics.median(publish), 1),
        publish_p95_ms=_p95(publish),
        revisions_total=__import__(
            "wagtail.models", fromlist=["Revision"]
        ).Revision.objects.count(),
        pages_total=Page.objects.count(),
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sites", type=int, default=50)
    parser.add_argument("--articles", type=int, default=30_000)
    parser.add_argument("--revisions", type=int, default=3_000_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument(
        "--reuse", action="store_true", help="measure the database an earlier run built"
    )
    args = parser.parse_args()
    if not args.reuse:
        pg_admin(f"DROP DATABASE IF EXISTS {NAME} WITH (FORCE)")
        pg_admin(f"CREATE DATABASE {NAME}")
    setup_django(PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{NAME}")
    from django.core.management import call_command

    if not args.reuse:
        call_command("migrate", verbosity=0, interactive=False)
        build(sites=args.sites, articles=args.articles, revisions=args.revisions)
    measure(args.requests)


if __name__ == "__main__":
    main()
