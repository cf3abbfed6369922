from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.http import JsonResponse

from helsenorge.routers import EPJ_DB


def health(request):
    """Liveness and reachability of this web process's own database (the portal's, or in the
    EPJ's own process the EPJ's), for load balancers and compose health checks."""
    alias = EPJ_DB if settings.HN_EPJ_SITE else DEFAULT_DB_ALIAS
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
