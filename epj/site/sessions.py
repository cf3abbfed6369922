"""Sessions of the EPJ's web process, in the EPJ's own store (Django's database engine on the
EPJ's session table; `helsenorge.routers` routes the `epj` app's models there)."""

from django.contrib.sessions.backends.db import SessionStore as DBStore


class SessionStore(DBStore):
    @classmethod
    def get_model_class(cls):
        from epj.models import StaffSession

        return StaffSession
