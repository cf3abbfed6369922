"""Access functions for the clinic desk: staff see only their own organisation's cases (else 404)."""

from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from clinics.access import membership_for
from clinics.models import StaffMembership
from epj.desk.models import AbsenceNotice, Case, DeskAttachment
from epj.staff import StaffUser as User


def desk_membership(*, user: User | AnonymousUser, organisation_id: int) -> StaffMembership:
    return membership_for(user=user, organisation_id=organisation_id)


def case_for_staff(*, user: User | AnonymousUser, case_id: int) -> Case:
    if not user.is_authenticated:
        raise Http404
    case = (
        Case.objects.select_related("organisation", "service", "assignee")
        .filter(pk=case_id, organisation__staff__user=user.pk)
        .first()
    )
    if case is None:
        raise Http404
    return case


def desk_attachment_for_staff(*, user: User | AnonymousUser, attachment_id: int) -> DeskAttachment:
    if not user.is_authenticated:
        raise Http404
    attachment = DeskAttachment.objects.filter(
        pk=attachment_id, message__case__organisation__staff__user=user.pk
    ).first()
    if attachment is None:
        raise Http404
    return attachment


def absence_for_staff(*, user: User | AnonymousUser, notice_id: int) -> AbsenceNotice:
    if not user.is_authenticated:
        raise Http404
    notice = (
        AbsenceNotice.objects.select_related("service")
        .filter(pk=notice_id, service__organisation__staff__user=user.pk)
        .first()
    )
    if notice is None:
        raise Http404
    return notice
