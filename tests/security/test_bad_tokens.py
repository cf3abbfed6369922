"""Bad tokens change nothing: each refused with a clear page, no session, no user, no row.

A rogue provider over real HTTP stands in for ID-porten answering with crafted id_tokens; the
replayed code goes to the local stand-in, whose token endpoint refuses a used code."""

import time
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from allauth.socialaccount.models import SocialAccount

from accounts.models import Person, User
from tests import factories as f
from tests.oidc import browser_login, logged_in_user_id, pushed_request, stand_in, start_login
from tests.security.rogue_idp import RogueProvider

CALLBACK = "/konto/oidc/idporten/login/callback/"


@pytest.fixture
def rogue(settings):
    with RogueProvider() as provider:
        settings.HN_IDPORTEN_ISSUER = provider.base
        yield provider


def counts():
    return (User.objects.count(), SocialAccount.objects.count(), Person.objects.count())


def begin(client):
    """Press the ID-porten button; return the state and nonce the portal sent the provider."""
    response = client.post("/konto/oidc/idporten/login/")
    assert response.status_code == 302, response.content[:300]
    query = parse_qs(urlparse(response["Location"]).query)
    return query["state"][0], query["nonce"][0]


def assert_refused(client, response, before, words=""):
    assert response.status_code == 403
    page = response.content.decode()
    assert "Innloggingen ble avvist" in page
    if words:
        assert words in page
    assert "_auth_user_id" not in client.session
    assert counts() == before
    assert client.get("/").context["user"].is_anonymous


def _good(rogue, settings, nonce, person):
    return rogue.good_claims(client_id=settings.HN_IDPORTEN_CLIENT_ID, nonce=nonce, pid=person.nin)


@pytest.mark.django_db
def test_the_rogue_provider_with_a_good_token_logs_in(client, rogue, settings):
    """The control: the same harness with nothing wrong does log in, so each refusal below means something."""
    person = f.PersonFactory()
    state, nonce = begin(client)
    rogue.claims = _good(rogue, settings, nonce, person)
    response = client.get(CALLBACK, {"state": state, "code": "abc"})
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.session["_auth_user_id"] == str(User.objects.get(person=person).pk)
    # The token request authenticated with a signed client assertion, and carried the PKCE verifier.
    sent = rogue.token_requests[-1]
    assert sent["client_assertion_type"] == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    assert sent["code_verifier"] and "client_secret" not in sent


CASES = {
    "wrong issuer": lambda c: c.update(iss="https://evil.example"),
    "wrong audience": lambda c: c.update(aud="someone-else"),
    "expired": lambda c: c.update(exp=int(time.time()) - 600, iat=int(time.time()) - 900),
    "nonce mismatch": lambda c: c.update(nonce="not-the-one-we-sent"),
    "acr too low": lambda c: c.update(acr="idporten-loa-substantial"),
    "unknown acr": lambda c: c.update(acr="Level2"),
    "missing pid": lambda c: c.pop("pid"),
    "missing nonce": lambda c: c.pop("nonce"),
}


@pytest.mark.django_db
@pytest.mark.parametrize("case", sorted(CASES))
def test_a_crafted_token_is_refused(client, rogue, settings, case):
    settings.HN_IDPORTEN_ACR = "idporten-loa-high"
    person = f.PersonFactory()
    state, nonce = begin(client)
    claims = _good(rogue, settings, nonce, person)
    CASES[case](claims)
    rogue.claims = claims
    before = counts()
    response = client.get(CALLBACK, {"state": state, "code": "abc"})
    words = "sikkerhetsnivå" if "acr" in case else "kunne ikke bekreftes"
    assert_refused(client, response, before, words)


@pytest.mark.django_db
def test_a_bad_signature_is_refused(client, rogue, settings):
    person = f.PersonFactory()
    state, nonce = begin(client)
    rogue.claims = _good(rogue, settings, nonce, person)
    rogue.sign_with_other_key = True
    before = counts()
    assert_refused(client, client.get(CALLBACK, {"state": state, "code": "abc"}), before, "kunne ikke bekreftes")


@pytest.mark.django_db
def test_an_unsigned_token_is_refused(client, rogue, settings):
    import jwt

    person = f.PersonFactory()
    state, nonce = begin(client)
    unsigned = jwt.encode(_good(rogue, settings, nonce, person), key="", algorithm="none")
    rogue.id_token = lambda: unsigned
    before = counts()
    assert_refused(client, client.get(CALLBACK, {"state": state, "code": "abc"}), before)


@pytest.mark.django_db
def test_a_state_mismatch_is_refused_before_any_token_request(client, rogue, settings):
    person = f.PersonFactory()
    _state, nonce = begin(client)
    rogue.claims = _good(rogue, settings, nonce, person)
    before = counts()
    assert_refused(client, client.get(CALLBACK, {"state": "forged-state", "code": "abc"}), before)
    assert rogue.token_requests == []


@pytest.mark.django_db
def test_a_callback_from_another_browser_is_refused(client, rogue, settings):
    """Login CSRF: the state belongs to the session that started the login, not to whoever has the URL."""
    person = f.PersonFactory()
    state, nonce = begin(client)
    rogue.claims = _good(rogue, settings, nonce, person)
    other = type(client)()
    before = counts()
    assert_refused(other, other.get(CALLBACK, {"state": state, "code": "abc"}), before)


@pytest.mark.django_db(transaction=True)
def test_a_replayed_code_is_refused(settings, live_server):
    base = stand_in(settings, live_server)
    person = f.PersonFactory()
    session, response = browser_login(base, pid=person.nin)
    assert response.status_code == 302
    used_callback = str(response.request.url)
    code = parse_qs(urlparse(used_callback).query)["code"][0]
    before = counts()
    # The same callback again (its state is spent), and the used code under a fresh state.
    attacker = requests.Session()
    replay = attacker.get(used_callback, allow_redirects=False)
    assert replay.status_code == 403 and "Innloggingen ble avvist" in replay.text
    fresh = str(start_login(attacker, base, "idporten").headers["Location"])
    state = pushed_request(fresh)["state"]
    replay = attacker.get(base + CALLBACK, params={"state": state, "code": code}, allow_redirects=False)
    assert replay.status_code == 403 and "Innloggingen ble avvist" in replay.text
    assert logged_in_user_id(attacker, base) is None
    assert counts() == before
