from django.apps import AppConfig


class TestIdConfig(AppConfig):
    name = "testidp"
    verbose_name = "TestID (lokal ID-porten/HelseID)"
    default_auto_field = "django.db.models.BigAutoField"
