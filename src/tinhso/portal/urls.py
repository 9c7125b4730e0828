"""Portal pages outside Wagtail's page tree, mounted under /portal/."""

from django.urls import path

from tinhso.portal import views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("rss/", views.ArticlesFeed(), name="rss"),
    path("tim-kiem/", views.search, name="search"),
    path("van-ban/<uuid:uid>/tep/", views.document_file, name="document_file"),
    path("van-ban/<uuid:uid>/dang/", views.publish_document, name="publish_document"),
    path("van-ban/<uuid:uid>/go/", views.withdraw_document, name="withdraw_document"),
    path("du-thao/<int:page_id>/gop-y/", views.comment, name="comment"),
    path("gop-y/<uuid:uid>/tra-loi/", views.answer, name="answer"),
    path("bien-tap/", views.my_portals, name="my_portals"),
    path("bien-tap/<int:portal_id>/thong-tin-bat-buoc/", views.checklist, name="checklist"),
]
