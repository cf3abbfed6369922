from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RecordsConfig(AppConfig):
    name = "epj.records"
    label = "epj_records"
    verbose_name = _("Journal og dokumenter (EPJ)")
