from celery import shared_task

from epj.site.sessions import SessionStore


@shared_task(name="epj.sessions_clear", ignore_result=True)
def sessions_clear():
    """Delete the EPJ's expired sessions from its store (Django's `clearsessions`, for its engine)."""
    SessionStore.clear_expired()
