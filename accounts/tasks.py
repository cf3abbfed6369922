from importlib import import_module

from celery import shared_task
from django.conf import settings


@shared_task(name="accounts.sessions_clear", ignore_result=True)
def sessions_clear():
    """Delete the portal's expired sessions from its store (Django's `clearsessions`)."""
    import_module(settings.SESSION_ENGINE).SessionStore.clear_expired()
