"""Celery tasks of the relay and the notice outbox. Thin: they take ids or queue names, not objects,
and are safe to run twice."""

from celery import shared_task
from django.conf import settings

from messaging.notifications import notice_deliver, notices_due
from messaging.relay.delivery import relay_sweep
from messaging.relay.handover import inbox_consume_due, outbox_publish_due
from messaging.relay.retention import envelopes_purge


@shared_task(name="relay.deliver", ignore_result=True)
def relay_deliver(side: str, channel: str) -> int:
    """The receiving side's work on the queue "side.channel": consume its queues on the transport."""
    return inbox_consume_due(side=side, channel=channel, publish_between=True)


@shared_task(name="relay.publish", ignore_result=True)
def relay_publish(to_side: str) -> int:
    """The SENDING side's worker publishes its due outbox rows addressed to `to_side`."""
    return outbox_publish_due(to_side=to_side)


@shared_task(name="relay.sweep", ignore_result=True)
def relay_sweep_task(side: str | None = None) -> dict:
    """Sweep `side`'s store and kick its worker's queues (each side's worker is given its own);
    without a side both stores are swept."""
    return relay_sweep(side=side)


@shared_task(name="notices.send", ignore_result=True)
def notice_send(notice_id: int) -> str:
    """One attempt at a notice; a failure schedules the next after its back-off."""
    attempt = notice_deliver(notice_id=notice_id)
    if attempt.retry_in is not None:
        notice_send.apply_async((notice_id,), countdown=attempt.retry_in)
    return attempt.state


@shared_task(name="notices.sweep", ignore_result=True)
def notices_sweep() -> int:
    """Re-send pending notices whose worker message was lost (broker down at commit, worker gone)."""
    ids = notices_due(stale_seconds=settings.HN_NOTICE_SWEEP_SECONDS)
    for notice_id in ids:
        notice_send.delay(notice_id)
    return len(ids)


@shared_task(name="relay.purge_settled", ignore_result=True)
def relay_purge_settled(side: str | None = None) -> int:
    """Purge the content of settled envelopes older than HN_RETENTION_DAYS, batch by batch, in
    `side`'s store (without a side: in both)."""
    return envelopes_purge(side=side)
