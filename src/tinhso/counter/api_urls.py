"""REST endpoints of the counter app, mounted under /api/v1/."""

from django.urls import path

from tinhso.counter import api

urlpatterns = [
    path("counter/centres/<slug:code>/board/", api.Board.as_view(), name="counter-board"),
    path("counter/centres/<slug:code>/tickets/", api.TakeTicket.as_view(), name="counter-take"),
    path("counter/tickets/<uuid:uid>/", api.TicketStatus.as_view(), name="counter-ticket"),
    path("counter/desks/<uuid:uid>/call-next/", api.CallNext.as_view(), name="counter-call-next"),
    *[
        path(
            f"counter/desks/<uuid:uid>/{action}/",
            api.DeskAction.as_view(),
            {"action": action},
            name=f"counter-{action}",
        )
        for action in api.DESK_ACTIONS
    ],
]
