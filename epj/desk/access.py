"""Access functions for the clinic desk: staff see only their own organisation's cases (else 404)."""

from typing import TypeVar

from django.contrib.auth.models import AnonymousUser
from django.db.models import Model, QuerySet
from django.http import Http404

from epj.desk.models import AbsenceNotice, Case, DeskAttachment
from epj.models import Employment, PatientRelationship
from epj.staff import StaffUser as User
from epj.staff import employment_for, organisation_ids_for_staff, service_ids_for_staff

T = TypeVar("T", bound=Model)


def desk_membership(*, user: User | AnonymousUser, organisation_id: int) -> Employment:
    return employment_for(user=user, organisation_id=organisation_id)


def _own_or_404(user: User | AnonymousUser, queryset: QuerySet[T], **lookup: object) -> T:
    """The one row the lookup finds among the signed-in staff member's organisation's, or 404."""
    if not user.is_authenticated:
        raise Http404
    found = queryset.filter(**lookup).first()
    if found is None:
        raise Http404
    return found


def case_for_staff(*, user: User | AnonymousUser, case_id: int) -> Case:
    cases = Case.objects.prefetch_related("organisation", "service", "assignee")
    return _own_or_404(user, cases, pk=case_id, organisation_id__in=organisation_ids_for_staff(user=user))


def desk_attachment_for_staff(*, user: User | AnonymousUser, attachment_id: int) -> DeskAttachment:
    return _own_or_404(
        user,
        DeskAttachment.objects.all(),
        pk=attachment_id,
        message__case__organisation_id__in=organisation_ids_for_staff(user=user),
    )


def absence_for_staff(*, user: User | AnonymousUser, notice_id: int) -> AbsenceNotice:
    notices = AbsenceNotice.objects.prefetch_related("service")
    return _own_or_404(user, notices, pk=notice_id, service_id__in=service_ids_for_staff(user=user))


def relationship_for_staff(*, user: User | AnonymousUser, relationship_id: int) -> PatientRelationship:
    """A relationship on one of the staff member's own organisation's service lists, or 404."""
    relationships = PatientRelationship.objects.select_related("patient").prefetch_related("service__organisation")
    return _own_or_404(
        user, relationships, pk=relationship_id, patient__organisation_id__in=organisation_ids_for_staff(user=user)
    )
