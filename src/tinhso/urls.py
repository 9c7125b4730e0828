"""Root URLs. Each app owns its `urls.py` (pages) and `api_urls.py` (REST, /api/v1/)."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

APPS = ["directory", "accounts", "audit", "workdays", "notify", "onestop", "documents", "signing"]

api_patterns = [path("", include(f"tinhso.{app}.api_urls")) for app in APPS]

urlpatterns = [
    path("", include("tinhso.web.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_patterns)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    *[path(f"{app}/", include(f"tinhso.{app}.urls")) for app in APPS],
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
