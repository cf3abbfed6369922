from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings


class PortalAccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request):
        return getattr(settings, "HN_SIGNUP_OPEN", True)
