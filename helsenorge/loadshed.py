"""Load shedding: answer 503 with Retry-After at once instead of letting requests time out.

Each web process runs at most HN_MAX_CONCURRENT_REQUESTS requests at a time; one more is told
to come back in HN_RETRY_AFTER_SECONDS (browsers and clients honour Retry-After) without
touching the database or the session. On two cores, more requests in flight only make every
one of them slower: a bounded pool keeps the admitted requests fast, so latency recovers as
soon as the spike passes instead of after a queue of timed-out work drains.

It only bites with a threaded server (gunicorn `--threads` > the limit, the gthread worker):
a sync worker runs one request at a time and queues the rest in the listen backlog, where
nothing can answer them early. See docs/security.md.
"""

import logging
import threading
import time

from django.conf import settings
from django.http import HttpResponse
from django.utils.translation import gettext as _

# The load balancer's health check must keep working while the process sheds page views.
EXEMPT_PATHS = ("/helse/",)
LOG_EVERY_SECONDS = 10.0

logger = logging.getLogger(__name__)


class LoadSheddingMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        limit = settings.HN_MAX_CONCURRENT_REQUESTS
        self.slots = threading.BoundedSemaphore(limit) if limit else None
        self.shed, self.logged_at = 0, 0.0

    def __call__(self, request):
        if self.slots is None or request.path in EXEMPT_PATHS:
            return self.get_response(request)
        if not self.slots.acquire(blocking=False):
            self._count_shed()
            return overloaded()
        try:
            return self.get_response(request)
        finally:
            self.slots.release()

    def _count_shed(self):
        # One summary line every LOG_EVERY_SECONDS, not Django's error line per 503: under a
        # spike, thousands of log lines would themselves be load.
        self.shed += 1
        now = time.monotonic()
        if now - self.logged_at >= LOG_EVERY_SECONDS:
            logger.warning("load shedding: %d request(s) answered 503 since the last report", self.shed)
            self.shed, self.logged_at = 0, now


def overloaded() -> HttpResponse:
    """A plain page (no template, no database): cheap enough to send by the thousand."""
    text = _("Tjenesten har mange besøkende akkurat nå. Vent litt og prøv igjen.")
    response = HttpResponse(
        f'<!doctype html><html lang="nb"><meta charset="utf-8"><title>{text}</title><p>{text}</p></html>',
        status=503,
        content_type="text/html; charset=utf-8",
    )
    response["Retry-After"] = str(settings.HN_RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    # Counted by the middleware instead (django.request skips it).
    response._has_been_logged = True  # type: ignore[attr-defined]  # Django's own private flag
    return response
