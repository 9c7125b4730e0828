from django.urls import path

from tinhso.notify import views

app_name = "notify"
urlpatterns = [path("", views.mine, name="mine")]
