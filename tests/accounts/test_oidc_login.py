"""Logging in through the local ID-porten and HelseID stand-in, over HTTP, with nothing patched."""

import datetime

import pytest
import requests

from accounts.models import User
from accounts.nin import nin_generate
from clinics.models import StaffRole
from epj.models import StaffMember
from tests import factories as f
from tests.oidc import browser_login, logged_in_user_id, pushed_request, stand_in, start_login

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def base(settings, live_server):
    return stand_in(settings, live_server)


def test_discovery_and_jwks_are_served(base):
    config = requests.get(base + "/testid/.well-known/openid-configuration").json()
    assert config["issuer"] == base + "/testid"
    assert "private_key_jwt" in config["token_endpoint_auth_methods_supported"]
    assert "S256" in config["code_challenge_methods_supported"]
    keys = requests.get(config["jwks_uri"]).json()["keys"]
    assert keys and keys[0]["kty"] == "RSA" and keys[0]["alg"] == "RS256"
    assert "d" not in keys[0]  # the public half only


@pytest.mark.parametrize("provider", ["idporten", "helseid"])
def test_the_authorisation_request_is_pushed_with_pkce_state_nonce_acr_and_locale(base, provider):
    response = start_login(requests.Session(), base, provider)
    location = response.headers["Location"]
    assert location.startswith(base + "/testid/authorize/?")
    # The browser carries only the reference; the request went to the provider on the back channel.
    params = pushed_request(location)
    assert params["client_id"] == {"idporten": "portal-idporten", "helseid": "portal-helseid"}[provider]
    assert params["redirect_uri"] == base + f"/konto/oidc/{provider}/login/callback/"
    assert params["code_challenge"] and params["code_challenge_method"] == "S256"
    assert params["state"] and params["nonce"] and params["ui_locales"] and "openid" in params["scope"].split()
    if provider == "idporten":
        assert params["acr_values"] == "idporten-loa-substantial"
    else:
        assert "helseid://scopes/identity/pid" in params["scope"].split()


def test_a_citizen_in_the_register_logs_in_and_a_user_is_linked_to_her_person(base):
    person = f.PersonFactory(given_name="Sigrid", family_name="Solberg", age=30)
    session, response = browser_login(base, pid=person.nin)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert logged_in_user_id(session, base) == "Sigrid Solberg"
    user = User.objects.get(person=person)
    assert not user.has_usable_password()
    # A second login finds the same user.
    session, response = browser_login(base, pid=person.nin)
    assert User.objects.filter(person=person).count() == 1


def test_an_existing_citizen_user_is_reused(base, cast):
    session, response = browser_login(base, pid=cast.nora.person.nin)
    assert response.status_code == 302
    assert logged_in_user_id(session, base) == cast.nora.person.full_name
    assert User.objects.filter(person=cast.nora.person).count() == 1


def test_a_number_not_in_the_register_is_refused_with_a_clear_page(base):
    users = User.objects.count()
    nin = nin_generate(datetime.date(1990, 2, 3), female=False, serial=3)
    session, response = browser_login(base, pid=nin)
    assert response.status_code == 403
    assert "finnes ikke i folkeregisteret" in response.text
    assert logged_in_user_id(session, base) is None
    assert User.objects.exclude(email="testid@testid.invalid").count() == users


@pytest.mark.parametrize(("age", "allowed"), [(15, False), (16, True), (12, False)])
def test_only_from_sixteen_may_a_person_use_the_portal_alone(base, age, allowed):
    person = f.PersonFactory(age=age)
    session, response = browser_login(base, pid=person.nin)
    if allowed:
        assert response.status_code == 302 and logged_in_user_id(session, base)
    else:
        assert response.status_code == 403 and "16 år" in response.text
        assert logged_in_user_id(session, base) is None
        assert not User.objects.filter(person=person).exists()


def test_a_login_below_the_configured_level_is_refused(base, settings):
    settings.HN_IDPORTEN_ACR = "idporten-loa-high"
    person = f.PersonFactory()
    session, response = browser_login(base, pid=person.nin, acr="idporten-loa-substantial")
    assert response.status_code == 403 and "sikkerhetsnivå" in response.text
    assert not User.objects.filter(person=person).exists()


