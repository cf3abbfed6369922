from urllib.parse import urlencode

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter

from accounts.oidc.adapter import END_SESSION_KEY
from accounts.oidc.config import provider_configs


class PortalAccountAdapter(DefaultAccountAdapter):
    """The password form is for operators only; everyone else logs in through ID-porten or HelseID."""

    def is_open_for_signup(self, request):
        return False

    def authenticate(self, request, **credentials):
        user = super().authenticate(request, **credentials)
        if user is not None and not user.is_operator:
            # A citizen or staff member who still has a password from before cannot use it.
            self.authentication_failed(request, **credentials)
            return None
        return user

    def get_logout_redirect_url(self, request):
        local = super().get_logout_redirect_url(request)
        # Asked before the session is flushed: the provider's session ends through its own endpoint.
        ended = request.session.get(END_SESSION_KEY) if request.user.is_authenticated else None
        if not ended:
            return local
        config = provider_configs().get(ended.get("provider", ""))
        if config is None:
            return local
        from accounts.oidc.endsession import end_session_endpoint

        endpoint = end_session_endpoint(config.issuer)
        if not endpoint:
            return local
        params = {
            "client_id": config.client_id,
            "post_logout_redirect_uri": request.build_absolute_uri(local),
        }
        if ended.get("id_token"):
            params["id_token_hint"] = ended["id_token"]
        return f"{endpoint}?{urlencode(params)}"


class PortalMFAAdapter(DefaultMFAAdapter):
    """TOTP belongs to the operators' password login; an ID-porten or HelseID login is never asked
    for it (the provider's own second factor stands behind it), so no one else can enrol one."""

    def is_mfa_enabled(self, user, types=None):
        return bool(getattr(user, "is_operator", False)) and super().is_mfa_enabled(user, types=types)
