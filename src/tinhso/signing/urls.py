from django.urls import path

from tinhso.signing import views

app_name = "signing"
urlpatterns = [
    path("verify/", views.verify, name="verify"),
    path("trust/", views.trust_list, name="trust"),
    path("ca/<str:fingerprint>.pem", views.ca_certificate, name="ca_certificate"),
    path("ca/<str:fingerprint>.crl", views.ca_crl, name="ca_crl"),
    path("certificates/", views.certificates, name="certificates"),
    path("certificates/signature.png", views.my_signature_image, name="my_signature_image"),
]
