"""A page that needs the national services answers 503 while their database cannot be reached.

The national services keep their own store (national/routers.py). When it is down, the portal's
own pages keep working; a page that reads or reports national data (the access log, the tariff,
prescriptions, the population register) fails before anything is shown or changed in the
portal's store, and the citizen reads why instead of a bare server error.
"""

import logging

from django.db import DatabaseError, connections
from django.shortcuts import render

from national.routers import NATIONAL_DB

log = logging.getLogger(__name__)


def national_store_reachable() -> bool:
    connection = connections[NATIONAL_DB]
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        connection.close_if_unusable_or_obsolete()
        return False
    return True


class NationalStoreUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, DatabaseError) or national_store_reachable():
            return None
        log.error("The national services' database cannot be reached: %s", exception)
        response = render(request, "national_unavailable.html", status=503)
        response["Retry-After"] = "60"
        response["Cache-Control"] = "no-store"
        return response
