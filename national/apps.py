from django.apps import AppConfig


class NationalConfig(AppConfig):
    name = "national"
    verbose_name = "Nasjonale tjenester"
    default_auto_field = "django.db.models.BigAutoField"