def test_a_clinician_logs_in_through_helseid_by_hpr_number(base, cast):
    membership = cast.kari.staff_memberships.get()
    membership.hpr_number = "1234567"
    membership.save()
    old = cast.kari.nin
    cast.kari.nin = nin_generate(datetime.date(1975, 1, 2), female=True, serial=9)
    cast.kari.save()
    StaffMember.objects.filter(pid=old).update(pid=cast.kari.nin)  # the same person in the EPJ's register
    session, response = browser_login(base, "helseid", pid=cast.kari.nin)
    assert response.status_code == 302
    assert logged_in_user_id(session, base) == str(cast.kari)
    assert session.get(base + "/klinikk/").status_code == 200


def test_helseid_below_level_four_is_refused(base, cast):
    cast.kari.nin = nin_generate(datetime.date(1975, 1, 2), female=True, serial=9)
    cast.kari.save()
    session, response = browser_login(base, "helseid", pid=cast.kari.nin, security_level="3")
    assert response.status_code == 403
    assert logged_in_user_id(session, base) is None


def test_someone_helseid_knows_but_no_clinic_lists_is_refused(base, cast):
    stranger = nin_generate(datetime.date(1970, 5, 5), female=False, serial=11)
    session, response = browser_login(base, "helseid", pid=stranger, hpr_number="7654321")
    assert response.status_code == 403 and "ikke registrert som ansatt" in response.text
    assert logged_in_user_id(session, base) is None


def test_a_catalogue_reviewer_logs_in_through_helseid(base):
    reviewer = f.UserFactory(
        is_catalogue_reviewer=True, nin=nin_generate(datetime.date(1980, 3, 3), female=True, serial=5)
    )
    session, response = browser_login(base, "helseid", pid=reviewer.nin)
    assert response.status_code == 302
    assert session.get(base + "/verktoy/vurdering/", allow_redirects=False).status_code != 302


def test_staff_need_no_totp_after_helseid(base, cast):
    staff = f.StaffFactory(
        nin=nin_generate(datetime.date(1981, 3, 3), female=True, serial=6),
        membership=(cast.gp_org, StaffRole.RECEPTION),
    )
    session, response = browser_login(base, "helseid", pid=staff.nin)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert session.get(base + "/", allow_redirects=False).status_code == 200


def test_logout_goes_through_the_providers_end_session_endpoint(base):
    person = f.PersonFactory()
    session, _ = browser_login(base, pid=person.nin)
    page = session.get(base + "/")
    import re

    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    response = session.post(base + "/konto/logout/", data={"csrfmiddlewaretoken": token}, allow_redirects=False)
    assert response.status_code == 302
    assert response.headers["Location"].startswith(base + "/testid/logout/?")
    assert "id_token_hint=" in response.headers["Location"]
    final = session.get(response.headers["Location"])
    assert final.status_code == 200 and final.url.rstrip("/") == base
    assert logged_in_user_id(session, base) is None


@pytest.mark.parametrize("role", [StaffRole.CLINICIAN])
def test_staff_password_no_longer_logs_in(client, cast, role):
    response = client.post("/konto/login/", {"login": cast.kari.email, "password": f.PASSWORD})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db(transaction=False)
def test_every_demo_login_is_pickable_on_the_testid_page():
    """`make run`'s people: every demo citizen with a login and the tool maker on the ID-porten page,
    every demo staff member and the reviewer (by identity number and HPR number) on HelseID's."""
    from clinics.demo import CITIZENS, REVIEWER, STAFF, citizen_email, personnel_nin, seed_all
    from testidp.selectors import pickable_citizens, pickable_personnel
    from tools.demo import seed_tools

    seed_all()
    seed_tools()
    citizens = {p.nin for p in pickable_citizens()}
    for citizen in CITIZENS:
        if citizen.login:
            assert User.objects.get(email=citizen_email(citizen)).person.nin in citizens, citizen.key
    assert User.objects.get(email="produsent@verktoy.demo").person.nin in citizens
    personnel = {row["pid"]: row for row in pickable_personnel()}
    for staff in STAFF:
        assert staff.nin in personnel, staff.email
        assert personnel[staff.nin]["hpr_number"] == staff.hpr_number
    assert personnel_nin(REVIEWER[0]) in personnel
    # Nobody but the operator keeps a password.
    assert [u.email for u in User.objects.all() if u.has_usable_password()] == ["drift@helsenorge.demo"]


@pytest.mark.parametrize(("locale", "lang"), [("en", "en"), ("nn", "nb")])
def test_the_locale_chosen_at_id_porten_becomes_the_page_language(base, locale, lang):
    person = f.PersonFactory()
    session, response = browser_login(base, pid=person.nin, locale=locale)
    assert response.status_code == 302
    assert session.cookies.get("django_language") == lang
    assert f'<html lang="{lang}">' in session.get(base + "/").text
