"""The citizen's health contacts: the portal's link from its persons to the register's services.

Only the portal reads these (the EPJ keeps its own patient register, `epj.selectors`), so they
live apart from the register's selectors and access functions, which both systems import.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.http import Http404
from django.utils.translation import gettext as _

from accounts.models import Person
from clinics.models import AppointmentLevel, HealthContact, Process, Service
from clinics.selectors import prefetch_service, with_services


@dataclass(frozen=True)
class OfferedProcess:
    process: str
    label: str
    offered: bool
    appointment_level: str

    @property
    def level_label(self) -> str:
        """How much of the appointments process is offered, in words; empty for other processes."""
        if self.process != Process.APPOINTMENTS:
            return ""
        if self.appointment_level == AppointmentLevel.VIEW:
            return _("kun se")
        if self.appointment_level == AppointmentLevel.VIEW_CANCEL:
            return _("se og avbestille")
        return _("bestille")


@dataclass(frozen=True)
class ContactSummary:
    contact: HealthContact
    service: Service
    processes: list[OfferedProcess]


def contact_summaries(contacts: Iterable[HealthContact]) -> list[ContactSummary]:
    summaries = []
    for contact in contacts:
        on = {sp.process: sp for sp in contact.service.processes.all()}
        processes = [
            OfferedProcess(
                process=code,
                label=str(label),
                offered=code in on
                and contact.active
                and contact.service.active
                and contact.service.organisation.active,
                appointment_level=on[code].appointment_level if code in on else AppointmentLevel.NONE,
            )
            for code, label in Process.choices
        ]
        summaries.append(ContactSummary(contact=contact, service=contact.service, processes=processes))
    return summaries


def health_contacts_for_person(*, person: Person) -> list[ContactSummary]:
    """The person's health contacts, active first, each with every process marked offered or not."""
    contacts = with_services(HealthContact.objects.filter(person=person).order_by("pk"), processes=True)
    contacts.sort(key=lambda contact: not contact.active)  # active first; stable, so in the register's order
    return contact_summaries(contacts)


def active_contact(*, person: Person, service: Service) -> HealthContact | None:
    """The person's active contact with the service, while the service and its organisation are active."""
    if not Service.objects.filter(pk=service.pk, active=True, organisation__active=True).exists():
        return None
    return HealthContact.objects.filter(person=person, service=service, active=True).first()


def health_contact_of(*, person: Person, contact_id: int) -> HealthContact:
    """A health contact of `person` (the person the citizen acts for, already checked); else 404."""
    contact = (
        HealthContact.objects.prefetch_related(prefetch_service(processes=True))
        .filter(pk=contact_id, person=person)
        .first()
    )
    if contact is None:
        raise Http404
    return contact
