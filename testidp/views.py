"""The stand-in's authorisation endpoint: the TestID page instead of a real login.

Everything else (discovery, JWKS, token, end-session) is django-oauth-toolkit's own views.
"""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import render
from django.utils import timezone
from oauth2_provider.exceptions import OAuthToolkitError
from oauth2_provider.models import Application
from oauth2_provider.views import AuthorizationView

from accounts.oidc.config import HELSEID
from helsenorge.securityheaders import csp_allow_form_action
from testidp.clients import client_ids, ensure_clients, principal, redirect_uris
from testidp.forms import CitizenPickForm, PersonnelPickForm
from testidp.selectors import pickable_citizens, pickable_personnel


class TestIdAuthorizeView(AuthorizationView):
    def dispatch(self, request, *args, **kwargs):
        # No login at the provider: the tester says who they are on the page itself.
        ensure_clients(f"{request.scheme}://{request.get_host()}")
        return super(LoginRequiredMixin, self).dispatch(request, *args, **kwargs)  # type: ignore[misc]

    def _form_class(self, request):
        provider_id = client_ids().get(request.GET.get("client_id", ""))
        return (PersonnelPickForm if provider_id == HELSEID else CitizenPickForm), provider_id

    def get(self, request, *args, **kwargs):
        try:
            self.validate_authorization_request(request)
        except OAuthToolkitError as error:
            return self.error_response(error, application=None)
        form_class, provider_id = self._form_class(request)
        return self._page(request, form_class(), provider_id)

    def post(self, request, *args, **kwargs):
        try:
            scopes, credentials = self.validate_authorization_request(request)
        except OAuthToolkitError as error:
            return self.error_response(error, application=None)
        form_class, provider_id = self._form_class(request)
        data = request.POST.copy()
        if data.get("typed_pid") and not data.get("pid"):
            data["pid"] = data["typed_pid"]
        if provider_id == HELSEID:
            known = {row["pid"]: row for row in pickable_personnel()}.get(data.get("pid", ""))
            if known:
                data.setdefault("hpr_number", known["hpr_number"])
                data.setdefault("name", known["name"])
        form = form_class(data)
        if not form.is_valid():
            return self._page(request, form, provider_id, status=400)
        credentials["testid_claims"] = form.claims()
        request.user = principal()
        request.user.last_login = timezone.now()
        application = Application.objects.get(client_id=credentials["client_id"])
        try:
            uri, _headers, _body, _status = self.create_authorization_response(
                request=request, scopes=" ".join(scopes), credentials=credentials, allow=True
            )
        except OAuthToolkitError as error:
            return self.error_response(error, application)
        return self.redirect(uri, application)

    def _page(self, request, form, provider_id, status=200):
        context = {"form": form, "is_helseid": provider_id == HELSEID}
        if provider_id == HELSEID:
            context["personnel"] = pickable_personnel()
        else:
            context["citizens"] = pickable_citizens()
        response = render(request, "testidp/pick.html", context, status=status)
        # The form's answer redirects to the client, which may be on another origin (the EPJ's).
        return csp_allow_form_action(response, *redirect_uris(request.GET.get("client_id", "")))
