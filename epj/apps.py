from django.apps import AppConfig


class EpjConfig(AppConfig):
    name = "epj"
