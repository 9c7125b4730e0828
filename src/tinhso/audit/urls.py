from django.urls import path

import tinhso.core.converters  # noqa: F401  (the <id:…>, <register_format:…> converters)
from tinhso.audit import views

app_name = "audit"
urlpatterns = [
    path("", views.trail, name="trail"),
    path("<id:pk>/", views.entry, name="entry"),
]
