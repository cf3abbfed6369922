"""Writes on the portal's appointments: asking for free slots, reserving, cancelling, applying the EPJ's news.

The EPJ is the only judge of what is booked. The portal records what it asked for (pending) and
what the EPJ answered; every answer or push carries the appointment's SEQUENCE and is applied
only when newer than what we hold, by a conditional UPDATE, so out-of-order delivery is harmless.
"""

import datetime
import logging

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Person, User
from appointments.calendar import FreeSlot
from appointments.freeslots import SharedLookupTimeout, free_slots_shared
from appointments.models import (
    Appointment,
    AppointmentReminder,
    AppointmentStatus,
    AppointmentType,
    CalendarFeed,
    ClinicVideoService,
    DropInRoom,
    VideoService,
    new_feed_token,
)
from appointments.selectors import approved_video_service_for, level_allows
from clinics.models import AppointmentLevel, HealthContact, Organisation, Service
from clinics.selectors import prefetch_service, service_ids_of_organisation
from helsenorge.clock import local_today
from messaging.codec import CodecError, OnBehalf, Patient
from messaging.notifications import citizen_notify
from messaging.relay import RelayRejected, RelayTimeout, relay_request_sync, relay_send
from messaging.relay.parties import clinic_party, portal_party
from messaging.wire import appointments as wire
from messaging.wire.appointments import AppointmentEvent

logger = logging.getLogger(__name__)

REMINDER_LEAD = datetime.timedelta(hours=24)
# One lookup asks for one week: a reply the EPJ writes and the portal reads in milliseconds.
FREE_SLOT_DAYS = 7


class AppointmentRefused(Exception):
    """The portal will not do this; str() is the reason for the citizen."""


class FreeSlotsUnavailable(Exception):
    """The free-slot lookup failed (timeout, refusal, garbage); str() says so plainly."""


def _patient(person: Person) -> Patient:
    return Patient(nin=person.nin, given_name=person.given_name, family_name=person.family_name)


def _free_slots_ask(
    *, service: Service, person: Person, query: wire.FreeSlotQuery, timeout: float | None
) -> list[FreeSlot]:
    message = wire.free_slot_request(
        sender=portal_party(), receiver=clinic_party(service=service), patient=_patient(person), query=query
    )
    reply = relay_request_sync(side="portal", message=message, timeout=timeout)
    return [FreeSlot.of(slot) for slot in wire.free_slots_of(reply)]


def _not_own(slots: list[FreeSlot], *, service: Service, person: Person) -> list[FreeSlot]:
    """The slots without those she holds already (a shared reply was not asked for her alone)."""
    held = set(
        Appointment.objects.filter(
            person=person,
            service=service,
            status__in=[AppointmentStatus.PENDING, AppointmentStatus.CONFIRMED, AppointmentStatus.CANCEL_PENDING],
            start__in=[slot.start for slot in slots],
        ).values_list("start", "title")
    )
    return [slot for slot in slots if (slot.start, slot.title[:200]) not in held]


def free_slots_fetch(
    *,
    service: Service,
    person: Person,
    timebook_ref: str = "",
    start: datetime.date | None = None,
    days: int = FREE_SLOT_DAYS,
    timeout: float | None = None,
) -> list[FreeSlot]:
    """HentLedigeTimer for `days` Oslo dates from `start` (today), synchronously.

    Nothing is written; a failure raises FreeSlotsUnavailable. The process's lookup carries no
    Pasientrelasjon (CPA package_dia_v1.1): the reservation says who acts for the patient. One
    answer serves every citizen asking for the same week soon after (appointments/freeslots.py).
    """
    first_day = start or local_today()
    query = wire.FreeSlotQuery(
        from_date=first_day, to_date=first_day + datetime.timedelta(days=days - 1), timebook_ref=timebook_ref
    )
    try:
        slots = free_slots_shared(
            service_id=service.pk,
            scope=f"{timebook_ref}:{query.from_date}:{query.to_date}",
            fetch=lambda: _free_slots_ask(service=service, person=person, query=query, timeout=timeout),
        )
    except (RelayTimeout, SharedLookupTimeout):
        raise FreeSlotsUnavailable(
            _(
                "Vi fikk ikke svar fra %(name)s i tide, så vi kan ikke vise ledige timer nå. "
                "Ingenting er bestilt. Prøv igjen om litt, eller ring."
            )
            % {"name": service.name}
        ) from None
    except (RelayRejected, CodecError) as exc:  # a refusal or a broken reply: the same plain answer
        logger.warning("free-slot lookup at %s failed: %s", service.her_id, exc)
        raise FreeSlotsUnavailable(
            _("%(name)s kunne ikke vise ledige timer nå. Ingenting er bestilt. Prøv igjen senere, eller ring.")
            % {"name": service.name}
        ) from None
    except wire.WireFormatError as exc:
        logger.warning("free-slot reply from %s unreadable: %s", service.her_id, exc)
        raise FreeSlotsUnavailable(
            _("Svaret fra %(name)s kunne ikke leses. Ingenting er bestilt. Prøv igjen senere, eller ring.")
            % {"name": service.name}
        ) from None
    return _not_own(slots, service=service, person=person)


