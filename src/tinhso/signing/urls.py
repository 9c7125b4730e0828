from django.urls import path

from tinhso.signing import views

app_name = "signing"
urlpatterns = [
    path("verify/", views.verify, name="verify"),
    path("certificates/", views.certificates, name="certificates"),
    path("certificates/signature.png", views.my_signature_image, name="my_signature_image"),
]
