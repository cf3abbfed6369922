"""allauth's OpenID Connect client, made strict enough for ID-porten and HelseID.

The stock client sends no nonce, skips the id_token signature when the token came straight
from the token endpoint and authenticates with a client secret. Here every login carries a
fresh nonce (kept with allauth's state, which is single-use) and PKCE; the id_token is checked
per OIDC Core 3.1.3.7 (RS256 signature against the issuer's JWKS, issuer, audience, expiry,
nonce); the client authenticates with `private_key_jwt`; the authorisation request is pushed to
the provider (RFC 9126 PAR) whenever its discovery document names the endpoint; and each
provider's own claims are required (`accounts.oidc.claims`).
"""

import secrets
import time
import uuid
from urllib.parse import parse_qsl, urlsplit

import jwt
import requests
from allauth.socialaccount.adapter import get_adapter
from allauth.socialaccount.providers.oauth2.client import OAuth2Client
from allauth.socialaccount.providers.openid_connect.provider import OpenIDConnectProvider
from allauth.socialaccount.providers.openid_connect.views import OpenIDConnectOAuth2Adapter
from django.conf import settings
from django.utils import translation

from accounts.oidc import claims as claim_rules
from accounts.oidc.config import IDPORTEN, provider_configs
from accounts.oidc.errors import LoginRefused, Reason
from helsenorge.pushedauth import PushRefused, pushed_authorization_url

CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
# Clock skew tolerated between us and the provider when checking exp/iat.
LEEWAY_SECONDS = 30
STATE_ATTR = "hn_oidc_state"
ID_TOKEN_ATTR = "hn_oidc_id_token"  # the verified id_token, for the end-session request's hint


class PrivateKeyJwtClient(OAuth2Client):
    """Authenticates to the provider with a signed assertion instead of a shared secret, and pushes
    its authorisation request (RFC 9126) when the provider offers that."""

    key_pem = ""
    issuer = ""
    par_endpoint = ""  # the discovery document's pushed_authorization_request_endpoint, if any

    def _client_assertion(self, audience: str) -> dict[str, str]:
        now = int(time.time())
        assertion = jwt.encode(
            {
                "iss": self.consumer_key,
                "sub": self.consumer_key,
                "aud": audience,
                "iat": now,
                "exp": now + 60,
                "jti": str(uuid.uuid4()),
            },
            self.key_pem,
            algorithm="RS256",
        )
        return {"client_assertion_type": CLIENT_ASSERTION_TYPE, "client_assertion": assertion}

    def get_redirect_url(self, authorization_url, scope, extra_params) -> str:
        url = super().get_redirect_url(authorization_url, scope, extra_params)
        if not self.par_endpoint:
            return url
        # The request goes to the provider on the back channel; the browser carries only its
        # reference, so nobody on the way can read or change it.
        params = dict(parse_qsl(urlsplit(url).query))
        with get_adapter().get_requests_session() as session:
            try:
                return pushed_authorization_url(
                    lambda: session.post(self.par_endpoint, data={**params, **self._client_assertion(self.issuer)}),
                    authorization_endpoint=authorization_url,
                    client_id=self.consumer_key,
                )
            except PushRefused as refused:
                reason = Reason.PROVIDER_UNAVAILABLE if refused.provider_down else Reason.FAILED
                raise LoginRefused(reason, str(refused)) from refused

    def get_access_token(self, code, pkce_code_verifier=None, extra_data=None):
        extra = dict(extra_data or {})
        extra.update(self._client_assertion(self.access_token_url))
        # The base class would add client_secret; an empty secret is stripped before the request.
        return super().get_access_token(code, pkce_code_verifier=pkce_code_verifier, extra_data=extra)


