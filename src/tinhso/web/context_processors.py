from django.conf import settings

from tinhso.web.navigation import sections_for


def navigation(request):
    sections = sections_for(getattr(request, "user", None), request.path)
    return {
        "nav_sections": sections,
        "nav_coming": [section for section in sections if not section["url"]],
        "province_name": settings.TINHSO_PROVINCE_NAME,
    }
