"""`@idempotent`: a state-changing view that answers a repeated submission with its first result."""

import functools
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from submissions.models import SubmissionKey
from submissions.services import FIELD_NAME, KeyRefused, recorded_result, verified_key

View = Callable[..., HttpResponse]


def _back_url(request: HttpRequest) -> str:
    referer = request.headers.get("referer", "")
    if referer and url_has_allowed_host_and_scheme(referer, allowed_hosts={request.get_host()}):
        return referer
    return "/"


def _refused(request: HttpRequest, reason: str, status: int = 400) -> HttpResponse:
    context = {"reason": reason, "back_url": _back_url(request)}
    return render(request, "submissions/refused.html", context, status=status)


def _first_result(request: HttpRequest, *, token: str, user_id: int) -> HttpResponse:
    """The first submission's redirect, waiting for it while that submission is still running."""
    deadline = time.monotonic() + settings.HN_SYNC_TIMEOUT_SECONDS + 5
    pause = 0.05
    while True:
        first = recorded_result(token=token, user_id=user_id)
        if first:
            return redirect(first)
        if first is None:
            # The first submission failed or showed its form again: this one may run.
            return _refused(request, _("Skjemaet ble ikke sendt. Last inn siden på nytt og send igjen."))
        if time.monotonic() >= deadline:
            return _refused(
                request,
                _("Skjemaet er sendt og blir behandlet. Se etter resultatet om litt i stedet for å sende igjen."),
                status=409,
            )
        time.sleep(pause)
        pause = min(pause * 2, 0.5)


def idempotent(view: View) -> View:
    """Run a POST once per submission key; put it below @login_required.

    The key is claimed (inserted with an empty result) in a transaction of its own before the
    view runs, because several actions wait for the clinic's answer over the synchronous relay,
    which must run outside any transaction. A concurrent submission with the same key fails on
    the unique index (on PostgreSQL after waiting for the claim to commit) and answers with the
    first one's redirect once it is recorded. A view that raises or answers with anything but a
    redirect (a form shown again with its errors) gives its claim up, so the key can be used again.
    """

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method != "POST":
            return view(request, *args, **kwargs)
        user_id = request.user.pk
        if user_id is None:  # below @login_required this cannot happen; an anonymous POST has no key
            return _refused(request, _("Skjemaet ble ikke sendt. Last inn siden på nytt og send igjen."))
        try:
            token = verified_key(value=request.POST.get(FIELD_NAME, ""), user_id=user_id)
        except KeyRefused as refused:
            return _refused(request, refused.reason)
        try:
            with transaction.atomic():
                record = SubmissionKey.objects.create(key=token, user_id=user_id, created_at=timezone.now())
        except IntegrityError:
            return _first_result(request, token=token, user_id=user_id)
        try:
            response = view(request, *args, **kwargs)
        except BaseException:
            SubmissionKey.objects.filter(pk=record.pk).delete()
            raise
        if isinstance(response, HttpResponseRedirect):
            SubmissionKey.objects.filter(pk=record.pk).update(result_url=response["Location"])
        else:
            SubmissionKey.objects.filter(pk=record.pk).delete()
        return response

    return wrapper
