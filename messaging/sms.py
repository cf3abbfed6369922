"""Sending SMS through a pluggable backend, chosen by `settings.HN_SMS_BACKEND` (a dotted path).

`HttpSmsBackend` talks to an SMS gateway over HTTP(S) (`HN_SMS_GATEWAY_URL`, `_TOKEN`,
`_TIMEOUT_SECONDS`); development and tests use `FileSmsBackend`, which writes each message to a
file the way Django's file-based e-mail backend does, so nothing leaves the machine. A backend
raises `SmsError` when a message was not accepted; the notice outbox then tries again later.
"""

import datetime
import threading
import uuid
from pathlib import Path

import requests
from django.conf import settings
from django.utils.module_loading import import_string


class SmsError(Exception):
    """The gateway did not take the message (unreachable, timed out or refused)."""


class SmsBackend:
    """The interface a gateway adapter implements. `to` is a phone number as the register holds it.

    `send` returns once the gateway has accepted the message and raises `SmsError` otherwise.
    """

    def send(self, *, to: str, text: str) -> None:
        raise NotImplementedError


class HttpSmsBackend(SmsBackend):
    """POSTs `{"to": …, "text": …}` as JSON to `HN_SMS_GATEWAY_URL`, with `Authorization: Bearer
    HN_SMS_GATEWAY_TOKEN` when a token is set. Any 2xx answer means accepted; anything else, a
    connection error or no answer within `HN_SMS_GATEWAY_TIMEOUT_SECONDS` raises `SmsError`.

    requests rather than urllib: connection pooling per process, and timeouts that cover connect
    and read alike.
    """

    # One session (connection pool) per thread: a threads-pool worker sends from several at once.
    _local = threading.local()

    @classmethod
    def _session(cls) -> requests.Session:
        if not hasattr(cls._local, "session"):
            cls._local.session = requests.Session()
        return cls._local.session

    def send(self, *, to: str, text: str) -> None:
        headers = {"Accept": "application/json"}
        if settings.HN_SMS_GATEWAY_TOKEN:
            headers["Authorization"] = f"Bearer {settings.HN_SMS_GATEWAY_TOKEN}"
        try:
            response = self._session().post(
                settings.HN_SMS_GATEWAY_URL,
                json={"to": to, "text": text},
                headers=headers,
                timeout=settings.HN_SMS_GATEWAY_TIMEOUT_SECONDS,
            )
        except requests.RequestException as error:
            raise SmsError(f"SMS-gatewayen svarte ikke: {type(error).__name__}") from error
        if not 200 <= response.status_code < 300:
            raise SmsError(f"SMS-gatewayen svarte HTTP {response.status_code}: {response.text[:200]}")


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
