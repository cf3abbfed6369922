"""Reads for the citizen's dialogs."""

import logging
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Q
from django.utils.translation import gettext as _

from clinics.models import HealthContact
from messaging.wire import dialogs as wire
from messaging.dialogs.models import DialogMessage, Kind, PowerOfAttorney, Thread
from messaging.dialogs.representation import Subject

log = logging.getLogger(__name__)
COMPOSE_INFO_TIMEOUT = 5.0  # seconds the compose page waits for the clinic before saying "try again"

UNREAD = Q(messages__direction=DialogMessage.Direction.IN, messages__read_at__isnull=True)


def inbox_threads(*, person):
    """The patient's threads, most recent first, each with `unread` (messages from the clinic not yet read)."""
    return (Thread.objects.filter(person=person).select_related("service__organisation")
            .annotate(unread=Count("messages", filter=UNREAD)).order_by("-last_activity_at", "-pk"))


def unread_total(*, person) -> int:
    return DialogMessage.objects.filter(thread__person=person, direction=DialogMessage.Direction.IN,
                                        read_at__isnull=True).count()


@dataclass(frozen=True)
class ShownMessage:
    message: DialogMessage
    delivery_label: str
    delivery_tag: str


def thread_messages(*, thread: Thread) -> list[ShownMessage]:
    """Messages with their delivery state: queued → sent (the relay handed it over) → received or rejected."""
    from messaging.relay import envelope_for

    shown = []
    for message in thread.messages.prefetch_related("attachments").select_related("written_by"):
        label, tag = message.get_delivery_display(), "neutral"
        if message.delivery == DialogMessage.Delivery.QUEUED:
            envelope = envelope_for(message.msg_id)
            if envelope is not None and envelope.state == "sent":
                label, tag = _("Sendt"), "info"
        elif message.delivery == DialogMessage.Delivery.DELIVERED:
            tag = "success"
        elif message.delivery == DialogMessage.Delivery.REJECTED:
            tag = "danger"
        shown.append(ShownMessage(message=message, delivery_label=label, delivery_tag=tag))
    return shown


@dataclass(frozen=True)
class ComposeTarget:
    contact: HealthContact
    kinds: list


def compose_targets(*, subject: Subject) -> list[ComposeTarget]:
    """The patient's active health contacts and which dialogs each offers."""
    contacts = (HealthContact.objects.filter(person=subject.patient, active=True, service__active=True)
                .select_related("service__organisation").prefetch_related("service__processes")
                .order_by("service__organisation__name", "service__name"))
    targets = []
    for contact in contacts:
        offered = {sp.process for sp in contact.service.processes.all()}
        kinds = [(code, label) for code, label in Kind.choices if code in offered]
        if kinds:
            targets.append(ComposeTarget(contact=contact, kinds=kinds))
    return targets


def compose_info_fetch(*, subject: Subject, service, kind: str) -> wire.ComposeInfo | None:
    """Ask the clinic (sync, by message) for its absence notice, co-payment or medication list.

    None when the clinic does not answer in time; the caller tells the citizen to try again.
    """
    import messaging.relay as relay

    request = wire.compose_info_request(kind=kind, service=service, patient=subject.patient)
    try:
        reply = relay.relay_request_sync(side="portal", message=request, timeout=min(settings.HN_SYNC_TIMEOUT_SECONDS,
                                                                                      COMPOSE_INFO_TIMEOUT))
    except (relay.RelayTimeout, relay.RelayRejected) as exc:
        log.warning("compose info from %s not available: %s", service.her_id, exc)
        return None
    return wire.compose_info_of(reply)


def powers_of_attorney(*, person):
    """(given, received): every proxy the person gave or holds, live ones first."""
    given = PowerOfAttorney.objects.filter(grantor=person).select_related("holder").order_by("revoked_at", "-created_at")
    received = PowerOfAttorney.objects.filter(holder=person).select_related("grantor").order_by("revoked_at", "-created_at")
    return given, received
