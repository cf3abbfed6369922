"""Writes in the EPJ's timebooks: patterns, slots, bookings. The database decides who gets a seat."""

import datetime
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from epj.models import Employment, StaffMember
from epj.receipts import apprec_file
from epj.staff import StaffUser as User
from epj.staff import employment_of
from epj.timebooks.messages import booking_publish
from epj.timebooks.models import (
    AppointmentMessage,
    AppointmentType,
    AvailabilityException,
    AvailabilityRule,
    Booking,
    BookingSource,
    BookingStatus,
    ExceptionKind,
    Slot,
    Timebook,
)
from helsenorge.clock import instant_add, is_public_holiday, local_at, local_day_bounds
from helsenorge.routers import EPJ_DB
from messaging.codec import AppRec
from national.services import ACCESS_APPOINTMENTS, Audit, access_log_write_many, audit_write  # docs/national.md


class BookingError(Exception):
    """A booking or cancellation the EPJ refuses; str() is the reason shown to people."""


class SlotTaken(BookingError):
    def __init__(self) -> None:
        super().__init__(_("Timen er dessverre tatt. Velg en annen time."))


class SlotNotBookable(BookingError):
    pass


class CancelRefused(BookingError):
    pass


@dataclass(frozen=True)
class BookResult:
    booking: Booking
    created: bool


@dataclass(frozen=True)
class _Cut:
    """How one opening is cut into slots (a weekly rule or an extra opening)."""

    start: datetime.time
    end: datetime.time
    minutes: int
    capacity: int
    appointment_type: str
    online: bool
    rule: AvailabilityRule | None = None


def _cuts_for(
    day: datetime.date, rules: Iterable[AvailabilityRule], exceptions: Iterable[AvailabilityException]
) -> list[_Cut]:
    cuts = [
        _Cut(r.start_time, r.end_time, r.slot_minutes, r.capacity, r.appointment_type, r.bookable_online, r)
        for r in rules
        if r.weekday == day.weekday() and r.valid_from <= day and (r.valid_until is None or day <= r.valid_until)
    ]
    cuts += [
        _Cut(e.start_time, e.end_time, e.slot_minutes, e.capacity, e.appointment_type, e.bookable_online)
        for e in exceptions
        if e.kind == ExceptionKind.EXTRA
        # the database's check constraints require all four on an extra opening
        and e.start_time is not None
        and e.end_time is not None
        and e.slot_minutes is not None
        and e.capacity is not None
    ]
    return cuts


@transaction.atomic(using=EPJ_DB)
def slots_generate(*, timebook: Timebook, start_date: datetime.date, days: int) -> int:
    """Cut the weekly pattern (and extra openings) into slots for `days` days from `start_date`,
    leaving out closings and public holidays. Safe to run again: existing slots (unique per
    timebook and start) stay.

    Opening hours are Oslo clock times; the slots between them are cut in elapsed time, so a night
    opening across a daylight-saving change gets one slot fewer in March (02:00–03:00 never
    happens) and one more in October (02:00–03:00 happens twice), each at its real local time.
    A public holiday gets no slots from the weekly pattern; an extra opening staff add for that
    date still makes its slots (an emergency clinic open on Christmas Day).
    """
    rules = list(timebook.rules.all())
    exceptions: dict[datetime.date, list[AvailabilityException]] = {}
    for exc in AvailabilityException.objects.filter(
        timebook=timebook, date__gte=start_date, date__lt=start_date + datetime.timedelta(days=days)
    ):
        exceptions.setdefault(exc.date, []).append(exc)
    new = []
    for offset in range(days):
        day = start_date + datetime.timedelta(days=offset)
        todays = exceptions.get(day, [])
        closed = [e for e in todays if e.kind == ExceptionKind.CLOSED]
        if any(e.start_time is None for e in closed):
            continue
        for cut in _cuts_for(day, [] if is_public_holiday(day) else rules, todays):
            start = local_at(day, cut.start)
            until = local_at(day, cut.end)
            step = datetime.timedelta(minutes=cut.minutes)
            while (end := instant_add(start, step)) <= until:
                if not any(_overlaps(day, e, start, end) for e in closed):
                    new.append(
                        Slot(
                            timebook=timebook,
                            start=start,
                            end=end,
                            capacity=cut.capacity,
                            appointment_type=cut.appointment_type,
                            bookable_online=cut.online,
                            cancel_deadline_hours=timebook.cancel_deadline_hours,
                            rule=cut.rule,
                        )
                    )
                start = end
    before = Slot.objects.filter(timebook=timebook).count()
    Slot.objects.bulk_create(new, ignore_conflicts=True)
    return Slot.objects.filter(timebook=timebook).count() - before


