"""Pushed authorisation requests (RFC 9126) over real HTTP: the portal's and the EPJ's clients push
their authorisation request to the provider on the back channel, and the browser carries only its
`request_uri` (testidp/par.py, accounts/oidc/provider.py, epj/site/helseid.py).

What must hold: only an authenticated client may push, and only a request the authorisation
endpoint would take (its own redirect URI, S256 PKCE, openid); a reference starts one login, for
its own client, and nothing the browser adds changes what was pushed; the HelseID registrations
may not skip the push; and a provider that refuses the push gives the person a clear page, with
nothing stored.
"""

import time
import uuid
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import pytest
import requests
from allauth.socialaccount.models import SocialAccount
from django.contrib.sessions.backends.cache import SessionStore
from django.test import RequestFactory
from oauth2_provider.models import Grant

from accounts.models import User
from epj.site import helseid as epj_helseid
from testidp.par import EXPIRES_SECONDS, REQUEST_URI_PREFIX
from tests import factories as f
from tests.oidc import CSRF, pick, pushed_request, stand_in, start_login
from tests.security.rogue_idp import RogueProvider

pytestmark = pytest.mark.django_db(transaction=True)

PKCE = {"code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", "code_challenge_method": "S256"}


@pytest.fixture
def base(settings, live_server):
    return stand_in(settings, live_server)


def _assertion(client_id: str, key_file, audience: str, jti: str | None = None) -> dict[str, str]:
    now = int(time.time())
    claims = {"iss": client_id, "sub": client_id, "aud": audience, "iat": now, "exp": now + 60}
    claims["jti"] = jti or str(uuid.uuid4())
    return {
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion": jwt.encode(claims, Path(key_file).read_text(), algorithm="RS256"),
    }


def _push(base: str, settings, *, key_file=None, jti=None, assertion=True, **params) -> requests.Response:
    """The portal's ID-porten client pushing a request (its own, unless `params` change it)."""
    client_id = settings.HN_IDPORTEN_CLIENT_ID
    data = {
        "client_id": client_id,
        "response_type": "code",
        "redirect_uri": base + "/konto/oidc/idporten/login/callback/",
        "scope": "openid profile",
        "state": "state-1",
        "nonce": "nonce-1",
        **PKCE,
        **params,
    }
    if assertion:
        data.update(_assertion(client_id, key_file or settings.HN_IDPORTEN_CLIENT_KEY_FILE, base + "/testid", jti))
    return requests.post(base + "/testid/par/", data={k: v for k, v in data.items() if v is not None})


def test_the_discovery_document_names_the_pushed_request_endpoint(base):
    config = requests.get(base + "/testid/.well-known/openid-configuration").json()
    assert config["pushed_authorization_request_endpoint"] == base + "/testid/par/"


def test_an_authenticated_client_gets_a_reference_valid_for_a_minute(base, settings):
    response = _push(base, settings)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["request_uri"].startswith(REQUEST_URI_PREFIX) and body["expires_in"] == EXPIRES_SECONDS == 60
    assert "no-store" in response.headers["Cache-Control"]
    authorize = (
        base + "/testid/authorize/?" + urlencode({"client_id": "portal-idporten", "request_uri": body["request_uri"]})
    )
    assert pushed_request(authorize)["nonce"] == "nonce-1"


@pytest.mark.parametrize(
    ("case", "status", "error"),
    [
        ("no client assertion", 401, "invalid_client"),
        ("signed with another client's key", 401, "invalid_client"),
        ("assertion used twice", 401, "invalid_client"),
        ("redirect URI not registered", 400, "invalid_request"),
        ("plain PKCE", 400, "invalid_request"),
        ("no PKCE", 400, "invalid_request"),
        ("not OpenID", 400, "invalid_request"),
        ("token response type", 400, "invalid_request"),
        ("a request_uri pushed", 400, "invalid_request"),
    ],
)
def test_a_push_that_must_not_be_taken_is_refused_and_nothing_is_stored(base, settings, case, status, error):
    changes = {
        "no client assertion": {"assertion": False},
        "signed with another client's key": {"key_file": settings.HN_EPJ_HELSEID_CLIENT_KEY_FILE},
        "assertion used twice": {"jti": "once"},
        "redirect URI not registered": {"redirect_uri": "https://angriper.example/cb"},
        "plain PKCE": {"code_challenge_method": "plain"},
        "no PKCE": {"code_challenge": None, "code_challenge_method": None},
        "not OpenID": {"scope": "profile"},
        "token response type": {"response_type": "token"},
        "a request_uri pushed": {"request_uri": REQUEST_URI_PREFIX + "x"},
    }[case]
    if case == "assertion used twice":
        assert _push(base, settings, **changes).status_code == 201
    response = _push(base, settings, **changes)
    assert response.status_code == status and response.json()["error"] == error, response.text
    assert "request_uri" not in response.json()


