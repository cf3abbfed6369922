from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TimebooksConfig(AppConfig):
    """The clinic's timebooks and slots: the EPJ side of appointments and the only judge of what is booked."""

    name = "epj.timebooks"
    label = "epj_timebooks"
    verbose_name = _("EPJ: timebøker")
