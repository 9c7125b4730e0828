from django.urls import path

from tinhso.audit import views

app_name = "audit"
urlpatterns = [
    path("", views.trail, name="trail"),
    path("<int:pk>/", views.entry, name="entry"),
]
