"""The stand-in's endpoints under /testid/ (only when HN_TEST_IDP is on). The namespace is the
library's own, because its discovery document names the endpoints by it."""

from django.urls import path
from oauth2_provider import views as oauth

from testidp.par import pushed_authorization_request
from testidp.views import TestIdAuthorizeView, TestIdDiscoveryView

app_name = "oauth2_provider"

urlpatterns = [
    path(".well-known/openid-configuration", TestIdDiscoveryView.as_view(), name="oidc-connect-discovery-info"),
    path(".well-known/jwks.json", oauth.JwksInfoView.as_view(), name="jwks-info"),
    path("authorize/", TestIdAuthorizeView.as_view(), name="authorize"),
    path("par/", pushed_authorization_request, name="pushed-authorization-request"),
    path("token/", oauth.TokenView.as_view(), name="token"),
    path("userinfo/", oauth.UserInfoView.as_view(), name="user-info"),
    path("logout/", oauth.RPInitiatedLogoutView.as_view(), name="rp-initiated-logout"),
]
