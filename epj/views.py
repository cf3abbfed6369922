"""Shared answers for the EPJ's pages."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from epj.roles import StaffActionRefused


def refused_response(request: HttpRequest, refusal: StaffActionRefused) -> HttpResponse:
    """403 with the reason the role rules gave; the service refused before writing anything."""
    return render(request, "desk/refused.html", {"reason": str(refusal)}, status=403)
