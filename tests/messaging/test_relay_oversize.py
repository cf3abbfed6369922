"""A document over HN_XML_MAX_BYTES: refused after reading at most limit + 1 bytes, dead-lettered
as its metadata, size and digest (never its bytes), with peak memory within twice the limit."""

import hashlib
import io
import os
import subprocess
import sys
import textwrap

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from messaging.models import Envelope, EnvelopeState
from messaging.relay import envelope_replay, relay_receive_raw
from messaging.relay.delivery import envelopes_deliver
from messaging.relay.intake import Oversize, payload_read_bounded
from messaging.relay.services import OPERATOR
from messaging.relay.stores import relay_db
from tests.stores import relay_get
from tests.workers import worker_env

MIB = 1024 * 1024


class CountingPipe(io.RawIOBase):
    """A pipe-like stream (no size known) of `size` bytes that counts what is read from it."""

    def __init__(self, size):
        self.left, self.taken = size, 0

    def readable(self):
        return True

    def read(self, n=-1):
        n = self.left if n is None or n < 0 else min(n, self.left)
        self.left -= n
        self.taken += n
        return b"<" * n


def test_a_pipe_is_read_to_one_byte_over_the_limit_and_no_further():
    pipe = CountingPipe(50_000)
    result = payload_read_bounded(pipe, limit=4096)
    assert isinstance(result, Oversize) and result.size is None
    assert pipe.taken == result.read == 4097
    assert result.sha256 == hashlib.sha256(b"<" * 4097).hexdigest()
    # At the limit exactly, the bytes come back whole.
    assert payload_read_bounded(CountingPipe(4096), limit=4096) == b"<" * 4096


def _run_receive(path, *extra) -> tuple[str | int | None, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(SystemExit) as exited:
        call_command("relay", "receive", "--side", "epj", str(path), *extra, stdout=out, stderr=err)
    return exited.value.code, out.getvalue(), err.getvalue()


@pytest.mark.django_db
def test_an_oversize_file_becomes_a_dead_letter_without_its_bytes(tmp_path, settings):
    settings.HN_XML_MAX_BYTES = 4096
    data = b"<MsgHead>" + os.urandom(40_000) + b"</MsgHead>"
    path = tmp_path / "big.xml"
    path.write_bytes(data)

    code, _out, err = _run_receive(path, "--from-her-id", "8093244")

    assert code == 2 and "T99" in err
    # Refused on its way to the EPJ: the dead letter is the receiving side's row.
    dead = relay_get(Envelope, kept_by="epj", state=EnvelopeState.DEAD)
    assert bytes(dead.payload) == b""
    assert dead.payload_size == len(data)
    assert dead.payload_sha256 == hashlib.sha256(data[:4097]).hexdigest()
    assert dead.to_side == "epj" and dead.sender_her_id == 8093244 and dead.dead_at is not None
    assert "T99" in dead.error_text and str(len(data)) in dead.error_text
    # The operators see it, and know there is nothing to send again.
    out = io.StringIO()
    call_command("relay", "dead", stdout=out)
    assert f"epj:{dead.pk} " in out.getvalue() and dead.payload_sha256 in out.getvalue()
    assert not envelope_replay(side="epj", envelope_id=dead.pk)
    assert Envelope.objects.using(relay_db("epj")).get(pk=dead.pk).state == EnvelopeState.DEAD


@pytest.mark.django_db
def test_bytes_already_in_memory_over_the_limit_are_not_stored_either(settings):
    settings.HN_XML_MAX_BYTES = 4096
    data = b"x" * 5000
    receipt = relay_receive_raw(side="epj", payload=data)
    assert receipt.outcome.outcome == "unusable"
    receipt.envelope.refresh_from_db()
    assert bytes(receipt.envelope.payload) == b"" and receipt.envelope.payload_size == 5000
    assert receipt.envelope.payload_sha256 == hashlib.sha256(data).hexdigest()


@pytest.mark.django_db
def test_an_oversize_envelope_on_the_workers_path_is_dead_lettered_as_a_digest(settings):
    """A row already in the relay (no trusted sender to answer) loses its bytes when it dies."""
    settings.HN_XML_MAX_BYTES = 4096
    data = b"<a>" + b"x" * 6000 + b"</a>"
    now = timezone.now()
    # An operator's row received for the EPJ, as `relay receive` keeps it: in the receiver's store.
    envelope = Envelope.objects.using(relay_db("epj")).create(
        side="portal",
        to_side="epj",
        msg_id="oversize-on-the-wire",
        payload=data,
        metadata_trusted=False,
        state=EnvelopeState.QUEUED,
        next_attempt_at=now,
        queued_at=now,
        attempts=1,
        claimed_by=OPERATOR,
        claimed_at=now,
    )
    [(_pk, outcome)] = envelopes_deliver([envelope.pk], side="epj", worker=OPERATOR)
    assert outcome.outcome == "unusable"
    envelope.refresh_from_db()
    assert envelope.state == EnvelopeState.DEAD and bytes(envelope.payload) == b""
    assert envelope.payload_size == len(data) and envelope.payload_sha256 == hashlib.sha256(data).hexdigest()


# --- peak memory, measured in a process of its own ---------------------------------------------

PROBE = textwrap.dedent(
    """
    import resource, sys, tracemalloc
    import django
    django.setup()
    from django.core.management import call_command
    from django.db import connection
    connection.ensure_connection()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    try:
        call_command("relay", "receive", "--side", "epj", sys.argv[1])
        code = 0
    except SystemExit as exited:
        code = exited.code
    traced_peak = tracemalloc.get_traced_memory()[1]
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print("RESULT", code, (after - before) * 1024, traced_peak)
    """
)


def _probe(path, piped: bytes | None = None):
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(path)],
        cwd=settings.BASE_DIR,
        env=worker_env(),
        input=piped,
        capture_output=True,
        timeout=300,
    )
    stdout, stderr = done.stdout.decode(), done.stderr.decode()
    line = next((x for x in stdout.splitlines() if x.startswith("RESULT")), None)
    assert line, stderr[-2000:]
    code, rss_growth, traced_peak = (int(v) for v in line.split()[1:])
    return code, rss_growth, traced_peak


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("source", ["file", "stdin"])
def test_a_40_mib_input_stays_under_twice_the_limit_in_peak_memory(tmp_path, source):
    limit = settings.HN_XML_MAX_BYTES
    assert limit == 10 * MIB  # the documented default this measures against
    path = tmp_path / "huge.xml"
    with path.open("wb") as out:
        out.write(b"<?xml version='1.0'?><MsgHead>")
        for _ in range(40):
            out.write(b"A" * MIB)
        out.write(b"</MsgHead>")

    if source == "file":
        code, rss_growth, traced_peak = _probe(path)
    else:  # through a pipe, whose size nobody knows up front
        code, rss_growth, traced_peak = _probe("-", piped=path.read_bytes())

    assert code == 2  # unusable: dead-lettered
    assert rss_growth < 2 * limit, f"resident memory grew {rss_growth / MIB:.1f} MiB"
    assert traced_peak < 2 * limit, f"Python allocations peaked at {traced_peak / MIB:.1f} MiB"
    dead = relay_get(Envelope, kept_by="epj", state=EnvelopeState.DEAD)  # the receiving side's dead letter
    assert bytes(dead.payload) == b"" and len(dead.payload_sha256) == 64
    assert dead.payload_size == (path.stat().st_size if source == "file" else None)
