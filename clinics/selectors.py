import datetime

from clinics.models import AppointmentLevel, Process, Service, ServiceAbsence, ServiceProcess


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
