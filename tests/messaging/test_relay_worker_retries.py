"""Relay flows that need workers of their own: custom retry settings, a side that starts late.

Kept apart from test_relay_workers.py, whose module-wide workers would otherwise compete.
"""

import time

import pytest

from epj.models import JournalEntry
from epj.services import epj_outage_end, epj_outage_start
from messaging.models import Envelope, EnvelopeKind, EnvelopeState
from messaging.relay import RelayTimeout, clinic_party, edge, envelope_for, relay_ping
from messaging.relay.handover import dead_queue_replay
from messaging.relay.kicks import relay_kick
from messaging.relay.probe import probe_ekontakt
from messaging.transport.envelope import async_queue, dead_letter_queue, sync_queue
from tests.messaging.relay_support import gp_with_patient, patient_of, send, settled
from tests.stores import relay_get, relay_rows
from tests.workers import celery_workers, wait_until

pytestmark = [pytest.mark.workers, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def clinic():
    service, nora = gp_with_patient()
    return service, patient_of(nora)


def test_dead_letter_after_the_bounded_retries_then_replay(django_db_setup, clinic):
    service, patient = clinic
    epj_outage_start(reason="EPJ nede")
    queue = async_queue(service.organisation.her_id)
    env = {
        "HN_TRANSPORT_MAX_DELIVERIES": "3",
        "HN_RELAY_BACKOFF_BASE_SECONDS": "0.1",
        "HN_RELAY_BACKOFF_MAX_SECONDS": "0.5",
    }
    with celery_workers(env=env):
        message = probe_ekontakt(receiver=clinic_party(service=service), patient=patient)
        send(message)
        # Released after each failure, delivered again after a back-off, then dead-lettered.
        wait_until(
            lambda: edge.transport().queue_depths([dead_letter_queue(queue)])[dead_letter_queue(queue)] == 1,
            message="dead letter",
        )
        assert envelope_for(message.msg_id, side="portal").state == EnvelopeState.SENT  # the broker took it
        epj_outage_end()
        assert dead_queue_replay(dead_letter_queue(queue)) == 1
        relay_kick(edge.inbound_kick_queue("epj", "async"), side="epj", force=True)  # the EPJ's consumer
        row = wait_until(lambda: settled(message.msg_id), message="delivery after replay")
        assert row.state == EnvelopeState.DELIVERED
    assert JournalEntry.objects.count() == 1


def test_sync_request_nobody_answered_in_time_is_never_answered(django_db_setup, clinic):
    service, _ = clinic
    with celery_workers(sides=("portal",)) as workers:
        with pytest.raises(RelayTimeout):
            relay_ping(her_id=service.her_id, timeout=0.3)  # nobody serves the EPJ's queue yet
        request = relay_get(Envelope, kept_by="portal", kind=EnvelopeKind.REQUEST)
        assert request.state == EnvelopeState.EXPIRED
        workers.start("epj")  # the EPJ comes back: the request's time to live (the timeout) is over
        relay_kick(edge.inbound_kick_queue("epj", "sync"), side="epj", force=True)
        time.sleep(2)
        assert not relay_rows(Envelope, kind=EnvelopeKind.REPLY, original_msg_id=request.msg_id)
        queue = sync_queue(service.organisation.her_id)
        assert edge.transport().queue_depths([queue])[queue] == 0
