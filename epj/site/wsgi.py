"""WSGI entry of the EPJ's own web process (gunicorn epj.site.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "epj.site.settings")

application = get_wsgi_application()
