"""REST endpoints of the security app, mounted under /api/v1/."""

from django.urls import path

from tinhso.security import api

urlpatterns = [
    path("security/intake/wazuh", api.WazuhIntakeView.as_view(), name="security-api-intake"),
    path("security/alerts", api.AlertListView.as_view(), name="security-api-alerts"),
    path("security/incidents", api.IncidentListView.as_view(), name="security-api-incidents"),
    path(
        "security/incidents/<uuid:uid>",
        api.IncidentDetailView.as_view(),
        name="security-api-incident",
    ),
    path("security/systems", api.SystemListView.as_view(), name="security-api-systems"),
    path(
        "security/level-suggestion",
        api.LevelSuggestionView.as_view(),
        name="security-api-level-suggestion",
    ),
]
