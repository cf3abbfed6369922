import os
import uuid

from celery import Celery
from kombu.transport import TRANSPORT_ALIASES, filesystem

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helsenorge.settings")


class _AtomicFilesystemChannel(filesystem.Channel):
    """kombu's filesystem channel, but a message file appears only once it is complete.

    Stock kombu creates the file, then writes it; a polling worker can move the empty file
    away in between and die on the JSON ("Unrecoverable error"). Writing under a name no
    queue matches and renaming it into place makes the message appear whole or not at all.
    """

    def _put(self, queue, payload, **kwargs):
        final = os.path.join(
            self.data_folder_out, f"{int(round(filesystem.monotonic() * 1000))}_{uuid.uuid4()}.{queue}.msg"
        )
        partial = os.path.join(self.data_folder_out, f".partial-{uuid.uuid4()}")
        try:
            with open(partial, "wb") as f:
                f.write(filesystem.str_to_bytes(filesystem.dumps(payload)))
            os.replace(partial, final)
        except OSError as exc:
            raise filesystem.ChannelError(f"Cannot add file {final!r} to directory") from exc


class AtomicFilesystemTransport(filesystem.Transport):
    Channel = _AtomicFilesystemChannel


# "filesystem://" (the embedded broker) now means the atomic variant.
TRANSPORT_ALIASES["filesystem"] = "helsenorge.celery:AtomicFilesystemTransport"

app = Celery("helsenorge")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