def _require_level(service: Service, needed: str) -> None:
    if not level_allows(service=service, needed=needed):
        if needed == AppointmentLevel.BOOK:
            raise AppointmentRefused(_("%(name)s tilbyr ikke timebestilling på nett.") % {"name": service.name})
        raise AppointmentRefused(
            _("%(name)s tilbyr ikke avbestilling på nett. Ring for å avbestille.") % {"name": service.name}
        )


@transaction.atomic
def appointment_reserve(
    *,
    user: User | None,
    person: Person,
    service: Service,
    slot: FreeSlot,
    request_id: str,
    on_behalf: OnBehalf | None = None,
) -> Appointment:
    """Record a pending appointment and send ReserverAvtale. The same request id returns the same row."""
    _require_level(service, AppointmentLevel.BOOK)
    existing = Appointment.objects.filter(person=person, request_id=request_id).first()
    if existing is not None:
        return existing
    if slot.start <= timezone.now():
        raise AppointmentRefused(_("Timen har allerede begynt. Velg en annen time."))
    try:
        with transaction.atomic():
            appointment = Appointment.objects.create(
                person=person,
                service=service,
                booked_by=user,
                request_id=request_id,
                status=AppointmentStatus.PENDING,
                appointment_type=_type(slot.appointment_type),
                title=slot.title[:200],
                location=slot.location[:200],
                start=slot.start,
                end=slot.end,
                cancel_deadline=slot.cancel_deadline,
            )
    except IntegrityError:
        return Appointment.objects.get(person=person, request_id=request_id)
    envelope = relay_send(
        side="portal",
        message=wire.reservation_request(
            sender=portal_party(),
            receiver=clinic_party(service=service),
            patient=_patient(person),
            slot=slot,
            request_id=request_id,
            patient_relation=on_behalf,
        ),
    )
    Appointment.objects.filter(pk=appointment.pk).update(reservation_msg_id=envelope.msg_id)
    appointment.reservation_msg_id = envelope.msg_id
    return appointment


def cancel_refusal(appointment: Appointment, *, at: datetime.datetime | None = None) -> str:
    """Why this appointment cannot be cancelled online now, or "" when it can."""
    at = at or timezone.now()
    if not level_allows(service=appointment.service, needed=AppointmentLevel.VIEW_CANCEL):
        return _("%(name)s tilbyr ikke avbestilling på nett. Ring for å avbestille.") % {
            "name": appointment.service.name
        }
    if appointment.status != AppointmentStatus.CONFIRMED:
        return _("Bare bekreftede timer kan avbestilles.")
    if appointment.start <= at:
        return _("Timen har allerede begynt.")
    if appointment.cancel_deadline and at > appointment.cancel_deadline:
        return _("Fristen for å avbestille på nett gikk ut %(deadline)s. Ring for å avbestille.") % {
            "deadline": timezone.localtime(appointment.cancel_deadline).strftime(_("%d.%m.%Y kl. %H:%M"))
        }
    return ""


@transaction.atomic
def appointment_cancel(
    *, user: User | None, appointment: Appointment, on_behalf: OnBehalf | None = None
) -> Appointment:
    """Send AvbestillAvtale; refused here (and again in the EPJ) after the deadline."""
    appointment = Appointment.objects.select_for_update().prefetch_related(prefetch_service()).get(pk=appointment.pk)
    reason = cancel_refusal(appointment)
    if reason:
        raise AppointmentRefused(reason)
    envelope = relay_send(
        side="portal",
        message=wire.cancellation_request(
            sender=portal_party(),
            receiver=clinic_party(service=appointment.service),
            patient=_patient(appointment.person),
            uid=appointment.epj_uid,
            sequence=appointment.sequence,
            start=appointment.start,
            end=appointment.end,
            patient_relation=on_behalf,
        ),
    )
    Appointment.objects.filter(pk=appointment.pk, status=AppointmentStatus.CONFIRMED).update(
        status=AppointmentStatus.CANCEL_PENDING,
        cancel_msg_id=envelope.msg_id,
        status_note="",
        updated_at=timezone.now(),
    )
    appointment.refresh_from_db()
    return appointment


