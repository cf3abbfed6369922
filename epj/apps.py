from django.apps import AppConfig


class EpjConfig(AppConfig):
    name = "epj"

    def ready(self):
        from epj import handlers

        handlers.register()
