"""Batch-aware handlers: prefetch, deferred inserts and settled originals (docs/relay.md, performance).

In the optimistic pass of a delivery batch the handlers' rows are inserted with one statement
per model and the originals settled with one UPDATE per outcome. These tests pin down that the
results are the same as one document at a time would give — same rows, same links, same
states — including when documents of one batch depend on each other or one of them fails.
"""

import pytest
from django.db import connections
from django.utils import timezone

from epj.desk.models import Case, CaseKind, DeskMessage
from epj.models import JournalEntry
from messaging.codec import codes
from messaging.models import Envelope, EnvelopeState
from messaging.relay import batch_insert, batch_lookup, batch_remember, clinic_party
from messaging.relay.delivery import relay_deliver_due
from messaging.relay.handover import inbox_consume_due, outbox_publish_due
from messaging.relay.probe import probe_ekontakt
from messaging.relay.registry import batch_flush, batch_lookups
from messaging.relay.stores import relay_db
from tests import factories as f
from tests.messaging.relay_support import gp_with_patient, patient_of, send
from tests.stores import StoreQueries


@pytest.fixture
def clinic(db):
    return gp_with_patient()


def _messages(service, person, n):
    receiver = clinic_party(service=service)
    return [probe_ekontakt(receiver=receiver, patient=patient_of(person), subject=f"Spørsmål {i}") for i in range(n)]


def test_deferred_inserts_wait_for_the_flush_and_children_get_their_parents_ids(clinic):
    service, nora = clinic
    with batch_lookups(defer=True):
        case = Case(
            organisation=service.organisation,
            service=service,
            kind=CaseKind.EKONTAKT,
            conversation_ref="c-1",
            subject="Emne",
            patient_nin=nora.nin,
            patient_name="Nora Nordmann",
        )
        # The child is handed over before its parent: the flush must still insert the parent first.
        message = batch_insert(DeskMessage(case=case, direction=DeskMessage.Direction.IN, msg_id="m-1", subject="Emne"))
        batch_insert(case)
        assert case.pk is None and not Case.objects.filter(conversation_ref="c-1").exists()
        batch_flush()
    assert DeskMessage.objects.get(pk=message.pk).case_id == case.pk == Case.objects.get(conversation_ref="c-1").pk


def test_outside_the_optimistic_pass_inserts_are_immediate_and_nothing_is_remembered(clinic):
    service, nora = clinic
    for scope in (None, batch_lookups(defer=False)):
        if scope:
            scope.__enter__()
        case = batch_insert(
            Case(
                organisation=service.organisation,
                service=service,
                kind=CaseKind.EKONTAKT,
                conversation_ref=f"c-{scope is None}",
                subject="Emne",
                patient_nin=nora.nin,
                patient_name="Nora Nordmann",
            )
        )
        assert case.pk is not None
        batch_remember("key", "remembered")
        assert batch_lookup("key", lambda: "fetched") == "fetched"
        # The default argument binds this iteration's case.
        assert batch_lookup("changing", lambda case=case: case, changing=True) is case  # type: ignore[misc]
        assert batch_lookup("changing", lambda: "again", changing=True) == "again"  # not remembered
        if scope:
            scope.__exit__(None, None, None)


def test_two_messages_of_one_new_conversation_in_one_batch_share_one_case(clinic):
    service, nora = clinic
    first, second = _messages(service, nora, 2)
    second.conversation_ref, second.parent_ref = first.msg_id, first.msg_id
    send(first)
    send(second)
    assert relay_deliver_due(side="epj", channel="async") == 2
    case = Case.objects.get(conversation_ref=first.msg_id)
    assert case.state == Case.State.NEW and case.waiting_since is not None and case.due_at is not None
    assert sorted(case.messages.values_list("msg_id", flat=True)) == sorted([first.msg_id, second.msg_id])
    assert JournalEntry.objects.filter(msg_id__in=[first.msg_id, second.msg_id]).count() == 2
    assert Case.objects.count() == 1


def test_a_message_continuing_an_existing_case_updates_it_in_the_batch(clinic):
    service, nora = clinic
    first, second, other = _messages(service, nora, 3)
    send(first)
    relay_deliver_due(side="epj", channel="async")
    case = Case.objects.get(conversation_ref=first.msg_id)
    Case.objects.filter(pk=case.pk).update(waiting_since=None, due_at=None, state=Case.State.ANSWERED)
    second.conversation_ref = first.msg_id
    send(second)
    send(other)
    assert relay_deliver_due(side="epj", channel="async") == 2
    case.refresh_from_db()
    assert case.state == Case.State.NEW and case.waiting_since is not None
    assert case.messages.count() == 2 and Case.objects.count() == 2


