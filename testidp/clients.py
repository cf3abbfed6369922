"""The registrations at the stand-in, kept in step with the settings: the portal's two (ID-porten
and HelseID) and the EPJ's own HelseID client (its own web process, epj/site/).

A real provider registers a client once, with its redirect URIs and public key; here the rows
are written when first needed, for the origin the portal runs on and the EPJ's (HN_EPJ_ORIGIN).
"""

from pathlib import Path

from cryptography.hazmat.primitives import serialization
from django.conf import settings
from oauth2_provider.models import Application

from accounts.oidc.config import HELSEID, IDPORTEN

PRINCIPAL_EMAIL = "testid@testid.invalid"


def client_ids() -> dict[str, str]:
    """Each client id and the provider it logs in with."""
    return {
        settings.HN_IDPORTEN_CLIENT_ID: IDPORTEN,
        settings.HN_HELSEID_CLIENT_ID: HELSEID,
        settings.HN_EPJ_HELSEID_CLIENT_ID: HELSEID,
    }


def _callbacks(origin: str) -> dict[str, tuple[str, str]]:
    """Each client's redirect URI and the page it returns to after logging out."""
    epj = settings.HN_EPJ_ORIGIN
    return {
        settings.HN_IDPORTEN_CLIENT_ID: (f"{origin}/konto/oidc/{IDPORTEN}/login/callback/", f"{origin}/"),
        settings.HN_HELSEID_CLIENT_ID: (f"{origin}/konto/oidc/{HELSEID}/login/callback/", f"{origin}/"),
        settings.HN_EPJ_HELSEID_CLIENT_ID: (f"{epj}/epj/logg-inn/helseid/tilbake/", f"{epj}/epj/logget-ut/"),
    }


def redirect_uris(client_id: str) -> list[str]:
    """The redirect URIs registered for a client (its forms on the TestID page may lead there)."""
    app = Application.objects.filter(client_id=client_id).only("redirect_uris").first()
    return app.redirect_uris.split() if app is not None else []


def client_public_key(client_id: str):
    """The public half of the key the client signs its assertions with (registered at a real provider)."""
    path = {
        settings.HN_IDPORTEN_CLIENT_ID: settings.HN_IDPORTEN_CLIENT_KEY_FILE,
        settings.HN_HELSEID_CLIENT_ID: settings.HN_HELSEID_CLIENT_KEY_FILE,
        settings.HN_EPJ_HELSEID_CLIENT_ID: settings.HN_EPJ_HELSEID_CLIENT_KEY_FILE,
    }.get(client_id)
    if path is None or not Path(path).exists():
        return None
    return serialization.load_pem_private_key(Path(path).read_bytes(), password=None).public_key()


def ensure_clients(origin: str) -> None:
    callbacks = _callbacks(origin)
    for client_id, provider_id in client_ids().items():
        callback, home = callbacks[client_id]
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
