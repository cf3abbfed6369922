"""Idle expiry of both web processes' sessions (the portal's and the EPJ's own, epj/site/)."""

import time


class SessionSlidingExpiryMiddleware:
    """Idle expiry (SESSION_COOKIE_AGE after the last request) without a session write on every page.

    Instead of SESSION_SAVE_EVERY_REQUEST (BEGIN/UPDATE/COMMIT on each page), the session is saved
    again, and so its expiry pushed on, only when it was last saved more than REFRESH_SECONDS ago.
    A session therefore ends between SESSION_COOKIE_AGE - REFRESH_SECONDS and SESSION_COOKIE_AGE
    after its last request: never later than the idle limit. Must come after SessionMiddleware.
    """

    REFRESH_SECONDS = 60
    SESSION_KEY = "hn.session_saved_at"  # epoch seconds of the last save

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is None or not session.accessed or session.is_empty():
            return response
        now = int(time.time())
        if session.modified or now - session.get(self.SESSION_KEY, 0) >= self.REFRESH_SECONDS:
            session[self.SESSION_KEY] = now  # marks it modified: SessionMiddleware saves it with a new expiry
        return response
