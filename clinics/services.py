from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import User
from clinics.models import (
    AppointmentLevel,
    Process,
    Service,
    ServiceProcess,
    process_frame_error,
)
from helsenorge.routers import NATIONAL_DB


@transaction.atomic(using=NATIONAL_DB)  # the register's rows and the audit trail: both national
def service_processes_set(*, service: Service, enabled: dict[str, str | None], user: User | None = None) -> None:
    """Switch the service's processes to exactly `enabled` (process → appointment level or None).

    Refuses, changing nothing, when any process falls outside the frames its kind allows. With
    `user` (a clinic admin's toggle) the change goes into the staff audit trail; a register
    import writes one entry for the whole file instead (register_file.register_import).
    """
    errors = []
    for process, level in enabled.items():
        # Only the appointments process has levels; every other process is framed without one.
        error = process_frame_error(
            service.kind, process, (level or AppointmentLevel.NONE) if process == Process.APPOINTMENTS else None
        )
        if error:
            errors.append(error)
    if errors:
        raise ValidationError(errors)
    ServiceProcess.objects.filter(service=service).exclude(process__in=list(enabled)).delete()
    for process, level in enabled.items():
        level = (level or AppointmentLevel.NONE) if process == Process.APPOINTMENTS else AppointmentLevel.NONE
        ServiceProcess.objects.update_or_create(service=service, process=process, defaults={"appointment_level": level})
    if user is not None:
        from national.services import Audit, audit_write  # national imports clinics: import on use

        audit_write(
            actor=user,
            organisation=service.organisation,
            action=Audit.SERVICE_PROCESSES,
            object_ref=f"service:{service.her_id}",
            detail=",".join(sorted(enabled)),
        )
