"""Per-batch lookups shared by handlers (docs/relay.md, performance)."""

import pytest
from django.db import transaction

from epj.models import JournalEntry
from epj.services import epj_outage_start
from helsenorge.routers import EPJ_DB
from messaging.models import Envelope, EnvelopeState
from messaging.relay import batch_lookup, clinic_party, edge
from messaging.relay.delivery import relay_deliver_due
from messaging.relay.probe import probe_ekontakt
from messaging.relay.registry import batch_lookups
from messaging.relay.stores import relay_db
from messaging.transport.envelope import async_queue
from tests.messaging.relay_support import gp_with_patient, patient_of, send


@pytest.fixture
def clinic(db):
    return gp_with_patient()


def test_batch_lookup_fetches_once_per_batch_and_forgets_none():
    calls = []

    def fetch(value):
        calls.append(value)
        return value

    assert batch_lookup("k", lambda: fetch(1)) == 1 and batch_lookup("k", lambda: fetch(2)) == 2  # no batch
    with batch_lookups():
        assert batch_lookup("k", lambda: fetch(3)) == 3
        assert batch_lookup("k", lambda: fetch(4)) == 3
        assert batch_lookup("none", lambda: fetch(None)) is None
        assert batch_lookup("none", lambda: fetch(5)) == 5  # None was not remembered
    with batch_lookups():
        assert batch_lookup("k", lambda: fetch(6)) == 6  # a new batch starts empty
    assert calls == [1, 2, 3, None, 5, 6]


def test_a_batch_files_each_message_once_with_shared_lookups(clinic):
    service, nora = clinic
    receiver = clinic_party(service=service)
    messages = [probe_ekontakt(receiver=receiver, patient=patient_of(nora)) for _ in range(5)]
    for message in messages:
        send(message)
    assert relay_deliver_due(side="epj", channel="async") == 5
    relay_deliver_due(side="portal", channel="async")
    assert JournalEntry.objects.filter(msg_id__in=[m.msg_id for m in messages]).count() == 5
    outbox = Envelope.objects.using(relay_db("portal"))
    states = set(outbox.filter(msg_id__in=[m.msg_id for m in messages]).values_list("state", flat=True))
    assert states == {EnvelopeState.DELIVERED}


def test_an_outage_is_seen_by_the_next_batch(clinic):
    service, nora = clinic
    receiver = clinic_party(service=service)
    first = probe_ekontakt(receiver=receiver, patient=patient_of(nora))
    send(first)
    relay_deliver_due(side="epj", channel="async")
    with transaction.atomic(using=EPJ_DB):
        epj_outage_start(reason="Oppgradering")
    second = probe_ekontakt(receiver=receiver, patient=patient_of(nora))
    send(second)
    relay_deliver_due(side="epj", channel="async")
    assert JournalEntry.objects.filter(msg_id=first.msg_id).exists()
    assert not JournalEntry.objects.filter(msg_id=second.msg_id).exists()
    # The EPJ could not file it: the delivery was released and waits on its queue for the next run.
    queue = async_queue(service.organisation.her_id)
    assert edge.transport().queue_depths([queue])[queue] == 1 or edge.transport().receive(queue, 1.0) is not None
    assert (
        Envelope.objects.using(relay_db("portal")).get(side="portal", msg_id=second.msg_id).state == EnvelopeState.SENT
    )
