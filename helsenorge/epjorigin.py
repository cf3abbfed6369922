"""The portal's web process sends the EPJ's pages to the EPJ's own process (epj/site/).

With HN_EPJ_IN_PORTAL off (the demo, production), a request for one of the EPJ's paths
(HN_EPJ_PATH_PREFIXES: a bookmark, a link in an old e-mail) is redirected to the same path at
HN_EPJ_ORIGIN, where the EPJ serves it with its own login. The test suite turns it on, so its
test client reaches both systems' pages in one process.
"""

from django.conf import settings
from django.http import HttpResponseRedirect


class EpjElsewhereMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not settings.HN_EPJ_IN_PORTAL and request.path.startswith(settings.HN_EPJ_PATH_PREFIXES):
            return HttpResponseRedirect(settings.HN_EPJ_ORIGIN + request.get_full_path())
        return self.get_response(request)
