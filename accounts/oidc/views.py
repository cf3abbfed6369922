"""The login and callback endpoints of allauth's OpenID Connect client, with our strict adapter.

allauth's own views build the stock adapter (no nonce, no private_key_jwt, signature unchecked
for tokens from the token endpoint), so the routes are ours; the flow is allauth's.
"""

import logging

from allauth.account.internal.decorators import login_not_required
from allauth.socialaccount.models import SocialApp
from allauth.socialaccount.providers.oauth2.views import OAuth2CallbackView, OAuth2LoginView
from django.conf import settings
from django.http import Http404

from accounts.oidc.adapter import LOCALE_ATTR, refused_page
from accounts.oidc.errors import LoginRefused
from accounts.oidc.provider import STATE_ATTR, NationalOIDCAdapter

logger = logging.getLogger("accounts.login")


class NationalCallbackView(OAuth2CallbackView):
    def dispatch(self, request, *args, **kwargs):
        response = super().dispatch(request, *args, **kwargs)
        language = getattr(request, LOCALE_ATTR, None)
        if language and request.user.is_authenticated:
            # The language the citizen chose at ID-porten (its `locale` claim) becomes the page language.
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                language,
                samesite=settings.LANGUAGE_COOKIE_SAMESITE or "Lax",
                secure=settings.LANGUAGE_COOKIE_SECURE,
            )
        return response

    def _get_state(self, request, provider):
        state, response = super()._get_state(request, provider)
        # The state is single-use (unstashed here); the adapter checks the id_token's nonce against it.
        setattr(request, STATE_ATTR, state)
        return state, response


@login_not_required
def login(request, provider_id):
    try:
        return OAuth2LoginView.adapter_view(NationalOIDCAdapter(request, provider_id))(request)
    except SocialApp.DoesNotExist:
        raise Http404 from None
    except LoginRefused as refusal:  # e.g. the provider's discovery document cannot be fetched
        logger.warning("login refused: %s (%s)", refusal.reason.value, refusal)
        return refused_page(request, refusal.reason)


@login_not_required
def callback(request, provider_id):
    try:
        return NationalCallbackView.adapter_view(NationalOIDCAdapter(request, provider_id))(request)
    except SocialApp.DoesNotExist:
        raise Http404 from None
