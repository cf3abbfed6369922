"""Reads for the clinic desk."""

import datetime
from collections.abc import Iterable

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from clinics.models import Organisation, Service
from epj.desk.models import AbsenceNotice, Case, DeskMessage
from epj.models import Delivery, EpjPatient, PatientRelationship
from epj.staff import StaffUser as User
from epj.staff import organisation_ids_for_staff, staff_id

AGE_FILTERS = {"1": 1, "3": 3, "7": 7}
OPEN_STATES = (Case.State.NEW, Case.State.CLAIMED)


def desk_cases(
    *,
    organisation: Organisation,
    user: User,
    kind: str = "",
    state: str = "",
    age: str = "",
    assignee: str = "",
    patient: str = "",
) -> QuerySet[Case]:
    """The organisation's cases, filtered; overdue unanswered ones first.

    `patient` is a patient's name (any part, any case) or the start of their identity number.
    """
    answer_rejected = DeskMessage.objects.filter(
        case=OuterRef("pk"), direction=DeskMessage.Direction.OUT, delivery=Delivery.REJECTED
    )
    cases = (
        Case.objects.filter(organisation=organisation)
        .prefetch_related("service", "assignee")
        .annotate(answer_rejected=Exists(answer_rejected))
    )
    patient = " ".join(patient.split())
    if patient.isdigit():
        cases = cases.filter(patient_nin__startswith=patient)
    elif patient:
        cases = cases.filter(patient_name__icontains=patient)
    if kind:
        cases = cases.filter(kind=kind)
    if state == "open":
        cases = cases.filter(state__in=OPEN_STATES)
    elif state:
        cases = cases.filter(state=state)
    now = timezone.now()
    if age == "overdue":
        cases = cases.filter(state__in=OPEN_STATES, due_at__lt=now)
    elif age in AGE_FILTERS:
        cases = cases.filter(waiting_since__lte=now - datetime.timedelta(days=AGE_FILTERS[age]))
    if assignee == "me":
        cases = cases.filter(assignee_id=staff_id(user))
    elif assignee == "none":
        cases = cases.filter(assignee__isnull=True)
    elif assignee.isdigit():
        cases = cases.filter(assignee_id=int(assignee))
    return cases.order_by("due_at", "-created_at", "-pk")


def is_overdue(case: Case, now: datetime.datetime | None = None) -> bool:
    now = now or timezone.now()
    return case.state in OPEN_STATES and case.due_at is not None and case.due_at < now


def absence_notices(*, organisation: Organisation) -> QuerySet[AbsenceNotice]:
    today = timezone.localdate()
    services = list(Service.objects.filter(organisation=organisation).values_list("pk", flat=True))
    return (
        AbsenceNotice.objects.filter(service_id__in=services, cancelled=False, ends__gte=today)
        .prefetch_related("service")
        .order_by("starts")
    )


def desk_open_count(*, organisation: Organisation) -> int:
    return Case.objects.filter(organisation=organisation, state__in=OPEN_STATES).count()


def desk_organisations(*, user: User) -> list[Organisation]:
    """The organisations the user works in, by name (the memberships and the register read apart)."""
    return list(Organisation.objects.filter(pk__in=organisation_ids_for_staff(user=user)).order_by("name"))


def epj_patients_find(*, organisation: Organisation, text: str) -> QuerySet[EpjPatient]:
    """The organisation's own patients whose names hold every word of `text` (any case), or whose
    identity number starts with it (`with_service_lists` adds the lists they are on). Empty text
    finds no one: this is a lookup, not a register dump."""
    words = text.split()
    patients = EpjPatient.objects.filter(organisation=organisation)
    if not words:
        return patients.none()
    if len(words) == 1 and words[0].isdigit():
        return patients.filter(nin__startswith=words[0]).order_by("family_name", "given_name", "pk")
    for word in words:
        patients = patients.filter(Q(given_name__icontains=word) | Q(family_name__icontains=word))
    return patients.order_by("family_name", "given_name", "pk")


def with_service_lists(patients: Iterable[EpjPatient]) -> list[tuple[EpjPatient, list[PatientRelationship]]]:
    """Each patient with the service lists they are or were on, current ones first, then by the
    service's name in the register's order (the services are read in a statement of their own)."""
    patients = list(patients)
    relationships = list(PatientRelationship.objects.filter(patient__in=patients))
    services = Service.objects.filter(pk__in={r.service_id for r in relationships}).order_by("name")
    ranked = {service.pk: (rank, service) for rank, service in enumerate(services)}
    by_patient: dict[int, list[PatientRelationship]] = {}
    for relationship in relationships:
        relationship.service = ranked[relationship.service_id][1]
        by_patient.setdefault(relationship.patient_id, []).append(relationship)
    return [
        (patient, sorted(by_patient.get(patient.pk, []), key=lambda r: (not r.active, ranked[r.service_id][0])))
        for patient in patients
    ]
