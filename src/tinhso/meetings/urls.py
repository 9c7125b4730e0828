"""Pages of the meetings app, mounted under /meetings/."""

from django.urls import path

from tinhso.meetings import views

app_name = "meetings"
urlpatterns = [
    path("", views.home, name="home"),
    path("new/", views.meeting_new, name="new"),
    path("sw.js", views.service_worker, name="service_worker"),
    path("tasks/", views.tasks, name="tasks"),
    path("tasks/<uuid:uid>/done/", views.task_done, name="task_done"),
    path("to-issue/", views.to_issue, name="to_issue"),
    path("opinions/new/", views.opinion_new, name="opinion_new"),
    path("opinions/<uuid:uid>/", views.opinion, name="opinion"),
    path("opinions/<uuid:uid>/draft.pdf", views.opinion_file, name="opinion_file"),
    path("papers/<uuid:uid>/", views.paper, name="paper"),
    path("papers/<uuid:uid>/file.pdf", views.paper_file, name="paper_file"),
    path("<uuid:uid>/", views.detail, name="detail"),
    path("<uuid:uid>/act/<slug:action>/", views.act, name="act"),
    path("<uuid:uid>/check-in/", views.check_in, name="check_in"),
    path("<uuid:uid>/door/", views.door, name="door"),
    path("<uuid:uid>/door.svg", views.door_qr, name="door_qr"),
    path("<uuid:uid>/screen/", views.screen, name="screen"),
    path("<uuid:uid>/screen/panel/", views.screen_panel, name="screen_panel"),
    path("<uuid:uid>/offline.json", views.offline_manifest, name="offline"),
]
