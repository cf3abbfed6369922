"""Relay flows that need workers of their own: custom retry settings, a side that starts late.

Kept apart from test_relay_workers.py, whose module-wide workers would otherwise compete.
"""

import pytest

from epj.models import JournalEntry
from epj.services import epj_outage_end, epj_outage_start
from messaging.models import Envelope, EnvelopeKind, EnvelopeState
from messaging.relay import RelayTimeout, clinic_party, envelope_replay, relay_ping
from messaging.relay.probe import probe_ekontakt
from tests.messaging.relay_support import gp_with_patient, patient_of, send, settled
from tests.workers import celery_workers, wait_until

pytestmark = [pytest.mark.workers, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def clinic():
    service, nora = gp_with_patient()
    return service, patient_of(nora)


def test_dead_letter_after_the_bounded_retries_then_replay(django_db_setup, clinic):
    service, patient = clinic
    epj_outage_start(reason="EPJ nede")
    env = {"HN_RELAY_MAX_ATTEMPTS": "3", "HN_RELAY_BACKOFF_BASE_SECONDS": "0.1", "HN_RELAY_BACKOFF_MAX_SECONDS": "0.5"}
    with celery_workers(env=env):
        message = probe_ekontakt(receiver=clinic_party(service=service), patient=patient)
        send(message)
        row = wait_until(lambda: settled(message.msg_id), message="dead letter")
        assert (row.state, row.attempts) == (EnvelopeState.DEAD, 3)
        assert "EPJ nede" in row.error_text
        epj_outage_end()
        assert envelope_replay(envelope_id=row.pk)
        row = wait_until(lambda: settled(message.msg_id), message="delivery after replay")
        assert row.state == EnvelopeState.DELIVERED
    assert JournalEntry.objects.count() == 1


def test_sync_reply_after_the_timeout_is_discarded(django_db_setup, clinic):
    service, _ = clinic
    with celery_workers(sides=("portal",)) as workers:
        with pytest.raises(RelayTimeout):
            relay_ping(her_id=service.her_id, timeout=0.3)  # nobody serves the EPJ's queue yet
        request = Envelope.objects.get(kind=EnvelopeKind.REQUEST)
        assert request.state == EnvelopeState.EXPIRED
        workers.start("epj")  # the EPJ comes back and answers late
        reply = wait_until(
            lambda: Envelope.objects.filter(kind=EnvelopeKind.REPLY, original_msg_id=request.msg_id).first(),
            message="the late reply",
        )
        assert reply.state == EnvelopeState.DISCARDED
