"""django-oauth-toolkit's validator, taught what the stand-in needs.

- The id_token carries what the tester chose on the TestID page (the code's Assertion), with a
  pairwise `sub`, as ID-porten and HelseID do; not the library's user row.
- Clients authenticate with `private_key_jwt` (RFC 7523): an RS256 assertion signed with the
  client's registered key, for this provider (its issuer, token endpoint or pushed-request
  endpoint), used once, at the token endpoint and at `par/` (testidp.par). The library has no
  such method.
"""

import hashlib
import time

import jwt
from django.core.cache import cache
from django.urls import reverse
from oauth2_provider.models import Application, Grant
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauth2_provider.settings import oauth2_settings

from testidp.clients import client_public_key
from testidp.models import Assertion

CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def _endpoint(issuer: str, name: str) -> str:
    """The absolute URL of one of the stand-in's endpoints, under its issuer."""
    root = reverse("oauth2_provider:oidc-connect-discovery-info").removesuffix("/.well-known/openid-configuration")
    return issuer + reverse(f"oauth2_provider:{name}").removeprefix(root)


def pairwise_sub(client_id: str, pid: str) -> str:
    return hashlib.sha256(f"{client_id}:{pid}".encode()).hexdigest()[:43]


class TestIdValidator(OAuth2Validator):
    oidc_claim_scope = None  # every claim of the assertion goes in the id_token

    def client_authentication_required(self, request, *args, **kwargs):
        return True

    def authenticate_client(self, request, *args, **kwargs):
        if getattr(request, "client_assertion_type", None) != CLIENT_ASSERTION_TYPE:
            return False
        assertion = getattr(request, "client_assertion", None) or ""
        try:
            unverified = jwt.decode(assertion, options={"verify_signature": False})
        except jwt.PyJWTError:
            return False
        client_id = unverified.get("iss")
        key = client_public_key(client_id or "")
        if key is None or (request.client_id and request.client_id != client_id):
            return False
        issuer = oauth2_settings.oidc_issuer(request)
        # The token endpoint, the pushed-request endpoint or the issuer (RFC 7523 3, RFC 9126 2).
        audience = [issuer, *(_endpoint(issuer, name) for name in ("token", "pushed-authorization-request"))]
        try:
            claims = jwt.decode(
                assertion,
                key=key,
                algorithms=["RS256"],
                audience=audience,
                options={"require": ["iss", "sub", "aud", "exp", "jti"]},
            )
        except jwt.PyJWTError:
            return False
        if claims["sub"] != client_id:
            return False
        # Each assertion once (RFC 7523 3): remembered until it expires anyway.
        if not cache.add(
            f"testid:jti:{client_id}:{claims['jti']}", 1, timeout=max(1, int(claims["exp"] - time.time()))
        ):
            return False
        request.client = Application.objects.filter(client_id=client_id).first()
        if request.client is None:
            return False
        request.client_id = client_id
        return True

    def _create_authorization_code(self, request, code, expires=None):
        grant = super()._create_authorization_code(request, code, expires)
        Assertion.objects.create(grant=grant, claims=request.testid_claims)
        return grant

    def validate_code(self, client_id, code, client, request, *args, **kwargs):
        if not super().validate_code(client_id, code, client, request, *args, **kwargs):
            return False
        assertion = Assertion.objects.filter(grant__in=Grant.objects.filter(code=code, application=client)).first()
        if assertion is None:
            return False
        request.testid_claims = assertion.claims
        return True

    def get_claim_dict(self, request):
        claims = dict(getattr(request, "testid_claims", None) or {})
        pid = claims.pop("_pid", "")
        claims["sub"] = pairwise_sub(request.client.client_id, pid)
        return claims

    def get_additional_claims(self, request):
        return {}

    def get_discovery_claims(self, request):
        return ["sub", "pid", "acr", "amr", "locale", "name"]
