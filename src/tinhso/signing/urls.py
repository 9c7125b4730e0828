from django.urls import path

from tinhso.signing import views

app_name = "signing"
urlpatterns = [
    path("verify/", views.verify, name="verify"),
]
