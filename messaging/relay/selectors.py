"""Reads of the relay's state: one message's status, the queues' health, the dead letters."""

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


def envelope_for(msg_id: str) -> Envelope | None:
    """The outbox row of a message or request the caller sent (state, error_text, timestamps)."""
    return (
        Envelope.objects.filter(msg_id=msg_id, kind__in=[EnvelopeKind.MESSAGE, EnvelopeKind.REQUEST])
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


def relay_status(*, threshold_seconds: float | None = None) -> RelayStatus:
    now = timezone.now()
    threshold = settings.HN_RELAY_STALE_SECONDS if threshold_seconds is None else threshold_seconds
    counts: dict[str, dict[str, int]] = {}
    rows = Envelope.objects.values("to_side", "channel", "state").annotate(n=Count("pk")).order_by()
    for row in rows:
        counts.setdefault(queue_name(row["to_side"], row["channel"]), {})[row["state"]] = row["n"]
    pending = (
        Envelope.objects.filter(state=EnvelopeState.QUEUED, next_attempt_at__lte=now)
        .exclude(kind=EnvelopeKind.REPLY)
        .values("to_side", "channel")
        .annotate(since=Min("next_attempt_at"))
        .order_by("since")
        .first()
    )
    oldest = queue = None
    if pending:
        oldest = (now - pending["since"]).total_seconds()
        queue = queue_name(pending["to_side"], pending["channel"])
    return RelayStatus(
        counts=counts,
        oldest_pending_seconds=oldest,
        oldest_pending_queue=queue,
        stuck=oldest is not None and oldest > threshold,
        threshold_seconds=threshold,
        dead=Envelope.objects.filter(state=EnvelopeState.DEAD).count(),
        transport_errors=TransportErrorMessage.objects.count(),
        transport_errors_unfiled=TransportErrorMessage.objects.exclude(
            outcome__in=[TransportErrorOutcome.FILED, TransportErrorOutcome.SETTLED]
        ).count(),
    )


def dead_letters(*, limit: int = 100) -> QuerySet[Envelope]:
    return Envelope.objects.filter(state=EnvelopeState.DEAD).order_by("dead_at", "pk")[:limit]


def transport_errors(*, limit: int = 100, unfiled: bool = False) -> QuerySet[TransportErrorMessage]:
    """The transport error messages received, newest first; `unfiled`: only those matching nothing we sent."""
    rows = TransportErrorMessage.objects.all()
    if unfiled:
        rows = rows.exclude(outcome__in=[TransportErrorOutcome.FILED, TransportErrorOutcome.SETTLED])
    return rows.order_by("-received_at", "-pk")[:limit]


def envelopes_unsettled(*, since: datetime.datetime | None = None) -> QuerySet[Envelope]:
    """Messages still on their way (queued or waiting for their AppRec)."""
    rows = Envelope.objects.filter(kind=EnvelopeKind.MESSAGE, state__in=[EnvelopeState.QUEUED, EnvelopeState.SENT])
    return rows.filter(queued_at__gte=since) if since else rows
