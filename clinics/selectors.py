import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.translation import gettext as _

from accounts.models import Person
from clinics.models import (
    AppointmentLevel,
    HealthContact,
    Process,
    Service,
    ServiceAbsence,
    ServiceProcess,
)


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


def service_processes(*, service: Service) -> dict[str, ServiceProcess]:
    """process code → ServiceProcess for the processes the service has switched on."""
    return {sp.process: sp for sp in service.processes.all()}


def service_offers(*, service: Service, process: str) -> bool:
    """Whether the service offers the process now: switched on, and neither it nor its organisation inactive."""
    return ServiceProcess.objects.filter(
        service=service, service__active=True, service__organisation__active=True, process=process
    ).exists()


def service_appointment_level(*, service: Service) -> str:
    sp = ServiceProcess.objects.filter(service=service, process=Process.APPOINTMENTS).first()
    return sp.appointment_level if sp else AppointmentLevel.NONE


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
    contacts = (
        HealthContact.objects.filter(person=person)
        .select_related("service__organisation")
        .prefetch_related("service__processes")
        .order_by("-active", "service__organisation__name", "service__name")
    )
    return contact_summaries(contacts)


def active_contact(*, person: Person, service: Service) -> HealthContact | None:
    return HealthContact.objects.filter(
        person=person, service=service, active=True, service__active=True, service__organisation__active=True
    ).first()


def service_absence_current(*, service: Service, on: datetime.date) -> ServiceAbsence | None:
    """The absence the service has published for `on`, or None when it published nothing."""
    return (
        ServiceAbsence.objects.filter(service=service, withdrawn=False, starts__lte=on, ends__gte=on)
        .order_by("-starts", "-pk")
        .first()
    )
