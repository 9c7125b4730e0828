from django.apps import AppConfig


class WorkdaysConfig(AppConfig):
    name = "tinhso.workdays"
    label = "workdays"
