"""The break-glass page (`/drift/nodtilgang/`): the one way an operator reads a citizen's health data.

The admin shows no health content (`helsenorge.admin_metadata`). When an operator must look (a
support case the citizen asked for, a message stuck with content the relay cannot explain),
they name the citizen and a reason here; `national.services.break_glass_log` reports the read to
the national access-log service (the citizen's access log and the staff audit trail) first, in
the same transaction, and only then is the content gathered and shown. A request without a valid reason shows and writes nothing.

It lives in the project package because it is the operators' site-wide tool and reads both
sides of the simulated network (the portal's apps and the EPJ), which no app may import together.
"""

from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache

from accounts.models import Person
from accounts.nin import nin_parse
from appointments.models import Appointment
from epj.desk.models import Case, Medication
from epj.models import EpjPatient, JournalEntry
from epj.records.models import HospitalDocument, RecordNote
from journal.models import JournalDocument
from messaging.dialogs.models import Thread
from national.selectors import AccessLogEntry
from national.services import (
    BREAK_GLASS_REASON_MAX,
    BREAK_GLASS_REASON_MIN,
    break_glass_allowed,
    break_glass_log,
)
from tools.models import ToolDispatch

What = AccessLogEntry.What
SECTIONS = [
    (What.MESSAGES, _("Meldinger (innbyggerens samtaler og klinikkenes saker, med egenandeler)")),
    (What.APPOINTMENTS, _("Timeavtaler")),
    (What.RECORD, _("Journal (journalnotater, arkiverte meldinger og legemiddelliste)")),
    (What.DOCUMENTS, _("Dokumenter (sykehusdokumenter, også skjermede, og mottatte journalkopier)")),
    (What.TOOLS, _("Verktøy sendt fra helsetjenesten, med meldingen til pasienten")),
]


@dataclass
class Item:
    """One thing shown: a heading, when, and labelled values (the template escapes every value)."""

    heading: str
    when: Any = None
    lines: list[tuple[Any, Any]] = field(default_factory=list)  # (label, value); labels are lazy


class BreakGlassForm(forms.Form):
    nin = forms.CharField(label=_("Innbyggerens fødselsnummer"), max_length=11, min_length=11)
    what = forms.ChoiceField(label=_("Hva du må se"), choices=SECTIONS)
    reason = forms.CharField(
        label=_("Begrunnelse"),
        min_length=BREAK_GLASS_REASON_MIN,
        max_length=BREAK_GLASS_REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Hvorfor du må se opplysningene (for eksempel saksnummeret hos brukerstøtte). Innbyggeren ser "
            "begrunnelsen i sin tilgangslogg: skriv ingen helseopplysninger her."
        ),
    )

    def clean_nin(self) -> Person:
        number = nin_parse(self.cleaned_data["nin"], allow_synthetic=settings.HN_ALLOW_SYNTHETIC_NIN).nin
        person = Person.objects.filter(nin=number).first()
        if person is None:
            raise ValidationError(_("Ingen person med dette fødselsnummeret finnes i folkeregisteret."))
        return person

    def clean_reason(self) -> str:
        return " ".join(self.cleaned_data["reason"].split())


def _messages(person: Person) -> list[Item]:
    items = []
    threads = Thread.objects.filter(person=person).prefetch_related("service", "messages__attachments")
    for thread in threads:
        for message in thread.messages.all():
            lines = [
                (_("Tjeneste"), thread.service.name),
                (_("Retning"), message.get_direction_display()),
                (_("Avsender"), message.author_name),
                (_("Tekst"), message.text),
            ]
            lines += [
                (_("Spørsmål og svar"), f"{a.get('question', '')}: {a.get('answer', '')}") for a in message.answers
            ]
            if message.medication:
                lines.append((_("Legemiddel"), message.medication))
            lines += [(_("Vedlegg"), f"{a.filename} ({a.mime_type}, {a.size} B)") for a in message.attachments.all()]
            items.append(Item(heading=thread.subject, when=message.created_at, lines=lines))
    cases = Case.objects.filter(patient_nin=person.nin).select_related("charge")
    for case in cases.prefetch_related("organisation", "messages__attachments"):
        for desk_message in case.messages.all():
            lines = [
                (_("Virksomhet (EPJ)"), case.organisation.name),
                (_("Retning"), desk_message.get_direction_display()),
                (_("Tekst"), desk_message.text),
            ]
            if desk_message.medication:
                lines.append((_("Legemiddel"), desk_message.medication))
            lines += [(_("Vedlegg"), f"{a.description or a.mime_type}") for a in desk_message.attachments.all()]
            items.append(Item(heading=case.subject, when=desk_message.created_at, lines=lines))
        charge = getattr(case, "charge", None)
        if charge is not None:
            items.append(
                Item(
                    heading=case.subject,
                    when=charge.created_at,
                    lines=[(_("Egenandel"), f"{charge.fee_code} {charge.copayment} kr ({charge.get_state_display()})")],
                )
            )
    return items


