"""The EPJ's own HelseID client: OpenID Connect's authorisation code flow, with Authlib.

Authlib (a maintained OAuth/OIDC library) does the protocol: PKCE (S256), `state` and `nonce`
kept in the EPJ's session, `private_key_jwt` client authentication at the token endpoint (RFC
7523, signed with the EPJ's own key), and the id_token checked per OIDC Core 3.1.3.7 (RS256
signature against the provider's JWKS, issuer, audience, expiry, nonce). This module adds what
Authlib lacks, pushing the authorisation request (RFC 9126 PAR) when HelseID offers it, and what
HelseID's rules say (docs/identity.md): security level 4 and an identity number, and it finds the
staff member in the EPJ's own register by that number. The portal's client (accounts/oidc/) is
a separate registration; the EPJ imports nothing of it.
"""

import enum
from dataclasses import dataclass
from urllib.parse import parse_qsl

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.django_client import DjangoOAuth2App, OAuth
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc7523 import PrivateKeyJWT
from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from joserfc.errors import JoseError

from epj.models import StaffMember
from helsenorge.pushedauth import PushRefused, pushed_authorization_url

# HelseID's claims and scopes (docs/identity.md; the same names the portal's client uses).
PID = "helseid://claims/identity/pid"
HPR = "helseid://claims/hpr/hpr_number"
LEVEL = "helseid://claims/identity/security_level"
REQUIRED_LEVEL = "4"
SCOPE = "openid profile helseid://scopes/identity/pid helseid://scopes/hpr/hpr_number"


class Reason(enum.Enum):
    PROVIDER_UNAVAILABLE = "provider_unavailable"
    BAD_ANSWER = "bad_answer"
    CANCELLED = "cancelled"
    LEVEL_TOO_LOW = "level_too_low"
    NOT_EMPLOYED = "not_employed"


# What the page says (the detail goes to the log only).
MESSAGES = {
    Reason.PROVIDER_UNAVAILABLE: _("Innloggingstjenesten svarer ikke akkurat nå. Prøv igjen om litt."),
    Reason.BAD_ANSWER: _(
        "Svaret fra innloggingstjenesten kunne ikke bekreftes, så du er ikke logget inn. Prøv å logge inn på nytt."
    ),
    Reason.CANCELLED: _("Innloggingen ble avbrutt eller kunne ikke fullføres. Prøv å logge inn på nytt."),
    Reason.LEVEL_TOO_LOW: _(
        "Innloggingen hadde for lavt sikkerhetsnivå for denne tjenesten. Logg inn med en metode med høyere "
        "sikkerhetsnivå (for eksempel BankID)."
    ),
    Reason.NOT_EMPLOYED: _(
        "Du er ikke registrert som ansatt i dette journalsystemet. Ta kontakt med den som administrerer "
        "tilgangene ved arbeidsstedet ditt."
    ),
}
STATUS = {
    Reason.PROVIDER_UNAVAILABLE: 503,
    Reason.BAD_ANSWER: 400,
    Reason.CANCELLED: 400,
    Reason.LEVEL_TOO_LOW: 403,
    Reason.NOT_EMPLOYED: 403,
}


