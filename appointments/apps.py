from django.apps import AppConfig


class AppointmentsConfig(AppConfig):
    name = "appointments"

    def ready(self):
        # The portal's side of Timereservasjon, Avtaleutsending and Avtaleavbestilling.
        from appointments import handlers

        handlers.register()
