import os
import time
import uuid
from typing import Any

from celery import Celery
from kombu.exceptions import ChannelError
from kombu.transport import TRANSPORT_ALIASES, filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helsenorge.settings")


class _AtomicFilesystemChannel(filesystem.Channel):
    """kombu's filesystem channel, but a message file appears only once it is complete.

    Stock kombu creates the file, then writes it; a polling worker can move the empty file
    away in between and die on the JSON ("Unrecoverable error"). Writing under a name no
    queue matches and renaming it into place makes the message appear whole or not at all.
    """

    # Typed as filesystem.Channel._put is; the stubs' base class names the argument differently.
    def _put(self, queue: str, payload: dict[str, Any], **kwargs: Any) -> None:  # type: ignore[override]
        final = os.path.join(self.data_folder_out, f"{int(round(time.monotonic() * 1000))}_{uuid.uuid4()}.{queue}.msg")
        partial = os.path.join(self.data_folder_out, f".partial-{uuid.uuid4()}")
        try:
            with open(partial, "wb") as f:
                f.write(str_to_bytes(dumps(payload)))
            os.replace(partial, final)
        except OSError as exc:
            raise ChannelError(f"Cannot add file {final!r} to directory") from exc


class AtomicFilesystemTransport(filesystem.Transport):
    Channel = _AtomicFilesystemChannel


# "filesystem://" (the embedded broker) now means the atomic variant.
TRANSPORT_ALIASES["filesystem"] = "helsenorge.celery:AtomicFilesystemTransport"

app = Celery("helsenorge")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
