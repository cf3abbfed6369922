import datetime

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser

from clinics.models import (
    AppointmentLevel,
    Organisation,
    Process,
    Service,
    ServiceAbsence,
    ServiceProcess,
    StaffMembership,
)


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


def service_absence_current(*, service: Service, on: datetime.date) -> ServiceAbsence | None:
    """The absence the service has published for `on`, or None when it published nothing."""
    return (
        ServiceAbsence.objects.filter(service=service, withdrawn=False, starts__lte=on, ends__gte=on)
        .order_by("-starts", "-pk")
        .first()
    )


def hospital_organisation_ids() -> list[int]:
    """The ids of the active hospitals, as a list (a store of its own can filter by it)."""
    return list(Organisation.objects.filter(is_hospital=True, active=True).values_list("pk", flat=True))


def service_ids_with_process(*, organisation_id: int, process: str) -> list[int]:
    """The ids of the organisation's services that have switched the process on, as a list."""
    return list(
        ServiceProcess.objects.filter(service__organisation_id=organisation_id, process=process).values_list(
            "service_id", flat=True
        )
    )


def organisation_ids_for_staff(*, user: AbstractBaseUser | AnonymousUser) -> list[int]:
    """The ids of the organisations the user works in, as a list: the EPJ filters its own rows by
    them without joining the register."""
    if not user.is_authenticated:
        return []
    return list(StaffMembership.objects.filter(user_id=user.pk).values_list("organisation_id", flat=True).distinct())


def service_ids_for_staff(*, user: AbstractBaseUser | AnonymousUser) -> list[int]:
    """The ids of the services of the organisations the user works in, as a list (see above)."""
    if not user.is_authenticated:
        return []
    return list(Service.objects.filter(organisation__staff__user_id=user.pk).values_list("pk", flat=True).distinct())
