import datetime
import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from appointments import calendar, selectors, services
from appointments.access import (
    appointment_for_citizen,
    appointment_subject,
    calendar_feed_by_token,
    contact_for_booking,
    on_behalf_of,
)
from appointments.forms import BookingConfirmForm, ClinicVideoForm, DropInRoomForm
from appointments.models import DropInRoom
from clinics.access import organisation_for_admin
from helsenorge.clock import local_today
from helsenorge.pagination import paginate
from helsenorge.syncwaits import bounded_sync_waits
from messaging.wire.appointments import timebook_id_of
from submissions.decorators import idempotent

# How far ahead the booking pages let a citizen step, a week at a time.
BOOKING_WEEKS_AHEAD = 26
SLOT_SALT = "appointments.free-slot"
SLOT_CHOICE_MAX_AGE = 60 * 60
PAGE_SIZE = 20


def _citizen(request):
    """The person whose appointments these pages are about (the citizen, or whom they act for)."""
    return appointment_subject(request).patient


@login_required
@require_GET
def appointment_list(request):
    person = _citizen(request)
    return render(
        request,
        "appointments/appointment_list.html",
        {
            "upcoming": paginate(
                request, selectors.appointments_for_person(person=person, upcoming=True), per_page=PAGE_SIZE
            ),
            "past": paginate(
                request,
                selectors.appointments_for_person(person=person, upcoming=False),
                per_page=PAGE_SIZE,
                param="tidligere",
            ),
            "bookable": selectors.bookable_contacts(person=person),
            "subject": appointment_subject(request),
        },
    )


@login_required
@require_GET
def appointment_detail(request, appointment_id):
    appointment = appointment_for_citizen(request=request, appointment_id=appointment_id)
    return render(
        request,
        "appointments/appointment_detail.html",
        {
            "appointment": appointment,
            "cancel_refusal": services.cancel_refusal(appointment),
            "join_available": selectors.join_available(appointment),
            "undeliverable": selectors.request_undeliverable(appointment),
            "join_opens": appointment.start - selectors.JOIN_OPENS_BEFORE,
        },
    )


