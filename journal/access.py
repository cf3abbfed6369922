"""Who may see whose journal information: the one rule, and the access functions built on it.

Domain brief §4 and §8.3, as this project applies them to stored copies, copy requests, shared
hospital documents and the access log:
- a person sees their own from 16 (helserettslig myndig); a younger person does not;
- a parent sees a child's while the child is under 12 (the dialogs' representation rule: parental
  responsibility, a parent registered at the child's address, no confidential address);
- nobody sees a child's from 12 to 15;
- a holder of a live power of attorney for "Innsyn i opplysninger registrert om deg" sees the
  grantor's (who is 16 or older by the rules for giving one).
Who the citizen is acting for comes from the dialogs' "acting for" switch
(accounts.representation); this module only decides what that allows in the journal.
"""

import datetime

from django.contrib.auth.models import AnonymousUser
from django.http import Http404, HttpRequest
from django.utils import timezone

from accounts.models import Person, User
from accounts.representation import (
    RELATION_PARENT,
    RELATION_PROXY,
    Subject,
    acting_subject,
    representation_options,
)
from clinics.models import Service
from journal.models import JournalDocument
from messaging.dialogs.models import ServiceArea

OWN_ACCESS_AGE = 16
PARENT_ACCESS_BELOW_AGE = 12


def journal_access_allowed(*, viewer: Person, subject: Person, today: datetime.date | None = None) -> bool:
    """THE rule: may `viewer` see `subject`'s documents, journal copies and access log?"""
    today = today or timezone.localdate()
    age = subject.age_on(today)
    if viewer.pk == subject.pk:
        return age >= OWN_ACCESS_AGE
    option = next((o for o in representation_options(actor=viewer, today=today) if o.patient.pk == subject.pk), None)
    if option is None:
        return False
    return _option_allows(option, age)


def _option_allows(option: Subject, age: int) -> bool:
    if option.is_self:
        return age >= OWN_ACCESS_AGE
    if option.relation == RELATION_PARENT:
        return age < PARENT_ACCESS_BELOW_AGE
    if option.relation == RELATION_PROXY:
        return age >= OWN_ACCESS_AGE and ServiceArea.INSIGHT in option.areas
    return False


def journal_allowed_for(subject: Subject, *, today: datetime.date | None = None) -> bool:
    """THE rule for a subject `acting_subject` has already validated (no second look-up)."""
    today = today or timezone.localdate()
    return _option_allows(subject, subject.patient.age_on(today))


def journal_subject(request: HttpRequest) -> tuple[Subject, bool]:
    """The "acting for" subject and whether the journal pages may show their information.

    Lists render an explanation when not allowed; object views use the functions below (404).
    """
    subject = acting_subject(request)
    return subject, journal_access_allowed(viewer=subject.actor, subject=subject.patient)


def journal_subject_or_404(request: HttpRequest) -> Subject:
    subject, allowed = journal_subject(request)
    if not allowed:
        raise Http404
    return subject


def sharing_service_for(*, patient: Person, service_id: int) -> Service:
    """A hospital service that shares documents with the patient, or 404."""
    from journal.selectors import document_sharing_services

    service = next((s for s in document_sharing_services(person=patient) if s.pk == service_id), None)
    if service is None:
        raise Http404
    return service


def journal_document_for(*, user: User | AnonymousUser, document_id: int) -> JournalDocument:
    """A stored copy in "Dokumenter", for a citizen allowed to see its patient's documents, or 404."""
    if not user.is_authenticated or user.person is None:  # not a citizen
        raise Http404
    document = (
        JournalDocument.objects.select_related("person").prefetch_related("organisation").filter(pk=document_id).first()
    )
    if document is None or not journal_access_allowed(viewer=user.person, subject=document.person):
        raise Http404
    return document
