from django.apps import AppConfig


class OnestopConfig(AppConfig):
    name = "tinhso.onestop"
    label = "onestop"
