from allauth.account import views as allauth_views
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.urls import include, path, register_converter
from django.utils.translation import gettext_lazy as _

from accounts import notification_views
from accounts import views as account_views
from accounts.oidc import views as oidc_views
from helsenorge.breakglass import break_glass
from helsenorge.converters import IdConverter
from helsenorge.views import health

# The admin logs in through allauth, so its rate limits and MFA apply there too.
admin.site.login = login_required(admin.site.login)  # type: ignore[method-assign]  # wrapped, not replaced
admin.site.site_header = _("Helsenorge-portal – drift")
admin.site.index_template = "admin/drift_index.html"  # links the break-glass page

# Before the includes below: every app's URLconf names ids `<id:…>` (see helsenorge.converters).
register_converter(IdConverter, "id")

# allauth's routes, only those still used: no sign-up, no password reset, no e-mail management.
# Citizens and health personnel log in through ID-porten and HelseID (oidc/<provider>/login/);
# the password form and TOTP are for operators.
login_urlpatterns = [
    path("login/", allauth_views.login, name="account_login"),
    path("logout/", allauth_views.logout, name="account_logout"),
    path("inactive/", allauth_views.account_inactive, name="account_inactive"),
    path("reauthenticate/", allauth_views.reauthenticate, name="account_reauthenticate"),
    path("password/change/", account_views.password_change, name="account_change_password"),
    path("2fa/", include("allauth.mfa.urls")),
    path("oidc/<slug:provider_id>/login/", oidc_views.login, name="openid_connect_login"),
    path("oidc/<slug:provider_id>/login/callback/", oidc_views.callback, name="openid_connect_callback"),
]

urlpatterns = [
    path("", account_views.home, name="home"),
    path("helse/", health, name="health"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("konto/", include(login_urlpatterns)),
    path("konto/", include("accounts.urls")),
    path("helsekontakter/", include("clinics.urls")),
    path("varslinger/", notification_views.notification_preferences, name="notification_preferences"),
    path("varsler/", notification_views.notice_list, name="notices"),
    path("varsler/<id:event_id>/", notification_views.notice_open, name="notice_open"),
    path("verktoy/", include("tools.urls")),
    path("meldinger/", include("messaging.dialogs.urls")),
    path("journal/", include("journal.urls")),
    path("timer/", include("appointments.urls")),
    # The EPJ's pages (its own process serves them; this one too only with HN_EPJ_IN_PORTAL).
    path("", include("epj.site.pages")),
    # Before the admin's own patterns; admin_view gives it the admin's login (allauth, with TOTP).
    path("drift/nodtilgang/", admin.site.admin_view(break_glass), name="break_glass"),
    path("drift/", admin.site.urls),
]

if settings.HN_TEST_IDP:
    # The local stand-in for ID-porten and HelseID (testidp/, docs/identity.md); never in production.
    urlpatterns.append(path("testid/", include("testidp.urls")))