class LoginRefused(Exception):
    def __init__(self, reason: Reason, detail: str = ""):
        super().__init__(f"{reason.value}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class SignedIn:
    staff: StaffMember
    id_token: str


def _client() -> DjangoOAuth2App:
    """A client from the current settings (the tests point it at their own stand-in)."""
    try:
        key = settings.HN_EPJ_HELSEID_CLIENT_KEY_FILE.read_text()
    except OSError as error:
        raise LoginRefused(Reason.PROVIDER_UNAVAILABLE, f"client key: {error}") from error
    issuer = settings.HN_EPJ_HELSEID_ISSUER.rstrip("/")
    if not issuer:
        raise LoginRefused(Reason.PROVIDER_UNAVAILABLE, "HN_EPJ_HELSEID_ISSUER is not set")
    oauth = OAuth()
    client = oauth.register(
        "helseid",
        client_id=settings.HN_EPJ_HELSEID_CLIENT_ID,
        client_secret=key,  # Authlib signs the private_key_jwt assertion with it; never sent
        server_metadata_url=f"{issuer}/.well-known/openid-configuration",
        client_kwargs={
            "scope": SCOPE,
            "code_challenge_method": "S256",
            "token_endpoint_auth_method": PrivateKeyJWT.name,
            "timeout": 10,
        },
        client_auth_methods=[PrivateKeyJWT()],
    )
    try:
        metadata = client.load_server_metadata()
    except (requests.RequestException, ValueError) as error:
        raise LoginRefused(Reason.PROVIDER_UNAVAILABLE, f"discovery: {error}") from error
    # The discovery document must name the issuer we were configured with (OIDC Discovery 4.3).
    if str(metadata.get("issuer", "")).rstrip("/") != issuer:
        raise LoginRefused(Reason.BAD_ANSWER, f"discovery issuer {metadata.get('issuer')!r} is not {issuer!r}")
    # HelseID signs with RS256; an id_token with any other algorithm is refused, whatever the
    # discovery document offers (Authlib verifies against this list).
    client.server_metadata["id_token_signing_alg_values_supported"] = ["RS256"]
    return client


def login_redirect(request: HttpRequest, redirect_uri: str) -> HttpResponse:
    """The redirect to HelseID's authorisation endpoint; state, nonce and PKCE verifier stay in
    the session until the callback. When HelseID offers pushed authorisation requests (RFC 9126),
    the request goes there on the back channel and the browser carries only its reference."""
    client = _client()
    authorization = client.create_authorization_url(redirect_uri, ui_locales=translation.get_language() or "nb")
    par_endpoint = client.server_metadata.get("pushed_authorization_request_endpoint")
    if par_endpoint:
        authorization["url"] = _pushed(client, par_endpoint, authorization["url"])
    client.save_authorize_data(request, redirect_uri=redirect_uri, **authorization)
    return HttpResponseRedirect(authorization["url"])


def _pushed(client: DjangoOAuth2App, par_endpoint: str, url: str) -> str:
    """Push the authorisation request `url` carries; the URL that names it by its `request_uri`.
    The client authenticates as at the token endpoint, with HelseID's issuer as the audience."""
    authorization_endpoint, _, query = url.partition("?")
    auth = PrivateKeyJWT(token_endpoint=client.server_metadata["issuer"])
    with OAuth2Session(client.client_id, client.client_secret) as session:
        try:
            return pushed_authorization_url(
                lambda: session.post(
                    par_endpoint, data=dict(parse_qsl(query)), auth=session.client_auth(auth), timeout=10
                ),
                authorization_endpoint=authorization_endpoint,
                client_id=client.client_id,
            )
        except PushRefused as refused:
            reason = Reason.PROVIDER_UNAVAILABLE if refused.provider_down else Reason.CANCELLED
            raise LoginRefused(reason, str(refused)) from refused


def login_complete(request: HttpRequest) -> SignedIn:
    """Check HelseID's answer at the callback and find who it is in the staff register."""
    if request.GET.get("error"):
        raise LoginRefused(Reason.CANCELLED, request.GET["error"])
    client = _client()
    # The issuer the discovery document named (checked against ours in `_client`); these options
    # replace Authlib's default, so the issuer's value is named here too.
    required = {"essential": True}
    claims_options = {
        "iss": {**required, "values": [client.server_metadata["issuer"]]},
        "sub": required,
        "exp": required,
        "iat": required,
    }
    try:
        token = client.authorize_access_token(request, claims_options=claims_options, leeway=30)
    except (AuthlibBaseError, JoseError, ValueError) as error:
        raise LoginRefused(Reason.BAD_ANSWER, str(error)) from error
    except requests.RequestException as error:
        raise LoginRefused(Reason.PROVIDER_UNAVAILABLE, str(error)) from error
    claims = token.get("userinfo")
    if not claims:
        raise LoginRefused(Reason.BAD_ANSWER, "no verified id_token in the token response")
    if str(claims.get(LEVEL, "")) != REQUIRED_LEVEL:
        raise LoginRefused(Reason.LEVEL_TOO_LOW, f"security_level {claims.get(LEVEL)!r}")
    pid = str(claims.get(PID) or "").strip()
    if not pid:
        raise LoginRefused(Reason.BAD_ANSWER, "no pid claim")
    staff = StaffMember.objects.filter(pid=pid).first()
    if staff is None:
        raise LoginRefused(Reason.NOT_EMPLOYED, "no staff record with this pid")
    return SignedIn(staff=staff, id_token=token["id_token"])


def logout_url(*, id_token: str, post_logout_redirect_uri: str) -> str | None:
    """HelseID's end-session URL for this login (RP-initiated logout), or None if it has none."""
    if not id_token:
        return None
    try:
        client = _client()  # its discovery document is read once, here
    except LoginRefused:
        return None
    if not client.server_metadata.get("end_session_endpoint"):
        return None
    return str(
        client.create_logout_url(id_token_hint=id_token, post_logout_redirect_uri=post_logout_redirect_uri)["url"]
    )