def _overlaps(
    day: datetime.date, exception: AvailabilityException, start: datetime.datetime, end: datetime.datetime
) -> bool:
    if exception.start_time is None or exception.end_time is None:
        return True  # closed all day
    closed_from = local_at(day, exception.start_time)
    closed_to = local_at(day, exception.end_time)
    return start < closed_to and closed_from < end


@transaction.atomic(using=EPJ_DB)
def availability_rule_add(*, timebook: Timebook, **fields: Any) -> AvailabilityRule:
    return AvailabilityRule.objects.create(timebook=timebook, **fields)


@transaction.atomic(using=EPJ_DB)
def availability_exception_add(
    *,
    timebook: Timebook,
    date: datetime.date,
    start_time: datetime.time | None = None,
    end_time: datetime.time | None = None,
    reason: str = "",
    kind: str = ExceptionKind.CLOSED,
    **extra: Any,
) -> dict[str, int]:
    """Record a one-off change. A closing removes the free slots it covers (booked slots stay for
    staff to move); an extra opening makes its slots at once.

    Returns {"removed": n, "kept_booked": m, "created": k}.
    """
    exception = AvailabilityException.objects.create(
        timebook=timebook, date=date, start_time=start_time, end_time=end_time, reason=reason, kind=kind, **extra
    )
    if kind == ExceptionKind.EXTRA:
        return {"removed": 0, "kept_booked": 0, "created": slots_generate(timebook=timebook, start_date=date, days=1)}
    day_start, day_end = local_day_bounds(date)
    day_slots = Slot.objects.filter(timebook=timebook, start__gte=day_start, start__lt=day_end)
    hit = [s for s in day_slots if exception.start_time is None or _overlaps(date, exception, s.start, s.end)]
    free = [s.pk for s in hit if s.booked == 0]
    # Only slots still empty at delete time: a booking racing in keeps its slot.
    removed, _detail = Slot.objects.filter(pk__in=free, booked=0).delete()
    return {"removed": removed, "kept_booked": len(hit) - removed, "created": 0}


def _video_url(slot: Slot) -> str:
    base = slot.timebook.video_base_url
    if slot.appointment_type != AppointmentType.VIDEO or not base:
        return ""
    return f"{base.rstrip('/')}/{secrets.token_urlsafe(12)}"


@transaction.atomic(using=EPJ_DB)
def slot_book(
    *,
    slot_id: int,
    patient_nin: str,
    patient_name: str = "",
    request_id: str,
    source: str,
    booked_by: StaffMember | None = None,
    online: bool,
    now: datetime.datetime | None = None,
) -> BookResult:
    """Take one seat in the slot for the patient, or raise SlotTaken / SlotNotBookable.

    The same (patient, request id) returns the booking it made the first time: a retried
    reservation never books twice, even when the retries race (the unique constraint decides).
    The seat is taken with `UPDATE … SET booked = booked + 1 WHERE booked < capacity`, which the
    database evaluates on the latest row version, so concurrent bookers cannot both get the last seat.
    """
    now = now or timezone.now()
    existing = Booking.objects.filter(patient_nin=patient_nin, request_id=request_id).first()
    if existing is not None:
        return BookResult(existing, created=False)
    slot = Slot.objects.select_related("timebook").filter(pk=slot_id).first()
    if slot is None or not slot.timebook.active:
        raise SlotNotBookable(_("Timen finnes ikke lenger."))
    if slot.start <= now:
        raise SlotNotBookable(_("Timen har allerede begynt."))
    if online and not slot.bookable_online:
        raise SlotNotBookable(_("Denne timen kan ikke bestilles på nett."))
    try:
        with transaction.atomic(using=EPJ_DB):
            booking = Booking.objects.create(
                slot=slot,
                patient_nin=patient_nin,
                patient_name=patient_name,
                request_id=request_id,
                source=source,
                booked_by=booked_by,
                video_url=_video_url(slot),
            )
    except IntegrityError:
        # Either a retry of this request won the race (return its booking) or the patient
        # already holds a seat in this slot under another request.
        existing = Booking.objects.filter(patient_nin=patient_nin, request_id=request_id).first()
        if existing is not None:
            return BookResult(existing, created=False)
        raise SlotNotBookable(_("Du har allerede bestilt denne timen.")) from None
    seat = Slot.objects.filter(pk=slot.pk, booked__lt=F("capacity"))
    if online:
        seat = seat.filter(bookable_online=True)
    if seat.update(booked=F("booked") + 1) != 1:
        raise SlotTaken()  # rolls back the booking row with the transaction
    return BookResult(booking, created=True)


