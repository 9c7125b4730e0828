from django.urls import path

import tinhso.core.converters  # noqa: F401  (the <id:…>, <register_format:…> converters)
from tinhso.directory import views

app_name = "directory"
urlpatterns = [
    path("", views.tree, name="tree"),
    path("tree/<str:code>/children/", views.tree_children, name="tree_children"),
    path("search/", views.search, name="search"),
    path("agencies/<str:code>/", views.agency, name="agency"),
    path("agencies/<str:code>/edit/", views.agency_edit, name="agency_edit"),
    path("agencies/<str:code>/reorganise/", views.reorganise, name="reorganise"),
    path("agencies/<str:code>/org-units/new/", views.org_unit_create, name="org_unit_create"),
    path("agencies/<str:code>/people/new/", views.appoint, name="appoint"),
    path("agencies/<str:code>/people/<id:pk>/end/", views.end_post, name="end_post"),
    path("admin/", views.admin, name="admin"),
    path("people/", views.people, name="people"),
    path("people/<uuid:uid>/", views.person, name="person"),
    path("import/", views.import_view, name="import"),
    path("export.csv", views.export_view, name="export"),
]
