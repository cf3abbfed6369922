"""The EPJ's own login and logout, through HelseID (epj/site/helseid.py).

Starting a login is a POST (a link or an image on another site cannot start one); the callback
signs the staff member in with a new session key; logging out ends the EPJ's session and then
HelseID's (RP-initiated logout).
"""

import logging

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from epj.site import helseid
from epj.site.middleware import SESSION_STAFF_KEY

log = logging.getLogger(__name__)

NEXT_KEY = "epj_next"
ID_TOKEN_KEY = "epj_id_token"


def _absolute(name: str) -> str:
    """This process's own URL for `name`, as registered at HelseID (never from the Host header)."""
    return settings.HN_EPJ_ORIGIN + reverse(name)


def _next(request: HttpRequest, candidate: str | None) -> str:
    if candidate and url_has_allowed_host_and_scheme(candidate, allowed_hosts=None, require_https=request.is_secure()):
        return candidate
    return reverse("desk:home")


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return redirect("desk:home")


@require_GET
def login_page(request: HttpRequest) -> HttpResponse:
    next_url = _next(request, request.GET.get("next"))
    if request.user.is_authenticated:
        return redirect(next_url)
    return render(request, "epj/site/login.html", {"next": next_url})


def _refused(request: HttpRequest, refusal: helseid.LoginRefused) -> HttpResponse:
    log.warning("EPJ login refused: %s", refusal)
    context = {"message": helseid.MESSAGES[refusal.reason], "next": reverse("desk:home")}
    return render(request, "epj/site/login.html", context, status=helseid.STATUS[refusal.reason])


@require_POST
def login_start(request: HttpRequest) -> HttpResponse:
    request.session[NEXT_KEY] = _next(request, request.POST.get("next"))
    try:
        return helseid.login_redirect(request, _absolute("epj_login_callback"))
    except helseid.LoginRefused as refusal:
        return _refused(request, refusal)


@require_GET
def login_callback(request: HttpRequest) -> HttpResponse:
    try:
        signed_in = helseid.login_complete(request)
    except helseid.LoginRefused as refusal:
        return _refused(request, refusal)
    next_url = _next(request, request.session.pop(NEXT_KEY, None))
    request.session.cycle_key()  # a new key for the signed-in session (session fixation)
    request.session[SESSION_STAFF_KEY] = signed_in.staff.pk
    request.session[ID_TOKEN_KEY] = signed_in.id_token
    log.info("EPJ login: staff %s", signed_in.staff.pk)
    return redirect(next_url)


@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    id_token = request.session.get(ID_TOKEN_KEY, "")
    request.session.flush()
    provider_logout = helseid.logout_url(id_token=id_token, post_logout_redirect_uri=_absolute("epj_logged_out"))
    return redirect(provider_logout or "epj_logged_out")


@require_GET
def logged_out(request: HttpRequest) -> HttpResponse:
    return render(request, "epj/site/login.html", {"logged_out": True, "next": reverse("desk:home")})