def cancel_deadline(slot: Slot) -> datetime.datetime:
    """`cancel_deadline_hours` of elapsed time before the start (24 h before is not always the
    same clock time the day before: the night between may be 23 or 25 hours long)."""
    return instant_add(slot.start, -datetime.timedelta(hours=slot.cancel_deadline_hours))


@transaction.atomic(using=EPJ_DB)
def booking_cancel(*, booking: Booking, by_citizen: bool, now: datetime.datetime | None = None) -> bool:
    """Cancel the booking and free its seat. False when it was already cancelled (a repeat).

    A citizen may cancel only before the slot's deadline; staff at the desk may always.
    """
    now = now or timezone.now()
    slot = booking.slot
    if by_citizen and now > cancel_deadline(slot):
        raise CancelRefused(
            _("Fristen for å avbestille på nett gikk ut %(deadline)s. Ring legekontoret for å avbestille.")
            % {"deadline": timezone.localtime(cancel_deadline(slot)).strftime(_("%d.%m.%Y kl. %H:%M"))}
        )
    changed = Booking.objects.filter(pk=booking.pk, status=BookingStatus.ACTIVE).update(
        status=BookingStatus.CANCELLED, sequence=F("sequence") + 1, updated_at=now
    )
    if not changed:
        return False
    Slot.objects.filter(pk=slot.pk, booked__gt=0).update(booked=F("booked") - 1)
    booking.refresh_from_db()
    return True


@transaction.atomic(using=EPJ_DB)
def booking_move(*, booking: Booking, to_slot_id: int, now: datetime.datetime | None = None) -> Booking:
    """Staff move a booking to another slot: the same appointment (UID), one version newer."""
    now = now or timezone.now()
    if booking.status != BookingStatus.ACTIVE:
        raise SlotNotBookable(_("En avbestilt time kan ikke flyttes."))
    target = Slot.objects.filter(pk=to_slot_id, timebook__organisation_id=booking.slot.timebook.organisation_id).first()
    if target is None or target.pk == booking.slot_id:
        raise SlotNotBookable(_("Velg en annen time å flytte til."))
    if target.start <= now:
        raise SlotNotBookable(_("Timen har allerede begynt."))
    if Slot.objects.filter(pk=target.pk, booked__lt=F("capacity")).update(booked=F("booked") + 1) != 1:
        raise SlotTaken()
    old_slot_id = booking.slot_id
    try:
        with transaction.atomic(using=EPJ_DB):
            Booking.objects.filter(pk=booking.pk).update(
                slot=target, sequence=F("sequence") + 1, updated_at=now, video_url=_video_url(target)
            )
    except IntegrityError:
        raise SlotNotBookable(_("Pasienten har allerede en plass i den timen.")) from None
    Slot.objects.filter(pk=old_slot_id, booked__gt=0).update(booked=F("booked") - 1)
    booking.refresh_from_db()
    return booking


def desk_request_id() -> str:
    return f"desk-{uuid.uuid4()}"


# --- the clinic desk: every change is pushed to Helsenorge as an Avtale (one message per appointment) ---


@transaction.atomic(using=EPJ_DB)
def desk_book(*, slot: Slot, patient_nin: str, patient_name: str, user: User | None) -> Booking:
    """A booking taken by phone or at the desk; bookable-online does not apply to staff."""
    employment = _booking_role_required(user=user, timebook=slot.timebook)
    booking = slot_book(
        slot_id=slot.pk,
        patient_nin=patient_nin,
        patient_name=patient_name,
        request_id=desk_request_id(),
        source=BookingSource.DESK,
        booked_by=employment.staff if employment is not None else None,
        online=False,
    ).booking
    booking_publish(booking=booking)
    _desk_audit(user=user, action=Audit.BOOKING_BOOK, booking=booking)
    return booking


