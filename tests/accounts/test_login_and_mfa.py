"""Logging in through allauth: TOTP required for staff, failed-login lockout, the admin behind allauth."""

import pytest
from allauth.core.internal.ratelimit import parse_rates
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value, yield_hotp_counters_from_time
from django.conf import settings
from django.core.cache import cache, caches
from django.urls import reverse

from clinics.models import StaffRole
from tests import factories as f
from tests.conftest import TOTP_SECRET, login_as

pytestmark = pytest.mark.django_db
LOGIN = "/konto/login/"


def totp_now(secret=TOTP_SECRET):
    return format_hotp_value(hotp_value(secret, next(iter(yield_hotp_counters_from_time()))))


def logged_in_as(client):
    return client.session.get("_auth_user_id")


def post_login(client, email, password=f.PASSWORD):
    return client.post(LOGIN, {"login": email, "password": password})


# --- staff must set up TOTP before anything else ----------------------------------------------


def _staff_without_totp(cast):
    return f.StaffFactory(email="ny.ansatt@test.local", membership=(cast.gp_org, StaffRole.RECEPTION))


@pytest.mark.parametrize("path", ["/", "/helsekontakter/", "/drift/"])
@pytest.mark.parametrize("who", ["staff member", "catalogue reviewer", "operator"])
def test_staff_without_totp_is_sent_to_totp_setup_from_any_page(client, cast, path, who):
    if who == "staff member":
        user = _staff_without_totp(cast)
    elif who == "catalogue reviewer":
        user = f.UserFactory(is_catalogue_reviewer=True)
    else:
        user = f.UserFactory(is_staff=True, is_superuser=True)
    # A real login: with no TOTP yet there is no code to ask for, so the password lets them in …
    assert post_login(client, user.email).status_code == 302
    assert logged_in_as(client) == str(user.pk)
    # … but every portal page sends them to the TOTP setup.
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")
    # The way to the setup page is open (allauth asks for the password again first; no redirect loop).
    final = client.get(reverse("mfa_activate_totp"), follow=True)
    assert final.status_code == 200
    assert final.redirect_chain[-1][0].startswith(reverse("account_reauthenticate"))


def test_staff_who_set_up_totp_can_then_use_the_portal(client, cast):
    """The whole path the middleware sends them down: password again, scan the secret, give a code."""
    user = _staff_without_totp(cast)
    post_login(client, user.email)
    assert client.get("/").status_code == 302
    response = client.post(
        reverse("account_reauthenticate") + "?next=" + reverse("mfa_activate_totp"), {"password": f.PASSWORD}
    )
    assert response.status_code == 302
    page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 200
    secret = page.context["form"].secret
    response = client.post(reverse("mfa_activate_totp"), {"code": totp_now(secret)})
    assert response.status_code == 302
    assert Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
    assert client.get("/").status_code == 200


def test_citizen_without_totp_uses_the_portal(client, cast):
    assert not Authenticator.objects.filter(user=cast.nora).exists()
    login_as(client, cast.nora)
    assert client.get("/").status_code == 200
    assert client.get("/helsekontakter/").status_code == 200


def test_staff_with_totp_is_not_redirected(client, cast):
    login_as(client, cast.kari)
    assert client.get("/").status_code == 200


def test_citizen_may_set_up_totp_and_is_then_asked_for_it(client, cast):
    """MFA is available to citizens: once activated, their login asks for the code too."""
    from allauth.mfa.totp.internal.auth import TOTP

    TOTP.activate(cast.nora, TOTP_SECRET)
    response = post_login(client, "nora@test.local")
    assert response["Location"] == reverse("mfa_authenticate")
    assert not logged_in_as(client)


# --- the real login flow with TOTP ---------------------------------------------------------------


def test_staff_login_asks_for_the_totp_code_and_only_then_logs_in(client, cast):
    response = post_login(client, "kari@test.local")
    assert response.status_code == 302 and response["Location"] == reverse("mfa_authenticate")
    assert not logged_in_as(client)
    # Without the code, portal pages still treat the visitor as anonymous.
    assert client.get("/helsekontakter/").status_code == 302

    wrong = format_hotp_value((int(totp_now()) + 1) % 1_000_000)
    response = client.post(reverse("mfa_authenticate"), {"code": wrong})
    assert response.status_code == 200 and not logged_in_as(client)

    response = client.post(reverse("mfa_authenticate"), {"code": totp_now()})
    assert response.status_code == 302
    assert logged_in_as(client) == str(cast.kari.pk)
    assert client.get("/").status_code == 200


