from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DeskConfig(AppConfig):
    name = "epj.desk"
    label = "epj_desk"
    verbose_name = _("Ekspedisjonen (EPJ)")
