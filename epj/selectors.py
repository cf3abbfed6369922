"""The EPJ's reads of its own patient register: who the clinic treats, now or before.

Every "is this our patient?" question the record system answers (a citizen's message, a
synchronous lookup, a clinician opening shared documents, the patient list) is answered here from
the clinic's own `PatientRelationship` rows, never from the portal's health contacts.
"""

from django.db.models import Prefetch, QuerySet

from clinics.models import Organisation, Service
from epj.models import EpjPatient, PatientRelationship


def epj_patient_current(*, organisation: Organisation, nin: str) -> EpjPatient | None:
    """The clinic's patient with this number if one of its services treats them now."""
    return EpjPatient.objects.filter(
        organisation=organisation, nin=nin, pk__in=_relationships(current=True).values("patient_id")
    ).first()


def epj_patient_known(*, organisation: Organisation, nin: str) -> EpjPatient | None:
    """The clinic's record of the patient, current or former."""
    return EpjPatient.objects.filter(organisation=organisation, nin=nin).first()


def epj_treats(
    *, nin: str, service: Service | None = None, organisation_id: int | None = None, current: bool = True
) -> bool:
    """Whether the clinic has the patient: with this service, or with any of the organisation's
    services; `current=False` also counts a relationship that has ended (a former patient)."""
    relationships = _relationships(current=current).filter(patient__nin=nin)
    if service is not None and organisation_id is None:
        return relationships.filter(service=service).exists()
    if organisation_id is not None and service is None:
        return relationships.filter(patient__organisation_id=organisation_id).exists()
    raise TypeError("epj_treats needs exactly one of service and organisation_id")


def epj_treated_nins(*, organisation: Organisation) -> QuerySet[PatientRelationship, str]:
    """Identity numbers of the patients one of the organisation's services treats now."""
    return (
        _relationships(current=True)
        .filter(patient__organisation=organisation)
        .values_list("patient__nin", flat=True)
        .distinct()
    )


def epj_relationships() -> QuerySet[PatientRelationship]:
    """Every relationship in the register, current and ended, with its patient, service and
    organisation (the seeders' walk)."""
    services = Service.objects.select_related("organisation")
    return PatientRelationship.objects.select_related("patient").prefetch_related(
        Prefetch("service", queryset=services)
    )


def _relationships(*, current: bool) -> QuerySet[PatientRelationship]:
    return PatientRelationship.objects.filter(active=True) if current else PatientRelationship.objects.all()
