"""The request's user from memory: what every signed-in page reads before it does anything.

Django loads the user on every request. `user_from_memory` keeps that user per session in the
cache while the user's and the register's versions (helsenorge.pagecache) stay current. Anything
that could change it — the user row (a password, a deactivation, the last login), its person —
replaces a version, and the next request loads it afresh the way Django does, the session check
included. On the portal's pages the user comes with the portal's staff memberships loaded (its
header and clinic pages read them); on the EPJ's pages, which this web process also serves
(`settings.HN_EPJ_PATH_PREFIXES`), without: their staff are the EPJ's own (`epj.staff`), so
those requests read nothing of the portal's but the login. Each kind is kept under its own key.
"""

from django.conf import settings
from django.contrib import auth
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from accounts.middleware import staff_memberships_load
from helsenorge.pagecache import ENTRY_SECONDS, REGISTER, current_versions, memory, user_version


def _frame_key(session_key: str, *, epj: bool) -> str:
    return f"hn:frame:{'epj:' if epj else ''}{session_key}"


def _epj_page(request: HttpRequest) -> bool:
    return request.path.startswith(settings.HN_EPJ_PATH_PREFIXES)


def user_from_memory(request: HttpRequest):
    """The session's user as `django.contrib.auth.get_user` would load it, from the cache when current."""
    session = request.session
    user_id = session.get(auth.SESSION_KEY)
    if not session.session_key or user_id is None:
        return auth.get_user(request)
    epj = _epj_page(request)
    key, depends_on = _frame_key(session.session_key, epj=epj), [user_version(user_id), REGISTER]
    found = memory().get_many([key, *depends_on])
    entry = found.pop(key, None)
    versions = current_versions(depends_on, found)
    # The entry is this session's own, so it was checked against the session's hash when it was
    # stored; a new password replaces the user's version, so it is never used after one.
    if entry is not None and entry[0] == (versions, user_id, session.get(auth.BACKEND_SESSION_KEY)):
        return entry[1]
    user = auth.get_user(request)
    if user.is_authenticated:
        if not epj:
            staff_memberships_load(user)
        memory().set(key, ((versions, user_id, session.get(auth.BACKEND_SESSION_KEY)), user), ENTRY_SECONDS)
    return user


class AuthenticationFromMemoryMiddleware(AuthenticationMiddleware):
    """Django's AuthenticationMiddleware with `request.user` from `user_from_memory`."""

    def process_request(self, request):
        super().process_request(request)
        request.user = SimpleLazyObject(lambda: user_from_memory(request))
