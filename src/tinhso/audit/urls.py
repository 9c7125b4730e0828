from django.urls import path

from tinhso.audit import views

app_name = "audit"
urlpatterns = [
    path("", views.trail, name="trail"),
    path("<int:seq>/", views.entry, name="entry"),
]
