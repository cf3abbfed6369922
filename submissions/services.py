"""One-time submission keys for the portal's state-changing forms.

A key is issued with each form render and signed (Django's TimestampSigner with its own salt), so
issuing costs no database write and a key can be checked without a lookup: it names the user it
was issued to and when, and a key that was tampered with, made up, issued to someone else or older
than HN_SUBMISSION_KEY_SECONDS is refused. The first POST claims the key under a unique
constraint and then records where the action sent the user (submissions.decorators.idempotent);
a second POST with the same key is answered from that record. Once a key has expired it is
refused before any lookup, so its record is pruned then (a beat task).
"""

import datetime
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from submissions.models import SubmissionKey

FIELD_NAME = "submission_key"
_SALT = "submissions.key"


@dataclass(frozen=True)
class KeyRefused(Exception):
    """A submission that carries no usable key; `reason` is shown to the user."""

    reason: str


def _signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=_SALT)


def issue_key(*, user_id: int) -> str:
    """A fresh signed key for one render of one form."""
    return _signer().sign(f"{user_id}.{secrets.token_urlsafe(24)}")


def verified_key(*, value: str, user_id: int) -> str:
    """The key's own token if `value` is a valid, unexpired key issued to `user_id`; else KeyRefused."""
    if not value:
        raise KeyRefused(str(_("Skjemaet manglet en engangsnøkkel. Last inn siden på nytt og send igjen.")))
    try:
        payload = _signer().unsign(value, max_age=datetime.timedelta(seconds=settings.HN_SUBMISSION_KEY_SECONDS))
    except signing.SignatureExpired:
        raise KeyRefused(str(_("Skjemaet er for gammelt. Last inn siden på nytt og send igjen."))) from None
    except signing.BadSignature:
        raise KeyRefused(
            str(_("Skjemaet hadde en ukjent engangsnøkkel. Last inn siden på nytt og send igjen."))
        ) from None
    owner, _sep, token = payload.partition(".")
    if owner != str(user_id) or not token:
        raise KeyRefused(str(_("Skjemaet ble åpnet av en annen bruker. Last inn siden på nytt og send igjen.")))
    return token


def recorded_result(*, token: str, user_id: int) -> str | None:
    """Where the first submission with this key went: "" while it runs, None if there is none."""
    return SubmissionKey.objects.filter(key=token, user_id=user_id).values_list("result_url", flat=True).first()


def prune_expired_keys(*, now: datetime.datetime | None = None) -> int:
    """Delete records whose keys have expired (they are refused before any lookup); returns how many."""
    cutoff = (now or timezone.now()) - datetime.timedelta(seconds=settings.HN_SUBMISSION_KEY_SECONDS)
    deleted, _rows = SubmissionKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted
