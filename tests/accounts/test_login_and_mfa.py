"""The password login, now the operators' only: TOTP required, failed-login lockout, the admin
behind allauth. Citizens and staff log in through ID-porten and HelseID (test_oidc_login.py)."""

import time

import pytest
from allauth.core.internal.ratelimit import parse_rates
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value, yield_hotp_counters_from_time
from django.conf import settings
from django.core.cache import caches
from django.urls import reverse

from clinics.models import StaffRole
from tests import factories as f
from tests.conftest import TOTP_SECRET, clear_own_cache, login_as

pytestmark = pytest.mark.django_db
LOGIN = "/konto/login/"


def totp_now(secret=TOTP_SECRET):
    return format_hotp_value(hotp_value(secret, next(iter(yield_hotp_counters_from_time()))))


def logged_in_as(client):
    return client.session.get("_auth_user_id")


def post_login(client, email, password=f.PASSWORD):
    return client.post(LOGIN, {"login": email, "password": password})


# --- operators must set up TOTP before anything else; nobody else has an authenticator ---------


@pytest.fixture
def operator(db):
    return f.UserFactory(email="drift@test.local", is_staff=True, is_superuser=True, totp_secret=TOTP_SECRET)


@pytest.mark.parametrize("path", ["/", "/helsekontakter/", "/drift/"])
def test_operator_without_totp_is_sent_to_totp_setup_from_any_page(client, path):
    user = f.UserFactory(email="ny.drift@test.local", is_staff=True, is_superuser=True)
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


def test_operator_who_set_up_totp_can_then_use_the_portal(client):
    """The whole path the middleware sends them down: password again, scan the secret, give a code."""
    user = f.UserFactory(email="ny.drift@test.local", is_staff=True, is_superuser=True)
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


@pytest.mark.parametrize("who", ["citizen", "staff member", "catalogue reviewer"])
def test_nobody_but_operators_can_enrol_an_authenticator(client, cast, who):
    """A stolen session of a citizen or staff member cannot add the thief's authenticator."""
    user = {
        "citizen": cast.nora,
        "staff member": f.StaffFactory(membership=(cast.gp_org, StaffRole.RECEPTION)),
        "catalogue reviewer": f.UserFactory(is_catalogue_reviewer=True),
    }[who]
    login_as(client, user)
    assert client.get("/").status_code == 200  # never sent to an enrolment page
    for name in ("mfa_index", "mfa_activate_totp"):
        assert client.get(reverse(name)).status_code == 404
    assert client.post(reverse("mfa_activate_totp"), {"code": totp_now()}).status_code == 404
    assert not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


@pytest.mark.parametrize("who", ["citizen", "staff member", "catalogue reviewer"])
def test_a_password_from_before_logs_nobody_but_operators_in(client, cast, who):
    user = {
        "citizen": cast.nora,
        "staff member": cast.kari,
        "catalogue reviewer": f.UserFactory(email="vurderer@test.local", is_catalogue_reviewer=True),
    }[who]
    response = post_login(client, user.email)
    assert response.status_code == 200 and not logged_in_as(client)


# --- the real login flow with TOTP ---------------------------------------------------------------


def test_operator_login_asks_for_the_totp_code_and_only_then_logs_in(client, operator):
    response = post_login(client, operator.email)
    assert response.status_code == 302 and response["Location"] == reverse("mfa_authenticate")
    assert not logged_in_as(client)
    # Without the code, portal pages still treat the visitor as anonymous.
    assert client.get("/helsekontakter/").status_code == 302

    wrong = format_hotp_value((int(totp_now()) + 1) % 1_000_000)
    response = client.post(reverse("mfa_authenticate"), {"code": wrong})
    assert response.status_code == 200 and not logged_in_as(client)

    response = client.post(reverse("mfa_authenticate"), {"code": totp_now()})
    assert response.status_code == 302
    assert logged_in_as(client) == str(operator.pk)
    assert client.get("/").status_code == 200


def test_a_totp_code_cannot_be_used_twice(client, operator):
    post_login(client, operator.email)
    # Both uses must fall in one 30-second step (no tolerance), or the second is refused as stale
    # rather than as a replay: start at the beginning of a step when less than half of it is left.
    left = 30 - time.time() % 30
    if left < 15:
        time.sleep(left)
    code = totp_now()
    assert client.post(reverse("mfa_authenticate"), {"code": code}).status_code == 302
    other = type(client)()
    post_login(other, operator.email)
    response = other.post(reverse("mfa_authenticate"), {"code": code})
    assert response.status_code == 200 and not other.session.get("_auth_user_id")


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


@pytest.fixture
def operators(db):
    """Two operators without TOTP yet, so the password alone logs them in (then TOTP setup)."""
    return [f.UserFactory(email=f"drift{n}@test.local", is_staff=True, is_superuser=True) for n in (1, 2)]


def test_after_n_wrong_passwords_even_the_right_one_is_refused(client, operators):
    allowed = failures_allowed_per_account()
    for _ in range(allowed):
        response = post_login(client, "drift1@test.local", "feil-passord")
        assert response.status_code == 200 and not logged_in_as(client)
    # A new browser (new session, same account): still locked out, with a clear message.
    fresh = type(client)()
    response = post_login(fresh, "drift1@test.local")
    assert response.status_code == 200 and not logged_in_as(fresh)
    assert "For mange" in response.content.decode() or "Too many" in response.content.decode()
    # The lockout is the configured cache's state: clearing it lets the right password in again.
    clear_own_cache()
    assert post_login(fresh, "drift1@test.local").status_code == 302
    assert logged_in_as(fresh) == str(operators[0].pk)


def test_fewer_failures_than_the_limit_do_not_lock_out(client, operators):
    for _ in range(failures_allowed_per_account() - 1):
        post_login(client, "drift1@test.local", "feil-passord")
    assert post_login(client, "drift1@test.local").status_code == 302
    assert logged_in_as(client) == str(operators[0].pk)


def test_lockout_is_per_account(client, operators):
    for _ in range(failures_allowed_per_account()):
        post_login(client, "drift1@test.local", "feil-passord")
    assert post_login(client, "drift2@test.local").status_code == 302


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
