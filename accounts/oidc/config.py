"""The two identity providers the portal trusts, built from the settings on every request.

`idporten` logs citizens in, `helseid` health personnel and catalogue reviewers. Both use
allauth's OpenID Connect client (`accounts.oidc.provider`), each as an app with its own issuer,
client id and private key for `private_key_jwt`.
"""

from dataclasses import dataclass

from allauth.socialaccount.models import SocialApp
from django.conf import settings

IDPORTEN = "idporten"
HELSEID = "helseid"

# ID-porten's assurance levels, lowest first: a returned `acr` must reach the configured one.
IDPORTEN_LEVELS = ("idporten-loa-substantial", "idporten-loa-high")
# HelseID's security level for access to patient data.
HELSEID_REQUIRED_LEVEL = "4"
HELSEID_PID = "helseid://claims/identity/pid"
HELSEID_HPR = "helseid://claims/hpr/hpr_number"
HELSEID_LEVEL = "helseid://claims/identity/security_level"


@dataclass(frozen=True)
class ProviderConfig:
    provider_id: str
    name: str
    issuer: str
    client_id: str
    key_file: str
    scope: tuple[str, ...]


def provider_configs() -> dict[str, ProviderConfig]:
    """The configured providers by id; one without an issuer is left out (its button too)."""
    configs = [
        ProviderConfig(
            IDPORTEN,
            "ID-porten",
            settings.HN_IDPORTEN_ISSUER,
            settings.HN_IDPORTEN_CLIENT_ID,
            str(settings.HN_IDPORTEN_CLIENT_KEY_FILE),
            ("openid", "profile"),
        ),
        ProviderConfig(
            HELSEID,
            "HelseID",
            settings.HN_HELSEID_ISSUER,
            settings.HN_HELSEID_CLIENT_ID,
            str(settings.HN_HELSEID_CLIENT_KEY_FILE),
            ("openid", "profile", "helseid://scopes/identity/pid", "helseid://scopes/hpr/hpr_number"),
        ),
    ]
    return {c.provider_id: c for c in configs if c.issuer}


def social_apps() -> list[SocialApp]:
    apps = []
    for config in provider_configs().values():
        app = SocialApp(
            provider="openid_connect",
            provider_id=config.provider_id,
            name=config.name,
            client_id=config.client_id,
            secret="",
            settings={
                "server_url": config.issuer.rstrip("/"),
                "scope": list(config.scope),
                "oauth_pkce_enabled": True,
                "fetch_userinfo": False,
            },
        )
        apps.append(app)
    return apps
