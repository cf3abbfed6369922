"""What the shared error and notice pages (templates/404.html, national_unavailable.html …) need
to wear the EPJ's frame in the EPJ's own process: its base template and its start page."""

from django.http import HttpRequest
from django.urls import reverse


def frame(request: HttpRequest) -> dict[str, str]:
    return {"frame_base": "epj/base.html", "frame_home": reverse("desk:home")}
