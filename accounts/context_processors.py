import functools

from django.conf import settings
from django.urls import get_script_prefix, reverse

from accounts.middleware import staff_memberships_load

# The header's fixed links (templates/base.html), by the name the template uses.
_HEADER_LINKS = {
    "home": "home",
    "set_language": "set_language",
    "login": "account_login",
    "logout": "account_logout",
    "contacts": "clinics:contact_list",
    "my_tools": "tools:mine",
    "notices": "notices",
    "notification_preferences": "notification_preferences",
    "review_queue": "tools:review_queue",
    "catalogue": "tools:catalogue",
    "admin": "admin:index",
    "security": "mfa_index",
}


@functools.cache
def _header_links(script_prefix: str) -> dict[str, str]:
    """Reversed once per process (and script prefix): they take no arguments and the URLs carry no language."""
    return {key: reverse(name) for key, name in _HEADER_LINKS.items()}


def portal_user(request):
    """What the header needs to know about the signed-in user, and its links."""
    links = _header_links(get_script_prefix())
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {
            "is_citizen": False,
            "staff_memberships": [],
            "header_links": links,
            # The login page's buttons: a provider without an issuer has none.
            "idporten_enabled": bool(settings.HN_IDPORTEN_ISSUER),
            "helseid_enabled": bool(settings.HN_HELSEID_ISSUER),
        }
    context = {"is_citizen": user.is_citizen, "staff_memberships": staff_memberships_load(user), "header_links": links}
    if user.is_citizen:
        from messaging.notifications import notice_unread_count  # late: it imports accounts.models

        context["notices_unread"] = notice_unread_count(person=user.person_id)
    return context
