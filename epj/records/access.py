"""Access functions for the clinic desk's journal pages. Forbidden and missing both answer 404."""

from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from clinics.models import StaffRole
from epj.models import Employment
from epj.records.models import CopyRequest, HospitalDocument
from epj.selectors import epj_treats
from epj.staff import StaffUser as User
from epj.staff import employment_for
from national.selectors import Resident, resident_by_id

# Who handles journal copies: all desk roles (the secretary usually does the printing).
COPY_ROLES = [StaffRole.RECEPTION, StaffRole.CLINICIAN, StaffRole.CLINIC_ADMIN]
# Who publishes a hospital's documents.
PUBLISH_ROLES = [StaffRole.CLINICIAN, StaffRole.CLINIC_ADMIN]


def desk_membership_for(*, user: User | AnonymousUser, organisation_id: int) -> Employment:
    return employment_for(user=user, organisation_id=organisation_id, roles=COPY_ROLES)


def copy_request_for(
    *, user: User | AnonymousUser, organisation_id: int, request_id: int
) -> tuple[Employment, CopyRequest]:
    """(membership, request) for staff of the organisation the request was sent to, or 404."""
    membership = desk_membership_for(user=user, organisation_id=organisation_id)
    request = (
        CopyRequest.objects.prefetch_related("service")
        .filter(pk=request_id, organisation_id=membership.organisation_id)
        .first()
    )
    if request is None:
        raise Http404
    return membership, request


def hospital_membership_for(*, user: User | AnonymousUser, organisation_id: int) -> Employment:
    membership = employment_for(user=user, organisation_id=organisation_id, roles=PUBLISH_ROLES)
    if not membership.organisation.is_hospital:
        raise Http404
    return membership


def clinician_membership_for(*, user: User | AnonymousUser, organisation_id: int) -> Employment:
    return employment_for(user=user, organisation_id=organisation_id, roles=[StaffRole.CLINICIAN])


def treated_patient_for(
    *, user: User | AnonymousUser, organisation_id: int, person_id: int
) -> tuple[Employment, Resident]:
    """(membership, resident) for a clinician whose organisation treats the person now, or 404.

    `person_id` is the population register's id (the patient list links by it). "Treats" means an
    active relationship with one of the organisation's services in the clinic's own register.
    """
    membership = clinician_membership_for(user=user, organisation_id=organisation_id)
    person = resident_by_id(resident_id=person_id)
    treats = person is not None and epj_treats(nin=person.nin, organisation_id=membership.organisation_id)
    if person is None or not treats:
        raise Http404
    return membership, person


def shared_document_for_clinician(
    *, user: User | AnonymousUser, organisation_id: int, person_id: int, document_id: str
) -> tuple[Employment, Resident, HospitalDocument]:
    """(membership, person, document) for a treating clinician, or 404."""
    membership, person = treated_patient_for(user=user, organisation_id=organisation_id, person_id=person_id)
    document = (
        HospitalDocument.objects.prefetch_related("organisation")
        .filter(document_id=document_id, patient_nin=person.nin)
        .first()
    )
    if document is None:
        raise Http404
    return membership, person, document