class NationalOIDCAdapter(OpenIDConnectOAuth2Adapter):
    client_class = PrivateKeyJwtClient
    basic_auth = False  # the parent computes it; we never send a secret

    def get_client(self, request, app):
        client = super().get_client(request, app)
        config = provider_configs()[self.provider_id]
        try:
            with open(config.key_file) as handle:
                client.key_pem = handle.read()
        except OSError as error:
            raise LoginRefused(Reason.PROVIDER_UNAVAILABLE, f"client key {config.key_file}: {error}") from error
        client.issuer = self.openid_config["issuer"]
        client.par_endpoint = self.openid_config.get("pushed_authorization_request_endpoint") or ""
        return client

    @property
    def openid_config(self):
        try:
            config = super().openid_config
        except requests.RequestException as error:
            raise LoginRefused(Reason.PROVIDER_UNAVAILABLE, str(error)) from error
        # The discovery document must name the issuer we were configured with (OIDC Discovery 4.3).
        expected = provider_configs()[self.provider_id].issuer.rstrip("/")
        if config.get("issuer", "").rstrip("/") != expected:
            raise LoginRefused(Reason.BAD_TOKEN, f"discovery issuer {config.get('issuer')!r} is not {expected!r}")
        return config

    def complete_login(self, request, app, token, **kwargs):
        id_token = kwargs["response"].get("id_token")
        if not id_token:
            raise LoginRefused(Reason.BAD_TOKEN, "no id_token in the token response")
        state = getattr(request, STATE_ATTR, None) or {}
        data = self.verify_id_token(app, id_token, nonce=state.get("nonce"))
        claim_rules.require(self.provider_id, data)
        setattr(request, ID_TOKEN_ATTR, id_token)
        return self.get_provider().sociallogin_from_response(request, {"id_token": data})

    def verify_id_token(self, app, id_token: str, *, nonce: str | None) -> dict:
        """OIDC Core 3.1.3.7, whatever channel the token came by."""
        config = self.openid_config
        try:
            header = jwt.get_unverified_header(id_token)
        except jwt.PyJWTError as error:
            raise LoginRefused(Reason.BAD_TOKEN, f"unreadable id_token: {error}") from error
        if header.get("alg") != "RS256":
            raise LoginRefused(Reason.BAD_TOKEN, f"id_token algorithm {header.get('alg')!r}")
        try:
            with get_adapter().get_requests_session() as session:
                response = session.get(config["jwks_uri"])
                response.raise_for_status()
                jwks = jwt.PyJWKSet.from_dict(response.json())
        except (requests.RequestException, ValueError, jwt.PyJWTError) as error:
            raise LoginRefused(Reason.PROVIDER_UNAVAILABLE, f"JWKS: {error}") from error
        keys = [k for k in jwks.keys if header.get("kid") is None or k.key_id == header.get("kid")]
        if not keys:
            raise LoginRefused(Reason.BAD_TOKEN, f"no JWKS key with kid {header.get('kid')!r}")
        try:
            data = jwt.decode(
                id_token,
                key=keys[0],
                algorithms=["RS256"],
                audience=app.client_id,
                issuer=config["issuer"],
                leeway=LEEWAY_SECONDS,
                options={"require": ["iss", "aud", "exp", "iat", "sub"]},
            )
        except jwt.PyJWTError as error:
            raise LoginRefused(Reason.BAD_TOKEN, f"id_token: {error}") from error
        if not nonce or not secrets.compare_digest(str(data.get("nonce", "")), nonce):
            raise LoginRefused(Reason.BAD_TOKEN, "nonce mismatch")
        if isinstance(data["aud"], list) and len(data["aud"]) > 1 and data.get("azp") != app.client_id:
            raise LoginRefused(Reason.BAD_TOKEN, "azp is not this client")
        return data


class NationalOIDCProvider(OpenIDConnectProvider):
    oauth2_adapter_class = NationalOIDCAdapter

    def get_auth_params(self):
        params = super().get_auth_params()
        params["ui_locales"] = translation.get_language() or "nb"
        return params

    def redirect(self, request, process, next_url=None, data=None, **kwargs):
        nonce = secrets.token_urlsafe(32)
        auth_params = kwargs.pop("auth_params", None)
        if auth_params is None:
            auth_params = self.get_auth_params()
        # Set last, so parameters a visitor adds to the login URL cannot replace them.
        auth_params["nonce"] = nonce
        if self.app.provider_id == IDPORTEN:
            auth_params["acr_values"] = settings.HN_IDPORTEN_ACR
        return super().redirect(request, process, next_url, data, auth_params=auth_params, nonce=nonce, **kwargs)

    def get_default_scope(self):
        return ["openid", "profile"]

    def extract_uid(self, data):
        return str(data["id_token"]["sub"])

    def extract_common_fields(self, data):
        return {}

    def extract_email_addresses(self, data):
        return []
