"""A raw yardstick for the relay benchmark: publish, consume and accept, one message at a time."""

from __future__ import annotations

import os
import time
import uuid

from messaging.transport.base import Transport
from messaging.transport.envelope import new_message


def amqp_round_trip_rate(seconds: float, payload_size: int, transport: Transport | None = None) -> float:
    """Messages per second through publish → receive → accept on the configured broker.

    Each message carries every envelope property and a random body of `payload_size` bytes
    (standing in for the CMS blob) on a queue of its own, which is left empty.
    """
    if seconds <= 0 or payload_size < 0:
        raise ValueError("seconds must be positive and payload_size not negative")
    from messaging.transport import get_transport

    owned = transport is None
    active = transport or get_transport()
    queue = f"yardstick-{uuid.uuid4().hex[:12]}"
    body = os.urandom(payload_size)
    try:
        done = 0
        start = time.perf_counter()
        end = start + seconds
        while time.perf_counter() < end:
            message_id = str(uuid.uuid4())
            active.publish(
                new_message(
                    message_id=message_id,
                    subject="DIALOG_INNBYGGER_TEST",
                    from_her_id=1,
                    to_her_id=2,
                    to=queue,
                    reply_to="1_async",
                    body=body,
                )
            )
            delivery = active.receive(queue, 10.0)
            if delivery is None or delivery.message.message_id != message_id:
                raise RuntimeError(f"the yardstick lost message {message_id} on {queue}")
            active.accept(delivery)
            done += 1
        return done / (time.perf_counter() - start)
    finally:
        if owned:
            active.close()