@login_required
@require_GET
def appointment_ics(request, appointment_id):
    appointment = appointment_for_citizen(request=request, appointment_id=appointment_id)
    response = HttpResponse(calendar.appointment_ics(appointment), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="time-{appointment.pk}.ics"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
@idempotent
def appointment_cancel(request, appointment_id):
    appointment = appointment_for_citizen(request=request, appointment_id=appointment_id)
    if request.method == "POST":
        try:
            services.appointment_cancel(
                user=request.user, appointment=appointment, on_behalf=on_behalf_of(appointment_subject(request))
            )
        except services.AppointmentRefused as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Avbestillingen er sendt. Du får svar her når legekontoret har behandlet den."))
        return redirect("appointments:detail", appointment_id=appointment.pk)
    return render(
        request,
        "appointments/appointment_cancel.html",
        {
            "appointment": appointment,
            "cancel_refusal": services.cancel_refusal(appointment),
        },
    )


def _contact_url(request, contact):
    # The health-contact page is the citizen's own; when acting for someone, go back to their appointments.
    if contact.person_id == request.user.person_id:
        return reverse("clinics:contact_detail", args=[contact.pk])
    return reverse("appointments:list")


def _refused(request, contact, reason, *, status=403):
    return render(
        request,
        "appointments/booking_refused.html",
        {"contact": contact, "reason": reason, "contact_url": _contact_url(request, contact)},
        status=status,
    )


def _booking_contact(request, contact_id):
    _subject, contact = contact_for_booking(request=request, contact_id=contact_id)
    if not contact.active:
        return contact, _("Dette er en tidligere helsekontakt. Du kan ikke bestille time her.")
    if not selectors.can_book(service=contact.service):
        return contact, _("%(name)s tilbyr ikke timebestilling på nett.") % {"name": contact.service.name}
    return contact, ""


def _group_by_timebook(slots):
    groups: dict[str, dict] = {}
    for slot in slots:
        group = groups.setdefault(
            slot.timebook_ref,
            {
                "ref": slot.timebook_ref,
                "title": slot.title,
                "kind": slot.timebook_kind,
                "clinician": slot.is_clinician_timebook,
                "resource_kind": slot.resource_kind,
                "count": 0,
                "first": slot.start,
            },
        )
        group["count"] += 1
    return sorted(groups.values(), key=lambda g: (not g["clinician"], g["title"]))


def _slot_choice(contact, slot) -> str:
    return signing.dumps(
        {
            "service": contact.service_id,
            "slot": slot.slot_ref,
            "start": slot.start.isoformat(),
            "end": slot.end.isoformat(),
            "title": slot.title,
            "location": slot.location,
            "timebook": slot.timebook_ref,
            "kind": slot.timebook_kind,
            "resource": slot.resource_kind,
            "type": slot.appointment_type,
            "deadline": slot.cancel_deadline.isoformat() if slot.cancel_deadline else "",
        },
        salt=SLOT_SALT,
    )


def _slot_from_choice(contact, value):
    try:
        data = signing.loads(value, salt=SLOT_SALT, max_age=SLOT_CHOICE_MAX_AGE)
    except signing.BadSignature:
        return None
    if data.get("service") != contact.service_id:
        return None
    start, end = parse_datetime(data["start"]), parse_datetime(data["end"])
    if start is None or end is None:
        return None
    return calendar.FreeSlot(
        slot_ref=data["slot"],
        start=start,
        end=end,
        title=data["title"],
        location=data["location"],
        timebook_ref=data["timebook"],
        timebook_kind=data["kind"],
        resource_kind=data["resource"],
        appointment_type=data["type"],
        seats_left=1,
        cancel_deadline=parse_datetime(data["deadline"]) if data["deadline"] else None,
    )


@login_required
@require_GET
def booking_start(request, contact_id):
    """Pick a timebook (a clinician) or a reason (lab, vaccine …), then a free slot — all asked of the EPJ live."""
    contact, refusal = _booking_contact(request, contact_id)
    if refusal:
        return _refused(request, contact, refusal)
    timebook_ref = request.GET.get("timebok", "")
    if timebook_ref and timebook_id_of(timebook_ref) is None:
        # Only a reference the EPJ gave us (tb-<id>) is worth a live look-up; anything else is refused here.
        reason = _("Vi kjenner ikke igjen timeboken i lenken. Gå tilbake og velg behandler eller årsak på nytt.")
        return _refused(request, contact, reason, status=400)
    week = _booking_week(request.GET.get("uke", ""))
    if week is None:
        reason = _("Uken i lenken er ingen uke du kan bestille time i. Gå tilbake og velg på nytt.")
        return _refused(request, contact, reason, status=400)
    return _booking_slots(request, contact, timebook_ref, week)


def _booking_week(value: str) -> datetime.date | None:
    """The first day of the week asked for (today when none), or None outside today … 26 weeks ahead."""
    today = local_today()
    if not value:
        return today
    try:
        day = datetime.date.fromisoformat(value[:10]) if len(value) == 10 else None
    except ValueError:
        return None
    if day is None or not today <= day <= today + datetime.timedelta(weeks=BOOKING_WEEKS_AHEAD):
        return None
    return day


@bounded_sync_waits  # checked above first: a request refused outright never takes a wait slot
def _booking_slots(request, contact, timebook_ref, week):
    try:
        slots = services.free_slots_fetch(
            service=contact.service,
            person=contact.person,
            timebook_ref=timebook_ref,
            start=week,
        )
    except services.FreeSlotsUnavailable as exc:
        return render(
            request,
            "appointments/booking_unavailable.html",
            {"contact": contact, "reason": str(exc), "contact_url": _contact_url(request, contact)},
            status=503,
        )
    today = local_today()
    days = services.FREE_SLOT_DAYS
    weeks = {
        "first": week,
        "last": week + datetime.timedelta(days=days - 1),
        "previous": max(today, week - datetime.timedelta(days=days)).isoformat() if week > today else "",
        "next": (week + datetime.timedelta(days=days)).isoformat()
        if week + datetime.timedelta(days=days) <= today + datetime.timedelta(weeks=BOOKING_WEEKS_AHEAD)
        else "",
        "timebook": timebook_ref,
    }
    groups = _group_by_timebook(slots)
    if not timebook_ref and len(groups) != 1:
        return render(
            request,
            "appointments/booking_choose.html",
            {"contact": contact, "groups": groups, "contact_url": _contact_url(request, contact), "weeks": weeks},
        )
    page = paginate(request, slots, per_page=PAGE_SIZE)
    rows = [(slot, _slot_choice(contact, slot)) for slot in page.object_list]
    return render(
        request,
        "appointments/booking_slots.html",
        {
            "contact": contact,
            "page": page,
            "rows": rows,
            "group": groups[0] if groups else None,
            "contact_url": _contact_url(request, contact),
            "timebook_ref": timebook_ref,
            "several_groups": not timebook_ref and len(groups) > 1,
            "weeks": weeks,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
@idempotent
def booking_confirm(request, contact_id):
    contact, refusal = _booking_contact(request, contact_id)
    if refusal:
        return _refused(request, contact, refusal)
    data = (
        request.POST
        if request.method == "POST"
        else {"choice": request.GET.get("valg", ""), "request_id": str(uuid.uuid4())}
    )
    form = BookingConfirmForm(data)
    slot = _slot_from_choice(contact, data.get("choice", ""))
    if slot is None:
        messages.error(request, _("Timevalget er utløpt eller ugyldig. Velg timen på nytt."))
        return redirect("appointments:book", contact_id=contact.pk)
    if request.method == "POST" and form.is_valid():
        try:
            appointment = services.appointment_reserve(
                user=request.user,
                person=contact.person,
                service=contact.service,
                slot=slot,
                request_id=str(form.cleaned_data["request_id"]),
                on_behalf=on_behalf_of(appointment_subject(request)),
            )
        except services.AppointmentRefused as exc:
            form.add_error(None, str(exc))
        else:
            messages.info(request, _("Bestillingen er sendt. Timen er ikke bekreftet før legekontoret har svart."))
            return redirect("appointments:detail", appointment_id=appointment.pk)
    return render(
        request,
        "appointments/booking_confirm.html",
        {"contact": contact, "slot": slot, "form": form, "contact_url": _contact_url(request, contact)},
    )


@login_required
@require_http_methods(["GET", "POST"])
@idempotent
def calendar_settings(request):
    person = _citizen(request)
    if request.method == "POST":
        if request.POST.get("action") == "revoke":
            services.calendar_feed_revoke(person=person)
            messages.success(request, _("Du har fått en ny kalenderadresse. Den gamle virker ikke lenger."))
        else:
            services.calendar_feed_get(person=person)
            messages.success(request, _("Kalenderadressen er laget."))
        return redirect("appointments:calendar")
    feed = selectors.calendar_feed_for(person=person)
    feed_url = request.build_absolute_uri(reverse("appointments:feed", args=[feed.token])) if feed else ""
    return render(request, "appointments/calendar_settings.html", {"feed": feed, "feed_url": feed_url})


@require_GET
def calendar_feed(request, token):
    feed = calendar_feed_by_token(token=token)
    body = calendar.feed_ics(selectors.feed_appointments(person=feed.person), name=_("Timeavtaler"))
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_http_methods(["GET", "POST"])
@idempotent
def clinic_video(request, organisation_id):
    """A clinic admin picks the organisation's video service and sets up drop-in rooms."""
    organisation = organisation_for_admin(user=request.user, organisation_id=organisation_id)
    current = selectors.approved_video_service_for(organisation_id=organisation.pk)
    video_form = ClinicVideoForm(queryset=selectors.approved_video_services(), initial={"video_service": current})
    service_list = list(organisation.services.order_by("name"))
    rooms = {room.service_id: room for room in DropInRoom.objects.filter(service__in=service_list)}
    room_forms = {}
    for service in service_list:
        room = rooms.get(service.pk)
        initial = {}
        if room:
            openings = list(room.openings.all())
            initial = {
                "title": room.title,
                "room_url": room.room_url,
                "active": room.active,
                "weekdays": [o.weekday for o in openings],
                "opens": openings[0].opens if openings else None,
                "closes": openings[0].closes if openings else None,
            }
        room_forms[service.pk] = DropInRoomForm(prefix=f"r{service.pk}", initial=initial)
    if request.method == "POST":
        if request.POST.get("form") == "video":
            video_form = ClinicVideoForm(request.POST, queryset=selectors.approved_video_services())
            if video_form.is_valid():
                try:
                    services.clinic_video_service_set(
                        organisation=organisation, video_service=video_form.cleaned_data["video_service"]
                    )
                except services.AppointmentRefused as exc:
                    video_form.add_error("video_service", str(exc))
                else:
                    messages.success(request, _("Videotjenesten er lagret."))
                    return redirect("appointments:clinic_video", organisation_id=organisation.pk)
        else:
            target = next((s for s in service_list if str(s.pk) == request.POST.get("service_id", "")), None)
            if target is None:
                raise Http404
            form = DropInRoomForm(request.POST, prefix=f"r{target.pk}")
            room_forms[target.pk] = form
            if form.is_valid():
                data = form.cleaned_data
                try:
                    services.drop_in_room_set(
                        service=target,
                        title=data["title"],
                        room_url=data["room_url"],
                        active=data["active"],
                        openings=[(day, data["opens"], data["closes"]) for day in data["weekdays"]],
                    )
                except services.AppointmentRefused as exc:
                    form.add_error("room_url", str(exc))
                else:
                    messages.success(request, _("Drop-in-rommet for %(name)s er lagret.") % {"name": target.name})
                    return redirect("appointments:clinic_video", organisation_id=organisation.pk)
    return render(
        request,
        "appointments/clinic_video.html",
        {
            "organisation": organisation,
            "video_form": video_form,
            "current": current,
            "rows": [(s, room_forms[s.pk], rooms.get(s.pk)) for s in service_list],
        },
    )
