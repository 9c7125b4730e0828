"""Pages of the counter app, mounted under /counter/."""

from django.urls import path

from tinhso.counter import views

app_name = "counter"
urlpatterns = [
    path("", views.home, name="home"),
    path("quay/", views.desks, name="desks"),
    path("quay/<uuid:uid>/", views.desk, name="desk"),
    path("anh-cua-toi/", views.photo, name="photo"),
    path("danh-gia/<str:key>/", views.tablet, name="tablet"),
    path("danh-gia/<str:key>/anh/", views.officer_photo, name="officer_photo"),
    path("so/<uuid:uid>/", views.ticket, name="ticket"),
    path("so/<uuid:uid>/in/", views.ticket_print, name="ticket_print"),
    path("lich-hen/huy/", views.cancel, name="cancel"),
    path("<slug:centre>/ki-ot/", views.kiosk, name="kiosk"),
    path("<slug:centre>/man-hinh/", views.screen, name="screen"),
    path("<slug:centre>/man-hinh/bang/", views.screen_board, name="screen_board"),
    path("<slug:centre>/dat-lich/", views.book, name="book"),
    path("<slug:centre>/giam-sat/", views.supervise, name="supervise"),
    path("<slug:centre>/giam-sat/xlsx/", views.export, name="export"),
]
