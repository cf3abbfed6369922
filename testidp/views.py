"""The stand-in's authorisation endpoint (the TestID page instead of a real login) and its
discovery document, which names the pushed-request endpoint (testidp.par).

Everything else (JWKS, token, end-session) is django-oauth-toolkit's own views.
"""

import json

from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from oauth2_provider.exceptions import FatalClientError, OAuthToolkitError
from oauth2_provider.models import Application
from oauth2_provider.views import AuthorizationView, ConnectDiscoveryInfoView
from oauthlib.oauth2.rfc6749.errors import InvalidRequestFatalError

from accounts.oidc.config import HELSEID
from helsenorge.securityheaders import csp_allow_form_action
from testidp.clients import client_ids, ensure_clients, principal, redirect_uris
from testidp.forms import CitizenPickForm, PersonnelPickForm
from testidp.par import consume, expand_pushed
from testidp.selectors import pickable_citizens, pickable_personnel


class TestIdAuthorizeView(AuthorizationView):
    def dispatch(self, request, *args, **kwargs):
        # No login at the provider: the tester says who they are on the page itself.
        ensure_clients(f"{request.scheme}://{request.get_host()}")
        return super(LoginRequiredMixin, self).dispatch(request, *args, **kwargs)  # type: ignore[misc]

    def _form_class(self, request):
        provider_id = client_ids().get(request.GET.get("client_id", ""))
        return (PersonnelPickForm if provider_id == HELSEID else CitizenPickForm), provider_id

    def _refused_unpushed(self, request):
        """A 400 page (never a redirect) when the request is not the one its client pushed."""
        problem = expand_pushed(request)
        if problem is None:
            return None
        return self.error_response(FatalClientError(InvalidRequestFatalError(description=problem)), application=None)

    def get(self, request, *args, **kwargs):
        if refused := self._refused_unpushed(request):
            return refused
        try:
            self.validate_authorization_request(request)
        except OAuthToolkitError as error:
            return self.error_response(error, application=None)
        form_class, provider_id = self._form_class(request)
        return self._page(request, form_class(), provider_id)

    def post(self, request, *args, **kwargs):
        if refused := self._refused_unpushed(request):
            return refused
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
        consume(request)
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


class TestIdDiscoveryView(ConnectDiscoveryInfoView):
    """The library's discovery document, plus the pushed-request endpoint (RFC 9126 §5)."""

    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        document = json.loads(response.content)
        document["pushed_authorization_request_endpoint"] = request.build_absolute_uri(
            reverse("oauth2_provider:pushed-authorization-request")
        )
        # Per registration (testidp.par.pushed_required): the HelseID clients must push.
        document["require_pushed_authorization_requests"] = False
        response.content = json.dumps(document).encode()
        return response