def _type(value: str) -> str:
    return value if value in AppointmentType.values else AppointmentType.IN_PERSON


def _fields(*, service: Service, event: AppointmentEvent) -> dict[str, object]:
    if event.result == "DECLINED":
        status = AppointmentStatus.DECLINED
    elif event.cancelled:
        status = AppointmentStatus.CANCELLED
    else:
        status = AppointmentStatus.CONFIRMED
    fields = {
        "status": status,
        "sequence": event.sequence,
        "epj_modified": event.last_modified,
        "status_note": event.comment if status == AppointmentStatus.DECLINED else "",
        "updated_at": timezone.now(),
    }
    if status != AppointmentStatus.DECLINED:
        fields["epj_uid"] = event.uid[:200]
    if event.start and event.end:
        fields.update(start=event.start, end=event.end)
    for name in ("title", "location", "clinician"):
        if getattr(event, name):
            fields[name] = getattr(event, name)
    fields["appointment_type"] = _type(event.appointment_type)
    fields["cancel_deadline"] = event.cancel_deadline
    # Only links from the video service this clinic picked among the approved ones reach citizens.
    video = approved_video_service_for(organisation_id=service.organisation_id)
    fields["video_url"] = event.video_url if video is not None and video.owns(event.video_url) else ""
    return fields


def _newer(event: AppointmentEvent) -> Q:
    newer = Q(sequence__lt=event.sequence)
    if event.last_modified:
        newer |= Q(sequence=event.sequence, epj_modified__lt=event.last_modified)
    return newer


@transaction.atomic
def appointment_apply(
    *, service: Service, person: Person, event: AppointmentEvent, without_relationship: bool = False
) -> tuple[Appointment | None, bool]:
    """Apply the EPJ's description of one appointment if it is newer than ours. (appointment, changed).

    without_relationship flags a new appointment pushed by an organisation the citizen has no
    health contact with (appointment_push_unrelated).
    """
    if event.result == "DECLINED" and not event.request_id:
        return None, False
    match = Q(service=service, epj_uid=event.uid) if event.uid and event.result != "DECLINED" else Q(pk__in=[])
    if event.request_id:
        match |= Q(service=service, person=person, request_id=event.request_id)
    appointment = Appointment.objects.filter(match).order_by("pk").first()
    fields = _fields(service=service, event=event)
    if appointment is None:
        if event.result == "DECLINED" or event.start is None or event.end is None:
            return None, False
        try:
            with transaction.atomic():
                appointment = Appointment.objects.create(
                    person=person,
                    service=service,
                    request_id=event.request_id if event.result else "",
                    without_relationship=without_relationship,
                    **{k: v for k, v in fields.items() if k != "updated_at"},
                )
            citizen_notify(person=person, path=f"/timer/{appointment.pk}/")
            return appointment, True
        except IntegrityError:
            # Another worker created it from a message about the same appointment: compare versions.
            appointment = Appointment.objects.filter(match).order_by("pk").first()
            if appointment is None:
                raise
    changed = Appointment.objects.filter(Q(pk=appointment.pk) & _newer(event)).update(**fields) == 1
    appointment.refresh_from_db()
    if changed:
        citizen_notify(person=appointment.person, path=f"/timer/{appointment.pk}/")
    return appointment, changed


def appointment_push_unrelated(*, service: Service, person: Person) -> bool:
    """True when the citizen has no health contact, past or present, with the pushing organisation."""
    service_ids = service_ids_of_organisation(organisation_id=service.organisation_id)
    return not HealthContact.objects.filter(person=person, service_id__in=service_ids).exists()


@transaction.atomic
def cancellation_refused_apply(*, service: Service, event: AppointmentEvent) -> Appointment | None:
    """The EPJ refused our cancellation: the appointment stands, with the EPJ's reason shown."""
    appointment = Appointment.objects.filter(service=service, epj_uid=event.uid).first()
    if appointment is None:
        return None
    Appointment.objects.filter(pk=appointment.pk, status=AppointmentStatus.CANCEL_PENDING).update(
        status=AppointmentStatus.CONFIRMED,
        status_note=event.comment or _("Legekontoret avviste avbestillingen."),
        updated_at=timezone.now(),
    )
    appointment.refresh_from_db()
    return appointment


