"""The clinic desk's timebook pages (EPJ side): timebooks, weekly patterns, exceptions, slots, phone bookings."""

import datetime
from typing import Any

from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import F
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from clinics.models import StaffRole
from epj.receipts import delivery_shown
from epj.roles import StaffActionRefused
from epj.staff import employment_for
from epj.timebooks import schedule, selectors, services
from epj.timebooks.access import (
    booking_for_staff,
    slot_for_staff,
    timebook_for_staff,
    timebook_membership_for_staff,
)
from epj.timebooks.forms import (
    AvailabilityExceptionForm,
    AvailabilityRuleForm,
    DeskBookingForm,
    GenerateSlotsForm,
    MoveBookingForm,
    TimebookForm,
)
from epj.timebooks.models import BookingStatus, ExceptionKind, Slot
from epj.views import refused_response
from helsenorge.clock import holiday_name, local_today


@login_required
@require_http_methods(["GET", "POST"])
def timebook_list(request, organisation_id):
    membership = employment_for(user=request.user, organisation_id=organisation_id)
    organisation = membership.organisation
    form = TimebookForm(organisation=organisation)
    if request.method == "POST":
        form = TimebookForm(request.POST, organisation=organisation)
        if form.is_valid():
            timebook = form.save()
            messages.success(request, _("Timeboken «%(name)s» er opprettet.") % {"name": timebook.name})
            return redirect("epj_timebooks:detail", timebook_id=timebook.pk)
    return render(
        request,
        "epj_timebooks/timebook_list.html",
        {
            "organisation": organisation,
            "is_admin": membership.role == StaffRole.CLINIC_ADMIN,
            "timebooks": selectors.timebooks_for_organisation(organisation_id=organisation.pk),
            "form": form,
        },
    )


def _week_start(value) -> datetime.date:
    day = parse_date(value or "") or local_today()
    return day - datetime.timedelta(days=day.weekday())


