"""Links to a dossier in messages that leave the site (e-mail, SMS).

An applicant with an account goes straight to the dossier's page; a person without one
(a counter dossier) gets the public lookup with the dossier code filled in.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.urls import reverse

from tinhso.core.site import absolute_url


def dossier_url(dossier) -> str:
    if dossier.applicant_id:
        return absolute_url(reverse("onestop:dossier", kwargs={"uid": dossier.uid}))
    return lookup_url(dossier.code or "")


def lookup_url(code: str = "") -> str:
    path = reverse("onestop:lookup")
    return absolute_url(f"{path}?{urlencode({'code': code})}" if code else path)
