"""The EPJ's own web process: its login (HelseID), the desk, its journal pages and timebooks.

The same paths as when the portal's process served them (settings.HN_EPJ_PATH_PREFIXES), so a
bookmark keeps working; nothing of the portal's is routed here.
"""

from django.urls import include, path, register_converter

from epj.site import views
from helsenorge.converters import IdConverter
from helsenorge.views import health

register_converter(IdConverter, "id")

urlpatterns = [
    path("", views.home, name="epj_home"),
    path("helse/", health, name="health"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("epj/logg-inn/", views.login_page, name="epj_login"),
    path("epj/logg-inn/helseid/", views.login_start, name="epj_login_start"),
    path("epj/logg-inn/helseid/tilbake/", views.login_callback, name="epj_login_callback"),
    path("epj/logg-ut/", views.logout, name="epj_logout"),
    path("epj/logget-ut/", views.logged_out, name="epj_logged_out"),
    path("", include("epj.site.pages")),
]
