"""Reads of the address register, shared by the portal and the EPJ.

Neither system's rows are joined to the register's (DESIGN §2, helsenorge/routers.py): a row
that names a register entry reads it in a statement of its own (`prefetch_service`,
`with_services`), and a filter on the register's columns first reads the matching ids here (the
`*_ids*` selectors), then filters the rows by them.
"""

import datetime
from collections.abc import Iterable
from typing import Any, Protocol, TypeVar

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import Prefetch, QuerySet

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
    organisation_ids = organisation_ids_for_staff(user=user)
    if not organisation_ids:
        return []
    return list(Service.objects.filter(organisation_id__in=organisation_ids).values_list("pk", flat=True))


def service_ids_of_organisation(*, organisation_id: int) -> list[int]:
    """The ids of the organisation's services, withdrawn ones too, as a list."""
    return list(Service.objects.filter(organisation_id=organisation_id).values_list("pk", flat=True))


def service_ids_offering(
    *, process: str, organisation_id: int | None = None, among: Iterable[int] | None = None
) -> list[int]:
    """The ids of the active services (of the organisation, of `among`, when given) that have
    switched the process on, as a list."""
    services = Service.objects.filter(active=True, processes__process=process)
    if organisation_id is not None:
        services = services.filter(organisation_id=organisation_id)
    if among is not None:
        services = services.filter(pk__in=set(among))
    return list(services.values_list("pk", flat=True).distinct())


def prefetch_service(lookup: str = "service", *, processes: bool = False) -> "Prefetch[str, QuerySet[Service], str]":
    """`prefetch_related` for a row's key to a service: the services with their organisation
    (joined within the register), and their switched-on processes when asked, read in a statement
    of their own rather than joined to the row's table."""
    services = Service.objects.select_related("organisation")
    if processes:
        services = services.prefetch_related("processes")
    return Prefetch(lookup, queryset=services)


class _NamesService(Protocol):
    service_id: Any
    service: Any


Row = TypeVar("Row", bound=_NamesService)


def with_services(
    rows: Iterable[Row],
    *,
    ordering: Iterable[str] = ("organisation__name", "name"),
    processes: bool = False,
    **where: Any,
) -> list[Row]:
    """The rows whose service matches `where` (register lookups, e.g. `active=True`), each with its
    service set (with its organisation, and its processes when asked), in the register's order of
    their services (`ordering`; rows of one service keep their order).

    One statement in the register (two with the processes) instead of a join: what
    `.filter(service__active=True).select_related("service__organisation").order_by(
    "service__organisation__name", "service__name")` read in one."""
    rows = list(rows)
    if not rows:
        return []
    services = (
        Service.objects.filter(pk__in={row.service_id for row in rows}, **where)
        .select_related("organisation")
        .order_by(*ordering)
    )
    if processes:
        services = services.prefetch_related("processes")
    by_id = {service.pk: service for service in services}
    rank = {pk: position for position, pk in enumerate(by_id)}
    kept = [row for row in rows if row.service_id in by_id]
    for row in kept:
        row.service = by_id[row.service_id]
    kept.sort(key=lambda row: rank[row.service_id])
    return kept
