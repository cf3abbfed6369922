import logging

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

log = logging.getLogger(__name__)


class DialogsConfig(AppConfig):
    name = "messaging.dialogs"
    label = "dialogs"
    verbose_name = _("Dialoger med helsekontakter")
