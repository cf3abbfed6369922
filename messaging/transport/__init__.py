"""The national transport: AMQP 1.0 queues per communication party, or the embedded stand-in.

``get_transport()`` returns a new transport for the calling thread, chosen by the
``HN_TRANSPORT`` setting (``embedded`` by default, ``amqp`` for RabbitMQ). See docs/transport.md.
"""

from __future__ import annotations

from messaging.transport.base import (
    AlreadySettled,
    Delivery,
    PublishError,
    RejectMessage,
    RetryPolicy,
    Transport,
    TransportError,
)
from messaging.transport.envelope import TransportMessage

__all__ = [
    "AlreadySettled",
    "Delivery",
    "PublishError",
    "RejectMessage",
    "RetryPolicy",
    "Transport",
    "TransportError",
    "TransportMessage",
    "get_transport",
]


def get_transport(kind: str | None = None) -> Transport:
    """A new transport as configured (`kind` overrides ``HN_TRANSPORT``); close it when done."""
    from django.conf import settings

    chosen = kind or settings.HN_TRANSPORT
    if chosen == "amqp":
        from messaging.transport.amqp import AmqpTransport

        return AmqpTransport(
            settings.HN_AMQP_URL,
            max_deliveries=settings.HN_TRANSPORT_MAX_DELIVERIES,
            timeout=settings.HN_AMQP_TIMEOUT_SECONDS,
        )
    if chosen == "embedded":
        from messaging.transport.embedded import EmbeddedTransport

        return EmbeddedTransport(
            settings.HN_TRANSPORT_DIR,
            max_deliveries=settings.HN_TRANSPORT_MAX_DELIVERIES,
            lease_seconds=settings.HN_TRANSPORT_LEASE_SECONDS,
        )
    raise ValueError(f"unknown transport {chosen!r}; expected 'embedded' or 'amqp'")