def test_a_totp_code_cannot_be_used_twice(client, cast):
    code = totp_now()
    post_login(client, "kari@test.local")
    assert client.post(reverse("mfa_authenticate"), {"code": code}).status_code == 302
    other = type(client)()
    post_login(other, "kari@test.local")
    response = other.post(reverse("mfa_authenticate"), {"code": code})
    assert response.status_code == 200 and not other.session.get("_auth_user_id")


def test_citizen_without_totp_logs_in_with_password(client, cast):
    response = post_login(client, "nora@test.local")
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert logged_in_as(client) == str(cast.nora.pk)


# --- failed-login rate limit --------------------------------------------------------------------


def failures_allowed_per_account():
    rates = [r for r in parse_rates(settings.ACCOUNT_RATE_LIMITS["login_failed"]) if r.per == "key"]
    assert rates, "login_failed must be limited per account, not only per IP"
    return min(r.amount for r in rates)


def test_the_rate_limit_state_lives_in_the_shared_configured_cache():
    # A per-process cache would let each gunicorn worker count failures on its own.
    backend = caches["default"].__class__.__name__
    assert backend in {"FileBasedCache", "RedisCache"}
    assert settings.CACHES["default"]["BACKEND"].endswith(backend)


def test_after_n_wrong_passwords_even_the_right_one_is_refused(client, cast):
    allowed = failures_allowed_per_account()
    for _ in range(allowed):
        response = post_login(client, "nora@test.local", "feil-passord")
        assert response.status_code == 200 and not logged_in_as(client)
    # A new browser (new session, same account): still locked out, with a clear message.
    fresh = type(client)()
    response = post_login(fresh, "nora@test.local")
    assert response.status_code == 200 and not logged_in_as(fresh)
    assert "For mange" in response.content.decode() or "Too many" in response.content.decode()
    # The lockout is the configured cache's state: clearing it lets the right password in again.
    cache.clear()
    assert post_login(fresh, "nora@test.local").status_code == 302
    assert logged_in_as(fresh) == str(cast.nora.pk)


def test_fewer_failures_than_the_limit_do_not_lock_out(client, cast):
    for _ in range(failures_allowed_per_account() - 1):
        post_login(client, "nora@test.local", "feil-passord")
    assert post_login(client, "nora@test.local").status_code == 302
    assert logged_in_as(client) == str(cast.nora.pk)


def test_lockout_is_per_account(client, cast):
    for _ in range(failures_allowed_per_account()):
        post_login(client, "nora@test.local", "feil-passord")
    assert post_login(client, "ulf@test.local").status_code == 302


# --- the admin logs in through allauth ---------------------------------------------------------------


def test_admin_login_redirects_to_the_allauth_login(client):
    response = client.get("/drift/login/")
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN + "?next=")
    response = client.get("/drift/", follow=True)
    assert response.redirect_chain[-1][0].startswith(LOGIN)
    # A POST of credentials to the admin's own form is not accepted either.
    operator = f.UserFactory(is_staff=True, is_superuser=True, totp_secret=TOTP_SECRET)
    response = client.post("/drift/login/", {"username": operator.email, "password": f.PASSWORD})
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)
    assert not logged_in_as(client)


def test_operator_reaches_the_admin_after_password_and_totp(client):
    operator = f.UserFactory(email="drift@test.local", is_staff=True, is_superuser=True, totp_secret=TOTP_SECRET)
    response = client.post(LOGIN + "?next=/drift/", {"login": "drift@test.local", "password": f.PASSWORD})
    assert response["Location"] == reverse("mfa_authenticate")
    response = client.post(reverse("mfa_authenticate"), {"code": totp_now()})
    assert response.status_code == 302 and response["Location"] == "/drift/"
    assert logged_in_as(client) == str(operator.pk)
    assert client.get("/drift/").status_code == 200
