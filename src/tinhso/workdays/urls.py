from django.urls import path

from tinhso.workdays import views

app_name = "workdays"
urlpatterns = [
    path("exceptions/", views.exceptions, name="exceptions"),
    path("exceptions/delete/", views.delete_exception, name="delete_exception"),
]
