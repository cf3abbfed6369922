"""What a citizen can start from a health contact: each offered service as a link into its flow.

A service is an action only when the contact offers it now (`contact_summaries`) and the person
acting may use it for the person acted for: dialogs, appointments and tools need the digital
health services area (a parent of a child under 12 has it; a proxy only with that area), a
journal copy and hospital documents follow the journal rule (`journal_allowed_for`). Everything
else is listed as unavailable, with the reason, behind one line on the page.
"""

from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.representation import Subject
from clinics.contacts import ContactSummary
from clinics.models import AppointmentLevel, Process
from journal.access import journal_allowed_for
from messaging.dialogs.models import ServiceArea

_DIALOGS = (Process.EKONTAKT, Process.EKONSULTASJON, Process.RENEWAL)
_DIGITAL = (*_DIALOGS, Process.APPOINTMENTS, Process.VIDEO, Process.TOOLS)
_JOURNAL = (Process.JOURNAL_COPY, Process.DOCUMENTS)


@dataclass(frozen=True)
class ContactAction:
    process: str
    label: str  # the service as the register names it
    action: str  # what the link does, a verb ("Skriv en melding")
    url: str


@dataclass(frozen=True)
class UnavailableService:
    process: str
    label: str
    reason: str


@dataclass(frozen=True)
class ContactStart:
    summary: ContactSummary
    actions: list[ContactAction]
    unavailable: list[UnavailableService]


def _action_label(process: str, appointment_level: str) -> str:
    if process == Process.APPOINTMENTS:
        return _("Bestill time") if appointment_level == AppointmentLevel.BOOK else _("Se timer")
    labels: dict[str, str] = {
        Process.EKONTAKT: _("Skriv en melding"),
        Process.EKONSULTASJON: _("Start en e-konsultasjon"),
        Process.RENEWAL: _("Forny resept"),
        Process.VIDEO: _("Se videotimer"),
        Process.JOURNAL_COPY: _("Be om journalkopi"),
        Process.DOCUMENTS: _("Se dokumenter fra sykehuset"),
        Process.TOOLS: _("Se digitale verktøy"),
    }
    return labels[process]


def _action_url(summary: ContactSummary, process: str, appointment_level: str) -> str:
    if process in _DIALOGS:
        return reverse("dialogs:compose", args=[summary.service.pk, process])
    if process == Process.APPOINTMENTS and appointment_level == AppointmentLevel.BOOK:
        return reverse("appointments:book", args=[summary.contact.pk])
    if process in (Process.APPOINTMENTS, Process.VIDEO):
        return reverse("appointments:list")
    if process == Process.JOURNAL_COPY:
        return reverse("journal:copy_request_new")
    if process == Process.DOCUMENTS:
        return reverse("journal:shared_documents")
    return reverse("tools:mine")


def _permitted(subject: Subject, process: str, journal_allowed: bool) -> bool:
    if process in _JOURNAL:
        return journal_allowed
    if process in _DIGITAL:
        return ServiceArea.DIGITAL in subject.areas
    return False


def contact_starts(*, subject: Subject, summaries: list[ContactSummary]) -> list[ContactStart]:
    """Each contact of the person acted for with its actions and its unavailable services."""
    journal_allowed = journal_allowed_for(subject)
    starts = []
    for summary in summaries:
        actions, unavailable = [], []
        for offered in summary.processes:
            label = offered.label + (f" ({offered.level_label})" if offered.level_label else "")
            if not offered.offered:
                reason = _("tilbys ikke") if summary.contact.active else _("tidligere helsekontakt")
                unavailable.append(UnavailableService(offered.process, label, reason))
            elif not _permitted(subject, offered.process, journal_allowed):
                if subject.is_self:
                    reason = _("ikke tilgjengelig for deg")
                else:
                    reason = _("ikke når du handler for %(name)s") % {"name": subject.patient.full_name}
                unavailable.append(UnavailableService(offered.process, label, reason))
            else:
                level = offered.appointment_level
                actions.append(
                    ContactAction(
                        process=offered.process,
                        label=label,
                        action=_action_label(offered.process, level),
                        url=_action_url(summary, offered.process, level),
                    )
                )
        starts.append(ContactStart(summary=summary, actions=actions, unavailable=unavailable))
    return starts
