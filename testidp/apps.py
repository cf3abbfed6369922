from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TestIdConfig(AppConfig):
    name = "testidp"
    verbose_name = _("TestID (lokal ID-porten/HelseID)")
    default_auto_field = "django.db.models.BigAutoField"