def _appointments(person: Person) -> list[Item]:
    return [
        Item(
            heading=a.title,
            when=a.start,
            lines=[
                (_("Tjeneste"), a.service.name),
                (_("Status"), a.get_status_display()),
                (_("Behandler"), a.clinician),
                (_("Sted"), a.location),
                (_("Merknad"), a.status_note),
            ],
        )
        for a in Appointment.objects.filter(person=person).prefetch_related("service")
    ]


def _record(person: Person) -> list[Item]:
    items = [
        Item(
            heading=n.title,
            when=n.written_at,
            lines=[(_("Virksomhet"), n.organisation.name), (_("Skrevet av"), n.author_name), (_("Tekst"), n.text)],
        )
        for n in RecordNote.objects.filter(patient_nin=person.nin).prefetch_related("organisation")
    ]
    patients = EpjPatient.objects.filter(nin=person.nin)
    items += [
        Item(
            heading=e.subject,
            when=e.created,
            lines=[(_("Virksomhet"), e.organisation.name), (_("Meldingsfunksjon"), e.msg_type), (_("Tekst"), e.text)],
        )
        for e in JournalEntry.objects.filter(patient__in=patients).prefetch_related("organisation")
    ]
    items += [
        Item(
            heading=m.name,
            lines=[
                (_("Virksomhet"), m.organisation.name),
                (_("Dosering"), m.dosage),
                (_("Aktiv"), _("ja") if m.active else _("nei")),
            ],
        )
        for m in Medication.objects.filter(patient_nin=person.nin).prefetch_related("organisation")
    ]
    return items


def _documents(person: Person) -> list[Item]:
    items = [
        Item(
            heading=d.title,
            when=d.written_at,
            lines=[
                (_("Sykehus"), d.organisation.name),
                (_("Type"), d.get_kind_display()),
                (_("Avdeling"), d.department),
                (_("Skjermet for pasienten"), _("ja") if d.confidential else _("nei")),
                (_("Tekst"), d.text),
            ],
        )
        for d in HospitalDocument.objects.filter(patient_nin=person.nin).prefetch_related("organisation")
    ]
    items += [
        Item(heading=d.title, when=d.received_at, lines=[(_("PDF"), f"{d.filename} ({d.size} B)")])
        for d in JournalDocument.objects.filter(person=person).defer("data")
    ]
    return items


def _tools(person: Person) -> list[Item]:
    return [
        Item(
            heading=d.tool.name,
            when=d.created_at,
            lines=[
                (_("Sendt fra"), d.organisation.name if d.organisation else _("lagt til av innbyggeren")),
                (_("Melding til pasienten"), d.note),
            ],
        )
        for d in ToolDispatch.objects.filter(person=person).select_related("tool").prefetch_related("organisation")
    ]


READERS = {
    What.MESSAGES: _messages,
    What.APPOINTMENTS: _appointments,
    What.RECORD: _record,
    What.DOCUMENTS: _documents,
    What.TOOLS: _tools,
}


@never_cache
def break_glass(request):
    """GET: the form. POST: log the read (access log + audit trail), then show the content."""
    if not break_glass_allowed(request.user):
        raise PermissionDenied
    context = {**admin.site.each_context(request), "title": _("Nødtilgang til helseopplysninger")}
    form = BreakGlassForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        person, what, reason = form.cleaned_data["nin"], form.cleaned_data["what"], form.cleaned_data["reason"]
        # The national store commits the log entry first, in its own transaction: nothing is shown
        # unlogged, and a read that fails afterwards leaves an entry for a look that showed nothing.
        with transaction.atomic():
            entry = break_glass_log(operator=request.user, person_nin=person.nin, what=what, reason=reason)
            items = READERS[what](person)
        context.update(person=person, entry=entry, items=items, section=dict(SECTIONS)[what])
        form = BreakGlassForm()
    context["form"] = form
    return render(request, "admin/breakglass.html", context)
