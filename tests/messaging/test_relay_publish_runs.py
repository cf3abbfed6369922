"""A publish run over the transport: one run at a time per queue while sends keep coming.

The run keeps the queue's kick flag set while its claims still find rows, so the senders enqueue
no second run; it clears the flag once a claim comes back empty, and claims once more after that
(messaging/relay/handover.py, `_drain_holding_kick`). A consumer publishing between its batches
leaves the flag alone (`outbox_publish_ready`).
"""

import pytest
from django.utils import timezone

from messaging.models import Envelope, EnvelopeState, RelayQueueKick
from messaging.relay import clinic_party, kicks
from messaging.relay.handover import _drain_holding_kick, outbox_publish_due, outbox_publish_ready
from messaging.relay.probe import probe_ekontakt
from messaging.relay.stores import relay_db
from tests.messaging.relay_support import gp_with_patient, patient_of, send
from tests.stores import relay_rows

QUEUE = "epj.async"
# Rows addressed to the EPJ are published by the portal's worker: the run is the portal's, and so is
# the queue's kick flag, in the portal's store (messaging/relay/kicks.py).
PUBLISHER = "portal"
KICK_STORE = relay_db(PUBLISHER)


@pytest.fixture
def enqueued(monkeypatch):
    """The publish tasks the kicks would have enqueued (none reaches a broker)."""
    tasks: list[str] = []
    monkeypatch.setattr(kicks, "_enqueue", lambda queue, countdown: tasks.append(queue))
    return tasks


def _kicked() -> None:
    RelayQueueKick.objects.using(KICK_STORE).update_or_create(
        queue=QUEUE, defaults={"pending": True, "kicked_at": timezone.now()}
    )


def _pending() -> bool:
    return RelayQueueKick.objects.using(KICK_STORE).get(queue=QUEUE).pending


def _run(claims: list[int], *, limit: int = 10, out_of_time=lambda: False) -> list[bool]:
    """Drain with claims that find `claims` rows in turn; whether the flag was set at each claim."""
    seen: list[bool] = []

    def claim() -> int:
        seen.append(_pending())
        return claims[len(seen) - 1]

    _drain_holding_kick(QUEUE, claim, side=PUBLISHER, limit=limit, out_of_time=out_of_time)
    return seen


@pytest.mark.django_db
def test_the_run_keeps_the_flag_set_while_its_claims_find_rows_and_claims_once_more_after_clearing_it():
    _kicked()
    # Three claims find rows (the flag stays set: a sender meanwhile enqueues nothing), the fourth
    # finds none, so the flag is cleared, and the fifth claim sees what was committed up to then.
    assert _run([3, 1, 2, 0, 0]) == [True, True, True, True, False]
    assert not _pending()


@pytest.mark.django_db
def test_after_clearing_the_flag_the_run_leaves_on_a_short_claim_but_not_on_a_full_one():
    _kicked()
    assert _run([0, 10, 4], limit=10) == [True, False, False]  # a full batch after the clear: claim again
    _kicked()
    assert _run([0, 4, 9], limit=10) == [True, False]  # 4 < 10: drained as of a claim after the clear


@pytest.mark.django_db
def test_a_send_while_the_run_holds_the_flag_starts_no_second_run(enqueued, django_capture_on_commit_callbacks):
    service, nora = gp_with_patient()
    _kicked()
    sent: list[int] = []

    def claim() -> int:
        if not sent:  # a citizen sends while the run is going
            with django_capture_on_commit_callbacks(execute=True):
                message = probe_ekontakt(receiver=clinic_party(service=service), patient=patient_of(nora))
                sent.append(send(message).pk)
            return 1
        return 0

    _drain_holding_kick(QUEUE, claim, side=PUBLISHER, limit=10, out_of_time=lambda: False)
    assert sent and enqueued == []


@pytest.mark.django_db
def test_a_run_out_of_time_kicks_its_successor(enqueued):
    _kicked()
    assert _run([10, 10, 10], limit=10, out_of_time=lambda: True) == [True]
    assert enqueued == [QUEUE] and _pending()


@pytest.mark.django_db
def test_a_run_that_fails_clears_the_flag_so_that_later_sends_kick_again():
    _kicked()

    def claim() -> int:
        raise RuntimeError("database gone")

    with pytest.raises(RuntimeError):
        _drain_holding_kick(QUEUE, claim, side=PUBLISHER, limit=10, out_of_time=lambda: False)
    assert not _pending()


@pytest.mark.django_db
def test_the_publish_run_publishes_and_clears_the_flag_while_publishing_between_batches_leaves_it(enqueued):
    service, nora = gp_with_patient()
    for _ in range(2):
        send(probe_ekontakt(receiver=clinic_party(service=service), patient=patient_of(nora)))
    _kicked()
    assert outbox_publish_ready(to_side="epj") == 2  # a consumer between its batches
    assert _pending()  # still the promise of the run that was kicked
    send(probe_ekontakt(receiver=clinic_party(service=service), patient=patient_of(nora)))
    assert outbox_publish_due(to_side="epj") == 1
    assert not _pending()
    assert not relay_rows(Envelope, to_side="epj", state=EnvelopeState.QUEUED)
    assert not RelayQueueKick.objects.using(relay_db("epj")).filter(queue=QUEUE).exists()  # not the EPJ's flag