@login_required
@require_http_methods(["GET", "POST"])
def timebook_detail(request, timebook_id):
    timebook = timebook_for_staff(user=request.user, timebook_id=timebook_id)
    week = _week_start(request.GET.get("uke"))
    forms: dict[str, django_forms.BaseForm] = {
        "rule": AvailabilityRuleForm(timebook=timebook, prefix="rule"),
        "exception": AvailabilityExceptionForm(timebook=timebook, prefix="exc"),
        "generate": GenerateSlotsForm(prefix="gen", initial={"start_date": week, "weeks": 4}),
    }
    form: Any  # whichever of the three was posted
    if request.method == "POST":
        which = request.POST.get("form")
        if which == "rule":
            forms["rule"] = form = AvailabilityRuleForm(request.POST, timebook=timebook, prefix="rule")
            if form.is_valid():
                form.save()
                messages.success(request, _("Den faste åpningstiden er lagt til. Lag timer for å ta den i bruk."))
                return redirect(request.get_full_path())
        elif which == "exception":
            forms["exception"] = form = AvailabilityExceptionForm(request.POST, timebook=timebook, prefix="exc")
            if form.is_valid():
                data = dict(form.cleaned_data)
                if data["kind"] != ExceptionKind.EXTRA:
                    for name in ("slot_minutes", "capacity"):
                        data[name] = None
                result = services.availability_exception_add(timebook=timebook, **data)
                if data["kind"] == ExceptionKind.EXTRA:
                    messages.success(
                        request, _("Den ekstra åpningstiden er lagret. %(created)s nye timer er laget.") % result
                    )
                else:
                    messages.success(request, _("Unntaket er lagret. %(removed)s ledige timer er fjernet.") % result)
                if result["kept_booked"]:
                    messages.warning(
                        request,
                        _("%(kept_booked)s timer med bestillinger er beholdt; flytt eller avbestill dem.") % result,
                    )
                return redirect(request.get_full_path())
        elif which == "generate":
            forms["generate"] = form = GenerateSlotsForm(request.POST, prefix="gen")
            if form.is_valid():
                created = services.slots_generate(
                    timebook=timebook, start_date=form.cleaned_data["start_date"], days=7 * form.cleaned_data["weeks"]
                )
                messages.success(request, _("%(n)s nye timer er laget.") % {"n": created})
                return redirect(request.get_full_path())
    return render(
        request,
        "epj_timebooks/timebook_detail.html",
        {
            "timebook": timebook,
            "forms": forms,
            "week": week,
            "previous_week": week - datetime.timedelta(days=7),
            "next_week": week + datetime.timedelta(days=7),
            "slots": selectors.slots_for_week(timebook=timebook, week_start=week),
            "holidays": selectors.holidays_in_week(week_start=week),
            "rules": timebook.rules.all(),
            "exceptions": timebook.exceptions.filter(date__gte=local_today()),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def slot_detail(request, slot_id):
    slot = slot_for_staff(user=request.user, slot_id=slot_id)
    book_form = DeskBookingForm(prefix="book")
    now = timezone.now()
    move_slots = Slot.objects.filter(
        timebook=slot.timebook,
        start__gt=now,
        start__lt=now + datetime.timedelta(days=28),
        booked__lt=F("capacity"),
    ).exclude(pk=slot.pk)
    if request.method == "POST":
        which = request.POST.get("form")
        try:
            if which == "book":
                book_form = DeskBookingForm(request.POST, prefix="book")
                if book_form.is_valid():
                    services.desk_book(
                        slot=slot,
                        patient_nin=book_form.cleaned_data["nin"],
                        patient_name=book_form.cleaned_data["name"],
                        user=request.user,
                    )
                    messages.success(request, _("Timen er bestilt og sendt til pasientens Helsenorge."))
                    return redirect("epj_timebooks:slot", slot_id=slot.pk)
            elif which in ("cancel", "move"):
                booking = booking_for_staff(user=request.user, slot=slot, booking_id=request.POST.get("booking_id"))
                if which == "cancel":
                    services.desk_cancel(booking=booking, user=request.user)
                    messages.success(request, _("Timen er avbestilt, og pasienten får beskjed."))
                    return redirect("epj_timebooks:slot", slot_id=slot.pk)
                move_form = MoveBookingForm(request.POST, slots=move_slots, prefix=f"move{booking.pk}")
                if move_form.is_valid():
                    services.desk_move(
                        booking=booking, to_slot_id=move_form.cleaned_data["to_slot"].pk, user=request.user
                    )
                    messages.success(request, _("Timen er flyttet, og pasienten får beskjed."))
                    return redirect("epj_timebooks:slot", slot_id=move_form.cleaned_data["to_slot"].pk)
                messages.error(request, _("Velg timen du vil flytte til."))
        except services.BookingError as exc:
            messages.error(request, str(exc))
        except StaffActionRefused as exc:
            return refused_response(request, exc)
    slot.refresh_from_db()
    if request.method == "GET":  # opening the slot is the read (a failed form re-shows it)
        services.desk_opened_log(user=request.user, slot=slot)
    sent = [(m, delivery_shown(m)) for m in selectors.slot_messages_sent(slot=slot)]
    # Per booking, its latest message's receipt: a rejected push means the patient does not see
    # the booking (or its change) on Helsenorge.
    last_failed = {}
    for message, shown in sent:
        if message.booking_id is not None and message.booking_id not in last_failed:
            last_failed[message.booking_id] = shown if shown and shown.failed else None
    bookings = [
        (b, MoveBookingForm(slots=move_slots, prefix=f"move{b.pk}"), last_failed.get(b.pk))
        for b in selectors.bookings_for_slot(slot=slot)
    ]
    return render(
        request,
        "epj_timebooks/slot_detail.html",
        {
            "slot": slot,
            "timebook": slot.timebook,
            "book_form": book_form,
            "bookings": bookings,
            "sent": sent,
            "active": BookingStatus.ACTIVE,
        },
    )


# The earliest and latest dates the calendar pages accept (a week on either side stays a real date).
CALENDAR_FIRST_DAY = datetime.date(2000, 1, 1)
CALENDAR_LAST_DAY = datetime.date(2099, 12, 31)


def _calendar_day(request, name: str) -> datetime.date | None:
    """The date in ?<name>=YYYY-MM-DD, Oslo's today when it is absent, None when it is no usable date."""
    value = request.GET.get(name, "")
    if not value:
        return local_today()
    try:
        day = parse_date(value)
    except ValueError:  # well-formed but not a date (2026-02-30)
        return None
    if day is None or not CALENDAR_FIRST_DAY <= day <= CALENDAR_LAST_DAY:
        return None
    return day


def _bad_date(request, organisation, value: str):
    return render(
        request,
        "epj_timebooks/calendar_bad_date.html",
        {"organisation": organisation, "value": value[:40]},
        status=400,
    )


@login_required
@require_GET
def calendar_week(request, timebook_id):
    timebook, membership = timebook_membership_for_staff(user=request.user, timebook_id=timebook_id)
    day = _calendar_day(request, "uke")
    if day is None:
        return _bad_date(request, membership.organisation, request.GET.get("uke", ""))
    week = day - datetime.timedelta(days=day.weekday())
    grid = schedule.week_grid(timebook=timebook, week_start=week)
    year, number, _weekday = week.isocalendar()
    services.calendar_viewed_log(
        user=request.user,
        membership=membership,
        patient_nins=grid.patient_nins,
        object_ref=f"Timeoversikt uke {number} {year}",
    )
    today = local_today()
    return render(
        request,
        "epj_timebooks/calendar_week.html",
        {
            "organisation": membership.organisation,
            "timebook": timebook,
            "grid": grid,
            "week": week,
            "week_end": week + datetime.timedelta(days=6),
            "week_number": number,
            "today": today,
            "previous_week": week - datetime.timedelta(days=7),
            "next_week": week + datetime.timedelta(days=7),
            "this_week": today - datetime.timedelta(days=today.weekday()),
            "legend": schedule.STATE_LEGEND,
        },
    )


@login_required
@require_GET
def calendar_day(request, organisation_id):
    membership = employment_for(user=request.user, organisation_id=organisation_id)
    day = _calendar_day(request, "dato")
    if day is None:
        return _bad_date(request, membership.organisation, request.GET.get("dato", ""))
    grid = schedule.day_grid(timebooks=schedule.calendar_timebooks(organisation_id=organisation_id), day=day)
    services.calendar_viewed_log(
        user=request.user,
        membership=membership,
        patient_nins=grid.patient_nins,
        object_ref=f"Timeoversikt {day:%d.%m.%Y}",
    )
    return render(
        request,
        "epj_timebooks/calendar_day.html",
        {
            "organisation": membership.organisation,
            "grid": grid,
            "day": day,
            "week": day - datetime.timedelta(days=day.weekday()),
            "holiday": holiday_name(day),
            "today": local_today(),
            "previous_day": day - datetime.timedelta(days=1),
            "next_day": day + datetime.timedelta(days=1),
            "legend": schedule.STATE_LEGEND,
        },
    )
