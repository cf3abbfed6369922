"""What makes a settings module the EPJ's web process rather than the portal's.

`epj.site.settings` (production, the demo) and `epj.site.test_settings` (the test suite's EPJ
process) apply this to the module they build on, so both processes share everything else (the
stores' URLs, the cache, the broker, the keys' folders) and differ only here:

- **Stores**: the EPJ's and the national services' only. `default`, the portal's store, is
  Django's dummy backend: any query there fails at once, so the EPJ cannot read the portal's
  tables even by mistake (tests/security/test_epj_site.py runs it so).
- **Login**: the EPJ's own HelseID client (`epj.site.helseid`); the staff member is found in the
  EPJ's staff register by the identity number HelseID vouches for, and `request.user` is that
  `epj.models.StaffMember` (`epj.site.middleware`). No allauth, no portal user table.
- **Frame**: the shared error and notice pages extend the EPJ's base template and link to its
  start page (`epj.site.context.frame`); its server error page is its own.
- **Sessions**: in the EPJ's store (`epj.models.StaffSession`), under cookie names of their own,
  so a portal and an EPJ on the same host never overwrite each other's cookies.
- **Pages**: the EPJ's URLconf only (`epj.site.urls`); the portal's context processors and
  middleware are left out.
"""

from pathlib import Path
from typing import Any

# The portal's middleware and context processors the EPJ's process leaves out (they read the
# portal's users, persons and staff memberships). allauth's middleware stays only because its
# installed app insists on it; with none of allauth's URLs here it does nothing.
_PORTAL_MIDDLEWARE = (
    "accounts.",
    "django.contrib.auth.middleware.",
    "helsenorge.epjorigin.",
)
_PORTAL_CONTEXT = ("accounts.", "messaging.dialogs.")


def as_epj_site(settings: dict[str, Any]) -> None:
    """Turn the settings namespace `settings` (a settings module's globals) into the EPJ's."""
    settings["HN_EPJ_SITE"] = True
    settings["ROOT_URLCONF"] = "epj.site.urls"
    settings["WSGI_APPLICATION"] = "epj.site.wsgi.application"
    databases = settings["DATABASES"]
    settings["DATABASES"] = {
        "default": {"ENGINE": "django.db.backends.dummy"},
        "epj": databases["epj"],
        "national": databases["national"],
    }
    middleware = [m for m in settings["MIDDLEWARE"] if not m.startswith(_PORTAL_MIDDLEWARE)]
    # Who is signed in: right after the sessions, before anything that asks.
    sessions = middleware.index("django.contrib.sessions.middleware.SessionMiddleware")
    middleware.insert(sessions + 1, "epj.site.middleware.StaffLoginMiddleware")
    settings["MIDDLEWARE"] = middleware
    templates = [dict(t) for t in settings["TEMPLATES"]]
    for template in templates:
        # The shared error and notice pages wear the EPJ's frame through `epj.site.context.frame`;
        # the server error page, rendered without a context, has its own (epj/site/templates/).
        template["DIRS"] = [Path(__file__).resolve().parent / "templates", *template["DIRS"]]
        options = dict(template["OPTIONS"])
        options["context_processors"] = [
            *(p for p in options["context_processors"] if not p.startswith(_PORTAL_CONTEXT)),
            "epj.site.context.frame",
        ]
        template["OPTIONS"] = options
    settings["TEMPLATES"] = templates
    # The admin is the operators' (the portal's process, /drift/); it is installed here only
    # because the apps are shared, and no URL of the EPJ's leads to it.
    settings["SILENCED_SYSTEM_CHECKS"] = [*settings.get("SILENCED_SYSTEM_CHECKS", []), "admin.E408"]
    settings["SESSION_ENGINE"] = "epj.site.sessions"
    settings["SESSION_COOKIE_NAME"] = "epj_sessionid"
    settings["CSRF_COOKIE_NAME"] = "epj_csrftoken"
    settings["LOGIN_URL"] = "epj_login"
    settings["LOGIN_REDIRECT_URL"] = "desk:home"
