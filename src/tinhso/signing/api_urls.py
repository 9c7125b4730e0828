"""REST endpoints of signing, mounted under /api/v1/."""

from django.urls import path

from tinhso.signing import api

urlpatterns = [
    path("signing/verify", api.VerifyView.as_view(), name="signing-api-verify"),
    path(
        "signing/remote/prepare",
        api.RemotePrepareView.as_view(),
        name="signing-api-remote-prepare",
    ),
    path(
        "signing/remote/<uuid:session_id>/complete",
        api.RemoteCompleteView.as_view(),
        name="signing-api-remote-complete",
    ),
    path(
        "signing/certificates/mine",
        api.MyCertificatesView.as_view(),
        name="signing-api-my-certificates",
    ),
]
