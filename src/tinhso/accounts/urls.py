from django.contrib.auth import views as auth_views
from django.urls import path

from tinhso.accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("otp/", views.otp_verify, name="otp_verify"),
    path("otp/enrol/", views.otp_enrol, name="otp_enrol"),
]
