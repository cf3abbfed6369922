from django import template
from django.conf import settings
from django.urls import reverse

from epj.staff import employments_listed

register = template.Library()

# Where a page's organisation sits in its context, in the order the EPJ's views name it.
_ORGANISATION_PATHS = (
    ("organisation",),
    ("case", "organisation"),
    ("copy_request", "organisation"),
    ("timebook", "organisation"),
    ("slot", "timebook", "organisation"),
)


def _lookup(context, path):
    value = context.get(path[0])
    for name in path[1:]:
        if value is None:
            return None
        value = getattr(value, name, None)
    return value


@register.simple_tag(takes_context=True)
def epj_memberships(context):
    """The signed-in staff member's places of work, for the EPJ's header and its "switch" links.

    On the EPJ's own pages these are the EPJ's employments, read once per request from its own
    store. The portal's clinic pages that wear the EPJ's frame (register settings, tools, video)
    show the portal's own staff memberships, which the portal's context processor provides.
    """
    request = context.get("request")
    if request is None or not (settings.HN_EPJ_SITE or request.path.startswith(settings.HN_EPJ_PATH_PREFIXES)):
        return list(context.get("staff_memberships") or [])
    if not hasattr(request, "_epj_employments"):
        request._epj_employments = employments_listed(user=request.user)
    return request._epj_employments


@register.simple_tag(takes_context=True)
def epj_membership(context):
    """The staff member's membership in the organisation the page is about, for the EPJ header.

    A page about one organisation shows that organisation and the user's role there; a page about
    none (the desk's start page) shows the only organisation a single-clinic user works for.
    """
    memberships = epj_memberships(context)
    for path in _ORGANISATION_PATHS:
        organisation = _lookup(context, path)
        if organisation is not None and getattr(organisation, "pk", None) is not None:
            for membership in memberships:
                if membership.organisation_id == organisation.pk:
                    return membership
    if len(memberships) == 1:
        return memberships[0]
    return None


@register.simple_tag
def epj_site() -> bool:
    """Whether this is the EPJ's own web process (epj/site/), not the portal's."""
    return bool(settings.HN_EPJ_SITE)


@register.simple_tag
def epj_logout_url() -> str:
    """Where the header's "Log out" posts: the EPJ's own logout in its own process, else the
    portal's (whose process also serves the EPJ's pages when HN_EPJ_IN_PORTAL is on)."""
    return reverse("epj_logout") if settings.HN_EPJ_SITE else reverse("account_logout")


@register.simple_tag
def portal_page_url(name: str, *args) -> str:
    """A link to one of the portal's clinic pages (register settings, tools, video): on the
    portal's own origin when this is the EPJ's process, where the portal's URLs are not served."""
    if not settings.HN_EPJ_SITE:
        return reverse(name, args=args)
    return settings.SITE_URL + reverse(name, args=args, urlconf=settings.HN_PORTAL_URLCONF)
