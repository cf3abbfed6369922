"""allauth's social-login hooks: which providers exist, whom a verified identity logs in as, and
the page shown when a login is refused."""

import logging
from typing import NoReturn

from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.shortcuts import render
from django.utils import timezone

from accounts import identity
from accounts.oidc.config import HELSEID, HELSEID_HPR, HELSEID_PID, IDPORTEN, social_apps
from accounts.oidc.errors import MESSAGES, LoginRefused, Reason
from accounts.oidc.provider import ID_TOKEN_ATTR
from accounts.population import may_use_portal_alone, person_for_pid

logger = logging.getLogger("accounts.login")
END_SESSION_KEY = "hn.oidc_end_session"
LOCALE_ATTR = "hn_login_locale"
# ID-porten's `locale` (nb, nn, en, se) to the portal's languages: English, else bokmål.
_LANGUAGE_FOR_LOCALE = {"en": "en", "nb": "nb", "nn": "nb", "se": "nb"}


def refused_page(request, reason: Reason):
    response = render(request, "accounts/login_refused.html", {"message": MESSAGES[reason]}, status=403)
    return response


class NationalLoginAdapter(DefaultSocialAccountAdapter):
    def list_apps(self, request, provider=None, client_id=None):
        apps = social_apps()
        if provider:
            apps = [a for a in apps if provider in (a.provider, a.provider_id)]
        if client_id:
            apps = [a for a in apps if a.client_id == client_id]
        return apps

    def is_open_for_signup(self, request, sociallogin):
        # Only pre_social_login decides who logs in; an unmatched login never reaches a signup form.
        return False

    def pre_social_login(self, request, sociallogin):
        provider_id = sociallogin.account.provider
        data = sociallogin.account.extra_data.get("id_token", {})
        if provider_id == IDPORTEN:
            user = self._citizen(request, data)
        elif provider_id == HELSEID:
            user = identity.personnel_user_for(pid=str(data[HELSEID_PID]), hpr_number=str(data.get(HELSEID_HPR, "")))
            if user is None:
                self._refuse(request, Reason.NOT_PERSONNEL, "no staff member or reviewer for this identity")
        else:
            self._refuse(request, Reason.FAILED, f"unknown provider {provider_id}")
        if sociallogin.is_existing and sociallogin.user != user:
            self._refuse(request, Reason.BAD_TOKEN, "subject is linked to another user")
        if not sociallogin.is_existing:
            sociallogin.connect(request, user)
        # Logout goes through the provider's end-session endpoint (accounts.adapters).
        request.session[END_SESSION_KEY] = {"provider": provider_id, "id_token": getattr(request, ID_TOKEN_ATTR, "")}

    def _citizen(self, request, data):
        person = person_for_pid(str(data["pid"]))
        if person is None:
            return self._refuse(request, Reason.NOT_IN_REGISTER, "pid not in the population register")
        if not may_use_portal_alone(person, timezone.localdate()):
            self._refuse(request, Reason.TOO_YOUNG, "under the age for using the portal alone")
        if data.get("locale") in _LANGUAGE_FOR_LOCALE:
            setattr(request, LOCALE_ATTR, _LANGUAGE_FOR_LOCALE[data["locale"]])
        return identity.citizen_user_for(person=person)

    def _refuse(self, request, reason: Reason, detail: str) -> NoReturn:
        logger.warning("login refused: %s (%s)", reason.value, detail)
        raise ImmediateHttpResponse(refused_page(request, reason))

    def on_authentication_error(self, request, provider, error=None, exception=None, extra_context=None):
        reason = exception.reason if isinstance(exception, LoginRefused) else Reason.FAILED
        logger.warning("login refused: %s (%s: %s)", reason.value, error, exception)
        raise ImmediateHttpResponse(refused_page(request, reason))
