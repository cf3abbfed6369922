from django.conf import settings
from django.utils.functional import SimpleLazyObject

from accounts.middleware import staff_memberships_load


def portal_user(request):
    """What the header needs to know about the signed-in user (its badges: messaging.dialogs.context_processors)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {
            "is_citizen": False,
            "staff_memberships": [],
            # The login page's buttons: a provider without an issuer has none.
            "idporten_enabled": bool(settings.HN_IDPORTEN_ISSUER),
            "helseid_enabled": bool(settings.HN_HELSEID_ISSUER),
        }
    # Loaded with the user on the portal's pages (accounts/frame.py); the EPJ's pages never read
    # them (their staff: epj.staff), so they are read only when a template asks.
    memberships = SimpleLazyObject(lambda: staff_memberships_load(user))
    return {"is_citizen": user.is_citizen, "staff_memberships": memberships}
