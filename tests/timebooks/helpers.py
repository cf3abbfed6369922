"""Timebooks, slots and relay helpers shared by the timebook and appointment tests."""

import datetime
import threading
import uuid

from django.db import connections, transaction
from django.utils import timezone

from appointments.calendar import FreeSlot
from appointments.services import appointment_reserve
from epj.staff import employments
from epj.timebooks.messages import free_slots_reply
from epj.timebooks.models import AppointmentType, ResourceKind, Slot, Timebook, TimebookKind
from helsenorge.routers import PORTAL_DB
from messaging.codec import message_build, message_parse
from messaging.models import Envelope
from messaging.relay.delivery import relay_deliver_due
from messaging.relay.stores import relay_db


def next_monday() -> datetime.date:
    """A coming Monday that, like the Monday after it, is no public holiday (no slots on those)."""
    from helsenorge.clock import is_public_holiday, local_today

    today = local_today()
    monday = today + datetime.timedelta(days=7 - today.weekday())
    while is_public_holiday(monday) or is_public_holiday(monday + datetime.timedelta(days=7)):
        monday += datetime.timedelta(days=7)
    return monday


def make_timebooks(cast):
    """Kari's treater timebook and a lab resource timebook at Nora's GP office."""
    treater = Timebook.objects.create(
        organisation=cast.gp_org,
        service=cast.gp_service,
        kind=TimebookKind.TREATER,
        clinician=employments(user=cast.kari).get(),
        name="Kari Lege",
        location="Bakkehuset, 2. etg.",
        video_base_url="https://video.example.no/rom/",
    )
    lab = Timebook.objects.create(
        organisation=cast.gp_org,
        service=cast.gp_service,
        kind=TimebookKind.RESOURCE,
        resource_kind=ResourceKind.LAB,
        name="Blodprøver",
        location="Laben",
    )
    return treater, lab


def make_slot(
    timebook,
    *,
    hours_ahead=48,
    capacity=1,
    minutes=20,
    kind=AppointmentType.IN_PERSON,
    online=True,
    deadline_hours=24,
    booked=0,
) -> Slot:
    start = (timezone.now() + datetime.timedelta(hours=hours_ahead)).replace(second=0, microsecond=0)
    return Slot.objects.create(
        timebook=timebook,
        start=start,
        end=start + datetime.timedelta(minutes=minutes),
        capacity=capacity,
        booked=booked,
        appointment_type=kind,
        bookable_online=online,
        cancel_deadline_hours=deadline_hours,
    )


def deliver_all():
    """What the two async workers do: deliver both ways until nothing moves."""
    while relay_deliver_due(side="epj", channel="async") + relay_deliver_due(side="portal", channel="async"):
        pass


def envelopes(msg_type, side):
    """The messages `side` sent of `msg_type`: its outbox, in its own store."""
    return Envelope.objects.using(relay_db(side)).filter(msg_type=msg_type, side=side, kind="message").order_by("pk")


class SyncResponder:
    """A background EPJ 'sync worker' in this process: answers synchronous requests as they come."""

    def __init__(self):
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        try:
            while not self._stop.is_set():
                if not relay_deliver_due(side="epj", channel="sync"):
                    self._stop.wait(0.01)
        finally:
            connections.close_all()  # the EPJ's store and whatever else the thread opened

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(5)


def in_transaction(fn, *args, using=PORTAL_DB, **kwargs):
    """fn(*args, **kwargs) inside a transaction on the store it writes: the portal's, or the EPJ's
    (`using=EPJ_DB`) for the EPJ's services."""
    with transaction.atomic(using=using):
        return fn(*args, **kwargs)


def free_slot(slot) -> FreeSlot:
    """The slot as the portal learns it from SvarLedigeTimer (through the real wire format)."""
    from messaging.wire import appointments as wire
    from tests.messaging.test_codec_kinds import CLINIC, PATIENT, PORTAL

    request = wire.free_slot_request(
        sender=PORTAL,
        receiver=CLINIC,
        patient=PATIENT,
        query=wire.FreeSlotQuery(from_date=slot.start.date(), to_date=slot.start.date()),
    )
    reply = message_parse(message_build(free_slots_reply(request=message_parse(message_build(request)), slots=[slot])))
    [parsed] = wire.free_slots_of(reply)
    return FreeSlot.of(parsed)


def reserve(cast, slot, request_id="req-1", person=None):
    person = person or cast.nora.person
    return appointment_reserve(
        user=cast.nora, person=person, service=cast.gp_service, slot=free_slot(slot), request_id=request_id
    )


def confirmed_appointment(cast, *, hours_ahead=5, person=None, **fields):
    """A confirmed appointment in the portal's copy, as if the EPJ had answered."""
    from appointments.models import Appointment, AppointmentStatus

    start = (timezone.now() + datetime.timedelta(hours=hours_ahead)).replace(microsecond=0)
    values = {
        "person": person or cast.nora.person,
        "service": cast.gp_service,
        "status": AppointmentStatus.CONFIRMED,
        "title": "Blodprøve (kolesterol)",
        "start": start,
        "end": start + datetime.timedelta(minutes=20),
        "epj_uid": f"uid-{uuid.uuid4()}",
        "sequence": 1,
    }
    values.update(fields)
    return Appointment.objects.create(**values)
