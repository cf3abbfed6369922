"""A raw yardstick for the relay benchmark: publish, consume and accept, one message at a time."""

from __future__ import annotations

import os
import time
import uuid

from messaging.transport.base import Transport
from messaging.transport.envelope import new_message


def amqp_round_trip_rate(
    seconds: float, payload_size: int, transport: Transport | None = None, *, batch: int = 1
) -> float:
    """Messages per second through publish → receive → accept on the configured broker.

    Each message carries every envelope property and a random body of `payload_size` bytes
    (standing in for the CMS blob), on a scratch queue deleted afterwards. With `batch` = 1 a
    message is published only after the previous one was accepted (the latency-bound rate);
    a larger batch is published with one `publish_many` (every message confirmed) and taken
    with `receive_many` and settled together, as the relay's workers do.
    """
    if seconds <= 0 or payload_size < 0 or batch < 1:
        raise ValueError("seconds must be positive, payload_size not negative and batch at least 1")
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
            sent = [str(uuid.uuid4()) for _ in range(batch)]
            messages = [
                new_message(
                    message_id=message_id,
                    subject="DIALOG_INNBYGGER_TEST",
                    from_her_id=1,
                    to_her_id=2,
                    to=queue,
                    reply_to="1_async",
                    body=body,
                )
                for message_id in sent
            ]
            if batch == 1:
                active.publish(messages[0])
            else:
                errors = [error for error in active.publish_many(messages) if error is not None]
                if errors:
                    raise errors[0]
            received: list[str] = []
            with active.settling_batch():
                while len(received) < batch:
                    deliveries = active.receive_many(queue, batch - len(received), 10.0, expected=batch - len(received))
                    if not deliveries:
                        break
                    for delivery in deliveries:
                        received.append(delivery.message.message_id)
                        active.accept(delivery)
            if sorted(received) != sorted(sent):
                raise RuntimeError(f"the yardstick lost messages on {queue}: {len(received)} of {batch} came back")
            done += batch
        return done / (time.perf_counter() - start)
    finally:
        active.delete_queues([queue])
        if owned:
            active.close()