def test_a_rejected_document_leaves_the_rest_of_its_batch_filed(clinic):
    service, nora = clinic
    stranger = f.PersonFactory()  # in the population register, not a patient at this clinic
    good, bad, also_good = _messages(service, nora, 3)
    bad.patient = patient_of(stranger)
    for message in (good, bad, also_good):
        send(message)
    assert relay_deliver_due(side="epj", channel="async") == 3
    filed = set(JournalEntry.objects.values_list("msg_id", flat=True))
    assert filed == {good.msg_id, also_good.msg_id}
    assert set(Case.objects.values_list("conversation_ref", flat=True)) == {good.msg_id, also_good.msg_id}
    relay_deliver_due(side="portal", channel="async")
    rows = {
        row.msg_id: row
        for row in Envelope.objects.using(relay_db("portal")).filter(
            side="portal", msg_id__in=[good.msg_id, bad.msg_id, also_good.msg_id]
        )
    }
    assert rows[bad.msg_id].state == EnvelopeState.REJECTED and rows[bad.msg_id].rejected_at is not None
    assert rows[bad.msg_id].apprec_status == codes.STATUS_REJECTED and "E35" in rows[bad.msg_id].error_text
    for msg_id in (good.msg_id, also_good.msg_id):
        row = rows[msg_id]
        assert row.state == EnvelopeState.DELIVERED and row.delivered_at and row.sent_at and not row.claimed_by
        assert row.apprec_status == codes.STATUS_OK and row.error_text == ""


def test_a_message_to_a_closed_conversation_is_refused_within_a_batch(clinic):
    service, nora = clinic
    first, late, fresh = _messages(service, nora, 3)
    send(first)
    relay_deliver_due(side="epj", channel="async")
    Case.objects.filter(conversation_ref=first.msg_id).update(state=Case.State.CLOSED)
    late.conversation_ref = first.msg_id
    send(late)
    send(fresh)
    relay_deliver_due(side="epj", channel="async")
    relay_deliver_due(side="portal", channel="async")
    outbox = Envelope.objects.using(relay_db("portal"))
    assert outbox.get(side="portal", msg_id=late.msg_id).state == EnvelopeState.REJECTED
    assert outbox.get(side="portal", msg_id=fresh.msg_id).state == EnvelopeState.DELIVERED
    assert not DeskMessage.objects.filter(msg_id=late.msg_id).exists()


def _delivery_statements(side, n_before):
    """The statements `side`'s consumer runs to file one batch of `n_before` documents. The
    sender's rows are in its own store and reach `side` only over the transport, so they are
    published first (not counted); the consumer's statements are counted in both stores."""
    assert outbox_publish_due(to_side=side, worker="w", budget_seconds=3600) == n_before
    with StoreQueries() as queries:
        # A budget no slow machine runs out of: a run out of time kicks its successor, statements
        # of the run's, not of the batch's.
        assert inbox_consume_due(side=side, channel="async", budget_seconds=3600) == n_before
    return len(queries)


@pytest.mark.parametrize("side", ["epj", "portal"])
def test_a_batch_costs_the_same_statements_for_3_and_for_30_messages(clinic, side):
    """No per-message statements on either side once the batch's reads are prefetched."""
    service, nora = clinic
    counts = []
    for n in (3, 30):
        for message in _messages(service, nora, n):
            send(message)
        if side == "portal":
            relay_deliver_due(side="epj", channel="async")
        counts.append(_delivery_statements(side, n))
        if side == "epj":
            relay_deliver_due(side="portal", channel="async")
    assert counts[1] == counts[0], counts
    assert JournalEntry.objects.count() == 33


def test_a_failing_prefetcher_sends_the_batch_the_careful_way(clinic):
    """A prefetcher that raises costs the batch its shortcut, not its delivery."""
    from messaging.relay.routing import Prefetch
    from tests.messaging.routing_support import routes_added

    service, nora = clinic
    messages = _messages(service, nora, 3)
    for message in messages:
        send(message)

    def broken(documents):
        raise RuntimeError("prefetch bug")

    with routes_added("epj", Prefetch(broken)):
        assert relay_deliver_due(side="epj", channel="async") == 3
    assert JournalEntry.objects.filter(msg_id__in=[m.msg_id for m in messages]).count() == 3
    assert Case.objects.count() == 3


def test_a_batch_of_apprecs_is_one_insert_and_keeps_every_payload_byte(clinic):
    """The payload column has no per-value placeholder hook, so PostgreSQL bulk-inserts the
    batch's AppRecs as one UNNEST of arrays; the bytes come back as they went in."""
    service, nora = clinic
    for message in _messages(service, nora, 4):
        send(message)
    with StoreQueries() as captured:  # the AppRecs go into the EPJ's outbox, in its store
        assert relay_deliver_due(side="epj", channel="async") == 4
    inserts = [q for q in captured.captured_queries if q["sql"].startswith('INSERT INTO "messaging_envelope"')]
    assert len(inserts) == 1
    if connections[inserts[0]["alias"]].vendor == "postgresql":
        assert "UNNEST" in inserts[0]["sql"]
    payload = bytes(range(256)) * 3  # every byte value, NUL included
    outbox = Envelope.objects.using(relay_db("portal"))
    outbox.bulk_create(
        [
            Envelope(
                side="portal",
                to_side="epj",
                msg_id=f"bytes-{i}",
                payload=payload,
                next_attempt_at=timezone.now(),
                queued_at=timezone.now(),
            )
            for i in range(3)
        ]
    )
    assert {bytes(p) for p in outbox.filter(msg_id__startswith="bytes-").values_list("payload", flat=True)} == {payload}