@transaction.atomic(using=EPJ_DB)
def desk_cancel(*, booking: Booking, user: User | None = None) -> bool:
    _booking_role_required(user=user, timebook=booking.slot.timebook)
    changed = booking_cancel(booking=booking, by_citizen=False)
    if changed:
        booking_publish(booking=booking)
        _desk_audit(user=user, action=Audit.BOOKING_CANCEL, booking=booking)
    return changed


@transaction.atomic(using=EPJ_DB)
def desk_move(*, booking: Booking, to_slot_id: int, user: User | None = None) -> Booking:
    _booking_role_required(user=user, timebook=booking.slot.timebook)
    from_slot_id = booking.slot_id
    booking = booking_move(booking=booking, to_slot_id=to_slot_id)
    booking_publish(booking=booking)
    _desk_audit(user=user, action=Audit.BOOKING_MOVE, booking=booking, detail=f"slot:{from_slot_id}->{to_slot_id}")
    return booking


def appointment_apprec_receive(envelope: object, apprec: AppRec) -> None:
    """The portal's AppRec for an appointment message (a push, a reservation or cancellation
    answer): filed on the record of what was sent, shown on the slot and in the calendar."""
    apprec_file(AppointmentMessage.objects.all(), apprec)


def _booking_role_required(*, user: User | None, timebook: Timebook) -> Employment | None:
    """Staff book for patients only in their own organisation, in a role that books (epj/roles.py):
    their employment there, or StaffActionRefused.

    `user` None is the clinic system itself (demo seeding, imports), which acts for no role."""
    from epj.roles import StaffAction, staff_action_required

    if user is None:
        return None
    return staff_action_required(user=user, organisation=timebook.organisation, action=StaffAction.BOOKING)


def _desk_audit(*, user: User | None, action: str, booking: Booking, detail: str = "") -> None:
    """The staff audit trail gets the booking and slot ids, never the timebook's reason."""
    audit_write(
        actor=user,
        organisation=booking.slot.timebook.organisation,
        action=action,
        person_nin=booking.patient_nin,
        object_ref=f"booking:{booking.pk}",
        detail=detail or f"slot:{booking.slot_id}",
    )


def desk_opened_log(*, user: User, slot: Slot) -> int:
    """Staff opened a slot with patients' bookings: each patient reads it in "who has seen my
    information" (DESIGN §7). Only that appointments were seen and when, never the timebook's
    reason (the log is shown in the portal). Returns the number of entries written."""
    from epj.access_log import patient_read_log

    membership = employment_of(user=user, organisation_id=slot.timebook.organisation_id)
    if membership is None:
        return 0
    nins = set(slot.bookings.filter(status=BookingStatus.ACTIVE).values_list("patient_nin", flat=True))
    written = 0
    for nin in sorted(nins):
        written += patient_read_log(
            membership=membership,
            patient_nin=nin,
            what=ACCESS_APPOINTMENTS,
            object_ref=timezone.localtime(slot.start).strftime("Time %d.%m.%Y %H:%M"),
        )
    return written


def calendar_viewed_log(*, user: User, membership: Employment, patient_nins: Iterable[str], object_ref: str) -> int:
    """Staff saw the names of patients booked in the calendar: each of them reads it in "who has
    seen my information", one entry per patient however many of their slots were shown, all in one
    insert. Only the calendar's day or week, never a timebook's reason. Returns the entries written."""
    nins = sorted(set(patient_nins))
    if not nins:
        return 0
    return access_log_write_many(
        actor=membership.staff,
        organisation=membership.organisation,
        role=membership.role,
        person_nins=nins,
        what=ACCESS_APPOINTMENTS,
        object_ref=object_ref,
    )


__all__ = [
    "BookingError",
    "SlotTaken",
    "SlotNotBookable",
    "CancelRefused",
    "BookResult",
    "slots_generate",
    "availability_rule_add",
    "availability_exception_add",
    "slot_book",
    "booking_cancel",
    "booking_move",
    "cancel_deadline",
    "desk_request_id",
    "desk_book",
    "desk_cancel",
    "desk_move",
    "desk_opened_log",
    "calendar_viewed_log",
]
