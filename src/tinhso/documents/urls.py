from django.urls import path

import tinhso.core.converters  # noqa: F401  (the <id:…>, <register_format:…> converters)
from tinhso.documents import views

app_name = "documents"
urlpatterns = [
    path("", views.home, name="home"),
    path("incoming/new/", views.incoming_new, name="incoming_new"),
    path("incoming/<uuid:uid>/", views.incoming_detail, name="incoming"),
    path("incoming/<uuid:uid>/accept/", views.incoming_accept, name="incoming_accept"),
    path("incoming/<uuid:uid>/assign/", views.incoming_assign, name="incoming_assign"),
    path(
        "assignments/<id:pk>/<slug:action>/",
        views.assignment_action,
        name="assignment_action",
    ),
    path("outgoing/new/", views.outgoing_new, name="outgoing_new"),
    path("outgoing/<uuid:uid>/", views.outgoing_detail, name="outgoing"),
    path("outgoing/<uuid:uid>/<slug:action>/", views.outgoing_action, name="outgoing_action"),
    path("files/<id:pk>/", views.file_download, name="file"),
    path("search/", views.search, name="search"),
    path("registers/", views.registers, name="registers"),
    path("registers/<id:pk>/", views.register_detail, name="register"),
    path("registers/<id:pk>.<register_format:fmt>", views.register_export, name="register_export"),
    path("statistics/", views.statistics, name="statistics"),
    path("work-records/", views.work_records, name="work_records"),
    path("work-records/<uuid:uid>/", views.work_record_detail, name="work_record"),
    path(
        "<str:kind>/<uuid:uid>/file-into-record/",
        views.file_into_record,
        name="file_into_record",
    ),
]
