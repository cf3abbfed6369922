from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SubmissionsConfig(AppConfig):
    """One-time submission keys: a double submit or a retry returns the first result."""

    name = "submissions"
    verbose_name = _("Innsendinger")
    default_auto_field = "django.db.models.BigAutoField"
