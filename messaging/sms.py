"""Sending SMS through a pluggable backend, chosen by `settings.HN_SMS_BACKEND` (a dotted path).

A real deployment points the setting at a class that talks to its SMS gateway; development and
tests use `FileSmsBackend`, which writes each message to a file the way Django's file-based
e-mail backend does, so nothing leaves the machine.
"""

import datetime
import uuid
from pathlib import Path

from django.conf import settings
from django.utils.module_loading import import_string


class SmsBackend:
    """The interface a gateway adapter implements. `to` is a phone number as the register holds it."""

    def send(self, *, to: str, text: str) -> None:
        raise NotImplementedError


class FileSmsBackend(SmsBackend):
    """Writes one file per SMS into `settings.HN_SMS_FILE_PATH`."""

    def send(self, *, to: str, text: str) -> None:
        directory = Path(settings.HN_SMS_FILE_PATH)
        directory.mkdir(parents=True, exist_ok=True)
        stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%S%f")
        path = directory / f"{stamp}-{uuid.uuid4().hex[:8]}.sms"
        path.write_text(f"To: {to}\n\n{text}\n", encoding="utf-8")


def sms_backend() -> SmsBackend:
    return import_string(settings.HN_SMS_BACKEND)()


def sms_send(*, to: str, text: str) -> None:
    sms_backend().send(to=to, text=text)
