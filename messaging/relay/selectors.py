"""Reads of the relay's state: one message's status, the queues' health, the dead letters.

Each side's rows are in its own store (messaging/relay/stores.py). `envelope_for` reads the
caller's side; the operators' reads (`relay_status`, `dead_letters`, `transport_errors`) walk
the side they are given, or both, and the rows they return carry their store
(`row._state.db`, `stores.store_side`), since an id names a row only within its store.
"""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Min, QuerySet
from django.utils import timezone

from messaging.models import (
    Envelope,
    EnvelopeKind,
    EnvelopeState,
    TransportErrorMessage,
    TransportErrorOutcome,
    queue_name,
)
from messaging.relay.stores import RELAY_SIDES, relay_db


def _sides(side: str | None) -> tuple[str, ...]:
    return RELAY_SIDES if side is None else (side,)


def envelope_for(msg_id: str, *, side: str) -> Envelope | None:
    """The outbox row of a message or request `side` sent (state, error_text, timestamps)."""
    return (
        Envelope.objects.using(relay_db(side))
        .filter(side=side, msg_id=msg_id, kind__in=[EnvelopeKind.MESSAGE, EnvelopeKind.REQUEST])
        .order_by("pk")
        .first()
    )


@dataclass(frozen=True)
class RelayStatus:
    counts: dict[str, dict[str, int]]  # queue → {state: count}
    oldest_pending_seconds: float | None  # the longest a due, queued row has waited
    oldest_pending_queue: str | None
    stuck: bool  # a due row has waited longer than the threshold: no worker is consuming
    threshold_seconds: float
    dead: int
    transport_errors: int = 0  # error messages received on the sides' `_error` queues
    transport_errors_unfiled: int = 0  # of those, the ones no sent message of ours matched


def relay_status(*, threshold_seconds: float | None = None, side: str | None = None) -> RelayStatus:
    """The queues' health from `side`'s store, or from both added up (None)."""
    now = timezone.now()
    threshold = settings.HN_RELAY_STALE_SECONDS if threshold_seconds is None else threshold_seconds
    counts: dict[str, dict[str, int]] = {}
    oldest: datetime.datetime | None = None
    queue = None
    dead = errors = unfiled = 0
    for each in _sides(side):
        envelopes = Envelope.objects.using(relay_db(each))
        for row in envelopes.values("to_side", "channel", "state").annotate(n=Count("pk")).order_by():
            states = counts.setdefault(queue_name(row["to_side"], row["channel"]), {})
            states[row["state"]] = states.get(row["state"], 0) + row["n"]
        pending = (
            envelopes.filter(state=EnvelopeState.QUEUED, next_attempt_at__lte=now)
            .exclude(kind=EnvelopeKind.REPLY)
            .values("to_side", "channel")
            .annotate(since=Min("next_attempt_at"))
            .order_by("since")
            .first()
        )
        if pending and (oldest is None or pending["since"] < oldest):
            oldest = pending["since"]
            queue = queue_name(pending["to_side"], pending["channel"])
        dead += envelopes.filter(state=EnvelopeState.DEAD).count()
        transport = TransportErrorMessage.objects.using(relay_db(each))
        errors += transport.count()
        unfiled += transport.exclude(outcome__in=[TransportErrorOutcome.FILED, TransportErrorOutcome.SETTLED]).count()
    waited = None if oldest is None else (now - oldest).total_seconds()
    return RelayStatus(
        counts=counts,
        oldest_pending_seconds=waited,
        oldest_pending_queue=queue,
        stuck=waited is not None and waited > threshold,
        threshold_seconds=threshold,
        dead=dead,
        transport_errors=errors,
        transport_errors_unfiled=unfiled,
    )


def dead_letters(*, limit: int = 100, side: str | None = None) -> list[Envelope]:
    """The dead letters in `side`'s store, or in both (None), oldest death first."""
    rows: list[Envelope] = []
    for each in _sides(side):
        rows += (
            Envelope.objects.using(relay_db(each)).filter(state=EnvelopeState.DEAD).order_by("dead_at", "pk")[:limit]
        )

    def death(row: Envelope) -> tuple[bool, float, int]:
        return row.dead_at is None, row.dead_at.timestamp() if row.dead_at else 0.0, row.pk

    return sorted(rows, key=death)[:limit]


def transport_errors(
    *, limit: int = 100, unfiled: bool = False, side: str | None = None
) -> list[TransportErrorMessage]:
    """The transport error messages received, newest first; `unfiled`: only those matching nothing we sent."""
    rows: list[TransportErrorMessage] = []
    for each in _sides(side):
        errors = TransportErrorMessage.objects.using(relay_db(each)).all()
        if unfiled:
            errors = errors.exclude(outcome__in=[TransportErrorOutcome.FILED, TransportErrorOutcome.SETTLED])
        rows += errors.order_by("-received_at", "-pk")[:limit]
    return sorted(rows, key=lambda row: (row.received_at, row.pk), reverse=True)[:limit]


def envelopes_unsettled(*, side: str, since: datetime.datetime | None = None) -> QuerySet[Envelope]:
    """Messages `side` sent that are still on their way (queued or waiting for their AppRec)."""
    rows = Envelope.objects.using(relay_db(side)).filter(
        side=side, kind=EnvelopeKind.MESSAGE, state__in=[EnvelopeState.QUEUED, EnvelopeState.SENT]
    )
    return rows.filter(queued_at__gte=since) if since else rows
