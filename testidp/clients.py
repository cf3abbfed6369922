"""The portal's two registrations at the stand-in, kept in step with the settings.

A real provider registers a client once, with its redirect URIs and public key; here the rows
are written when first needed, for the origin the portal runs on.
"""

from pathlib import Path

from cryptography.hazmat.primitives import serialization
from django.conf import settings
from oauth2_provider.models import Application

from accounts.oidc.config import HELSEID, IDPORTEN

PRINCIPAL_EMAIL = "testid@testid.invalid"


def client_ids() -> dict[str, str]:
    return {settings.HN_IDPORTEN_CLIENT_ID: IDPORTEN, settings.HN_HELSEID_CLIENT_ID: HELSEID}


def client_public_key(client_id: str):
    """The public half of the key the client signs its assertions with (registered at a real provider)."""
    path = {
        settings.HN_IDPORTEN_CLIENT_ID: settings.HN_IDPORTEN_CLIENT_KEY_FILE,
        settings.HN_HELSEID_CLIENT_ID: settings.HN_HELSEID_CLIENT_KEY_FILE,
    }.get(client_id)
    if path is None or not Path(path).exists():
        return None
    return serialization.load_pem_private_key(Path(path).read_bytes(), password=None).public_key()


def ensure_clients(origin: str) -> None:
    for client_id, provider_id in client_ids().items():
        callback = f"{origin}/konto/oidc/{provider_id}/login/callback/"
        home = f"{origin}/"
        app, _ = Application.objects.get_or_create(
            client_id=client_id,
            defaults={
                "name": provider_id,
                "client_type": Application.CLIENT_CONFIDENTIAL,
                "authorization_grant_type": Application.GRANT_AUTHORIZATION_CODE,
                "algorithm": Application.RS256_ALGORITHM,
                "skip_authorization": True,
                "hash_client_secret": False,
                "client_secret": "",
            },
        )
        uris = app.redirect_uris.split()
        logout_uris = app.post_logout_redirect_uris.split()
        if callback not in uris or home not in logout_uris:
            app.redirect_uris = " ".join(sorted(set(uris) | {callback}))
            app.post_logout_redirect_uris = " ".join(sorted(set(logout_uris) | {home}))
            app.save(update_fields=["redirect_uris", "post_logout_redirect_uris"])


def principal():
    """The one inactive row the provider's library files every code under (it needs a user row);
    who logged in is the code's Assertion, never this row."""
    from accounts.models import User

    user, created = User.objects.get_or_create(email=PRINCIPAL_EMAIL, defaults={"is_active": False})
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user
