"""The EPJ's pages: the desk, its journal pages and timebooks (settings.HN_EPJ_PATH_PREFIXES).

One list for both URLconfs that serve them: the EPJ's own process (epj/site/urls.py) and the
portal's when HN_EPJ_IN_PORTAL is on (helsenorge/urls.py, by name, never by import).
"""

from django.urls import include, path

urlpatterns = [
    path("klinikk/", include("epj.desk.urls")),
    path("klinikk/journal/", include("epj.records.urls")),
    path("epj/timeboker/", include("epj.timebooks.urls")),
]
