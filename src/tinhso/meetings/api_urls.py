"""REST endpoints of the meetings app, mounted under /api/v1/."""

from django.urls import path

from tinhso.meetings import api

urlpatterns = [
    path("meetings/", api.MeetingListView.as_view(), name="meetings-list"),
    path("meetings/<uuid:uid>/", api.MeetingDetailView.as_view(), name="meetings-detail"),
    path("meetings/votes/<uuid:uid>/", api.VoteView.as_view(), name="meetings-vote"),
    path("meetings/votes/<uuid:uid>/ballot/", api.BallotView.as_view(), name="meetings-ballot"),
    path("meetings/votes/<uuid:uid>/open/", api.OpenVoteView.as_view(), name="meetings-vote-open"),
    path(
        "meetings/votes/<uuid:uid>/close/", api.CloseVoteView.as_view(), name="meetings-vote-close"
    ),
]
