"""Root URLs. Each app owns its `urls.py` (pages) and `api_urls.py` (REST, /api/v1/)."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from tinhso.core.api import api_not_found
from tinhso.onestop import api_urls as onestop_api_urls

APPS = [
    "directory",
    "accounts",
    "audit",
    "workdays",
    "notify",
    "onestop",
    "documents",
    "signing",
    "exchange",
    "gateway",
    "opendata",
    "feedback",
    "reporting",
    "counter",
    "meetings",
    "security",
    "portal",
]

api_patterns = [path("", include(f"tinhso.{app}.api_urls")) for app in APPS]

urlpatterns = [
    path("api/v1/", include(onestop_api_urls.hot_urlpatterns)),  # the hottest path first
    path("", include("tinhso.web.urls")),
    path("", include("tinhso.opendata.root_urls")),  # CKAN Action API, DCAT catalogue
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_patterns)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    # Any other address under /api/ is a JSON 404 (never the HTML page, never a redirect).
    re_path(r"^api/", api_not_found, name="api-not-found"),
    *[path(f"{app}/", include(f"tinhso.{app}.urls")) for app in APPS],
    # The web portal: Wagtail's editor, its documents, then every other address is a
    # portal page of the site the host name selects (the main portal by default).
    path("cms/", include(wagtailadmin_urls)),
    path("cms-tai-lieu/", include(wagtaildocs_urls)),
    path("", include(wagtail_urls)),
]

# Error pages: HTML for pages, `{"code", "message"}` JSON under /api/.
handler400 = "tinhso.web.views.bad_request"
handler403 = "tinhso.web.views.permission_denied"
handler404 = "tinhso.web.views.page_not_found"
handler500 = "tinhso.web.views.server_error"

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