@transaction.atomic
def request_rejected_apply(*, msg_id: str, reason: str) -> int:
    """An AppRec rejected our reservation or cancellation: nothing was booked or cancelled there."""
    declined = Appointment.objects.filter(reservation_msg_id=msg_id, status=AppointmentStatus.PENDING).update(
        status=AppointmentStatus.DECLINED, status_note=reason[:300], updated_at=timezone.now()
    )
    restored = Appointment.objects.filter(cancel_msg_id=msg_id, status=AppointmentStatus.CANCEL_PENDING).update(
        status=AppointmentStatus.CONFIRMED, status_note=reason[:300], updated_at=timezone.now()
    )
    return declined + restored


def reminders_send(*, at: datetime.datetime | None = None, lead: datetime.timedelta = REMINDER_LEAD) -> int:
    """Remind citizens of confirmed appointments starting within `lead`. Each is claimed by
    inserting its reminder row; a second run (or a parallel beat) finds the row and sends nothing."""
    at = at or timezone.now()
    due = Appointment.objects.filter(
        status=AppointmentStatus.CONFIRMED,
        start__gt=at,
        start__lte=at + lead,
    ).exclude(reminder__for_start=F("start"))
    sent = 0
    for appointment in due.select_related("person").iterator():
        with transaction.atomic():
            claimed = _reminder_claim(appointment)
            if claimed:
                citizen_notify(person=appointment.person, path=f"/timer/{appointment.pk}/")
                sent += 1
    return sent


def _reminder_claim(appointment: Appointment) -> bool:
    """Insert (or move forward) the reminder row; True only for the transaction that did it."""
    try:
        with transaction.atomic():
            AppointmentReminder.objects.create(appointment=appointment, for_start=appointment.start)
            return True
    except IntegrityError:
        # A reminder exists; it counts again only if the appointment moved since (conditional update).
        return (
            AppointmentReminder.objects.filter(appointment=appointment)
            .exclude(for_start=appointment.start)
            .update(for_start=appointment.start, sent_at=timezone.now())
            == 1
        )


@transaction.atomic
def calendar_feed_get(*, person: Person) -> CalendarFeed:
    feed, _created = CalendarFeed.objects.get_or_create(person=person)
    return feed


@transaction.atomic
def calendar_feed_revoke(*, person: Person) -> CalendarFeed:
    """A new private address; the old one stops working at once."""
    feed, created = CalendarFeed.objects.get_or_create(person=person)
    if not created:
        feed.token = new_feed_token()
        feed.save(update_fields=["token"])
    return feed


@transaction.atomic
def clinic_video_service_set(*, organisation: Organisation, video_service: VideoService | None) -> None:
    if video_service is None:
        ClinicVideoService.objects.filter(organisation=organisation).delete()
        return
    if not video_service.approved:
        raise AppointmentRefused(_("Videotjenesten er ikke godkjent for integrasjon."))
    ClinicVideoService.objects.update_or_create(organisation=organisation, defaults={"video_service": video_service})


@transaction.atomic
def drop_in_room_set(
    *,
    service: Service,
    title: str,
    room_url: str,
    active: bool,
    openings: list[tuple[int, datetime.time, datetime.time]],
) -> DropInRoom:
    """Create or replace the service's drop-in video room; the link must come from the clinic's video service."""
    video = approved_video_service_for(organisation_id=service.organisation_id)
    if video is None:
        raise AppointmentRefused(_("Velg en godkjent videotjeneste for virksomheten først."))
    if not video.owns(room_url):
        raise AppointmentRefused(
            _("Lenken må være fra %(name)s (%(prefix)s…).") % {"name": video.name, "prefix": video.url_prefix}
        )
    room, _created = DropInRoom.objects.update_or_create(
        service=service, defaults={"title": title, "room_url": room_url, "active": active}
    )
    room.openings.all().delete()
    for weekday, opens, closes in openings:
        room.openings.create(weekday=weekday, opens=opens, closes=closes)
    return room


__all__ = [
    "AppointmentRefused",
    "FreeSlotsUnavailable",
    "free_slots_fetch",
    "appointment_reserve",
    "appointment_cancel",
    "cancel_refusal",
    "appointment_apply",
    "cancellation_refused_apply",
    "request_rejected_apply",
    "reminders_send",
    "calendar_feed_get",
    "calendar_feed_revoke",
    "clinic_video_service_set",
    "drop_in_room_set",
]