def test_the_helseid_registrations_may_not_skip_the_push(base):
    session = requests.Session()
    for provider, unpushed_status in (("helseid", 400), ("idporten", 200)):
        params = pushed_request(start_login(session, base, provider).headers["Location"])
        # The same request with every parameter in the browser's URL, as without PAR.
        page = session.get(base + "/testid/authorize/?" + urlencode(params))
        assert page.status_code == unpushed_status, (provider, page.text[:300])
        assert ("must push its authorisation request (PAR)" in page.text) == (provider == "helseid")


def test_a_reference_starts_one_login_only_and_only_for_its_own_client(base):
    person = f.PersonFactory()
    session = requests.Session()
    authorize = start_login(session, base, "idporten").headers["Location"]
    query = parse_qs(urlsplit(authorize).query)
    # Another client's id with this reference: refused.
    other = {"client_id": "portal-helseid", "request_uri": query["request_uri"][0]}
    assert session.get(base + "/testid/authorize/?" + urlencode(other)).status_code == 400
    page = session.get(authorize)
    assert page.status_code == 200
    token = CSRF.search(page.text).group(1)
    back = pick(session, authorize, pid=person.nin, acr="idporten-loa-high", locale="nb")
    assert back.status_code == 302 and back.headers["Location"].startswith(
        base + "/konto/oidc/idporten/login/callback/"
    )
    grants = Grant.objects.count()
    # The same reference again, once its code was issued: refused, and no second code.
    assert session.get(authorize).status_code == 400
    fields = {"csrfmiddlewaretoken": token, "pid": person.nin, "acr": "idporten-loa-high", "locale": "nb"}
    again = session.post(authorize, data=fields, allow_redirects=False)
    assert again.status_code == 400 and Grant.objects.count() == grants


def test_nothing_the_browser_adds_changes_the_pushed_request(base):
    person = f.PersonFactory()
    session = requests.Session()
    authorize = start_login(session, base, "idporten").headers["Location"]
    tampered = (
        authorize + "&" + urlencode({"redirect_uri": "https://angriper.example/cb", "scope": "openid", "nonce": "x"})
    )
    back = pick(session, tampered, pid=person.nin, acr="idporten-loa-high", locale="nb")
    assert back.status_code == 302
    assert back.headers["Location"].startswith(base + "/konto/oidc/idporten/login/callback/")
    response = session.get(back.headers["Location"], allow_redirects=False)
    assert response.status_code == 302 and response.headers["Location"] == "/"  # the pushed nonce held


@pytest.mark.parametrize(("par_status", "says"), [(500, "svarer ikke akkurat nå"), (400, "kunne ikke fullføres")])
def test_a_provider_refusing_the_push_gives_a_clear_page_and_stores_nothing(client, settings, par_status, says):
    with RogueProvider() as rogue:
        rogue.par_status = par_status
        settings.HN_IDPORTEN_ISSUER = rogue.base
        before = (User.objects.count(), SocialAccount.objects.count())
        response = client.post("/konto/oidc/idporten/login/")
        assert response.status_code == 403 and says in response.content.decode()
        assert (User.objects.count(), SocialAccount.objects.count()) == before
        [pushed] = rogue.par_requests
        # The push was authenticated for this provider (its issuer as the audience) and complete.
        claims = jwt.decode(pushed["client_assertion"], options={"verify_signature": False})
        assert claims["aud"] == rogue.base and claims["iss"] == settings.HN_IDPORTEN_CLIENT_ID
        assert pushed["code_challenge_method"] == "S256" and pushed["nonce"] and pushed["state"]


def test_the_epj_client_refuses_to_go_on_when_helseid_refuses_the_push(settings):
    with RogueProvider() as rogue:
        rogue.par_status = 503
        settings.HN_EPJ_HELSEID_ISSUER = rogue.base
        request = RequestFactory().get("/epj/logg-inn/helseid/")
        request.session = SessionStore()
        with pytest.raises(epj_helseid.LoginRefused) as refused:
            epj_helseid.login_redirect(request, "http://127.0.0.1:8001/epj/logg-inn/helseid/tilbake/")
        assert refused.value.reason == epj_helseid.Reason.PROVIDER_UNAVAILABLE
        assert not [key for key, _value in request.session.items() if key.startswith("_state_")]  # none pending
        [pushed] = rogue.par_requests
        claims = jwt.decode(pushed["client_assertion"], options={"verify_signature": False})
        assert claims["aud"] == rogue.base and claims["iss"] == settings.HN_EPJ_HELSEID_CLIENT_ID
