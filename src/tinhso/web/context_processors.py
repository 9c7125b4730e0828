from django.conf import settings

from tinhso.web.navigation import sections_for


def navigation(request):
    return {
        "nav_sections": sections_for(getattr(request, "user", None), request.path),
        "province_name": settings.TINHSO_PROVINCE_NAME,
    }
