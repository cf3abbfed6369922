from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import User
from clinics.models import (
    AppointmentLevel,
    CommunicationParty,
    PartyCertificate,
    Process,
    Service,
    ServiceProcess,
    process_frame_error,
)
from clinics.selectors import PublishedCertificate


@transaction.atomic
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


@transaction.atomic
def party_certificates_publish(
    *,
    her_id: int,
    queues: tuple[str, str, str],
    certificates: dict[str, PublishedCertificate | None],
) -> CommunicationParty:
    """Publish a communication party's queues (async, sync, error) and public certificates.

    An operator's act (`manage.py pki init|rotate`). Each role in `certificates` is replaced by
    the one given, or withdrawn when None; roles not named are left as they are.
    """
    async_queue, sync_queue, error_queue = queues
    party, _ = CommunicationParty.objects.update_or_create(
        her_id=her_id,
        defaults={"async_queue": async_queue, "sync_queue": sync_queue, "error_queue": error_queue},
    )
    for role, cert in certificates.items():
        if cert is None:
            PartyCertificate.objects.filter(party=party, role=role).delete()
            continue
        PartyCertificate.objects.update_or_create(
            party=party,
            role=role,
            defaults={
                "pem": cert.pem,
                "serial_number": cert.serial_number,
                "not_before": cert.not_before,
                "not_after": cert.not_after,
            },
        )
    return party
