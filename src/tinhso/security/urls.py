"""Pages of the security app, mounted under /security/."""

from django.urls import path

from tinhso.security import views

app_name = "security"
urlpatterns = [
    path("", views.home, name="home"),
    path("canh-bao/", views.alerts, name="alerts"),
    path("canh-bao/<uuid:uid>/", views.alert_detail, name="alert"),
    path("su-kien/", views.events, name="events"),
    path("su-kien/<int:pk>/", views.event_detail, name="event"),
    path("su-co/", views.incidents, name="incidents"),
    path("su-co/<str:code>/", views.incident_detail, name="incident"),
    path("bang-chung/<uuid:uid>/", views.evidence_file, name="evidence"),
    path("he-thong/", views.systems, name="systems"),
    path("he-thong/them/", views.system_edit, name="system_new"),
    path("he-thong/<uuid:uid>/", views.system_detail, name="system"),
    path("he-thong/<uuid:uid>/sua/", views.system_edit, name="system_edit"),
    path("ho-so/<uuid:uid>/", views.document, name="document"),
    path("bao-cao/", views.reports, name="reports"),
    path("bao-cao/<uuid:uid>/", views.national_report, name="national_report"),
    path("cau-hinh/", views.config, name="config"),
    path("cau-hinh/quy-tac/<slug:code>/", views.toggle_rule, name="toggle_rule"),
]
