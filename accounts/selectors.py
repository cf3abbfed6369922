"""Reads for the citizen's overview page ("Min side").

Each section comes from the app that owns it; this module only decides, from the person the
citizen acts for and what the representation covers, which sections may be read at all. A
section that is not covered is never queried, so nothing of it can reach the page.
"""

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from accounts.representation import Subject
from appointments.models import Appointment
from appointments.selectors import upcoming_appointments
from clinics.contacts import ContactSummary, health_contacts_for_person
from journal.access import journal_allowed_for
from journal.models import JournalCopyRequest, JournalDocument
from journal.selectors import open_copy_requests_for, recent_documents_for
from messaging.dialogs.models import Kind, ServiceArea, Thread
from messaging.dialogs.selectors import threads_awaiting_answer, unread_threads, unread_total
from tools.models import ToolDispatch
from tools.selectors import new_tools_for_person

if TYPE_CHECKING:
    from django.utils.functional import _StrOrPromise as StrOrPromise  # stubs only: a str or a lazy translation


@dataclass
class Overview:
    subject: Subject
    may_use_dialogs: bool  # messages, appointments, renewals, e-konsultasjon, tools
    may_see_journal: bool  # documents, journal copies and copy requests
    unread_count: int = 0
    unread_threads: list[Thread] = field(default_factory=list)
    appointments: list[Appointment] = field(default_factory=list)
    documents: list[JournalDocument] = field(default_factory=list)
    tools: list[ToolDispatch] = field(default_factory=list)
    renewals: list[Thread] = field(default_factory=list)
    consultations: list[Thread] = field(default_factory=list)
    copy_requests: list[JournalCopyRequest] = field(default_factory=list)
    contacts: list[ContactSummary] = field(
        default_factory=list
    )  # only the citizen's own: they are health information too

    @property
    def open_requests(self) -> int:
        return len(self.renewals) + len(self.consultations) + len(self.copy_requests)

    @property
    def uncovered_areas(self) -> "list[StrOrPromise]":
        """The service areas a power of attorney does not cover, to say so instead of staying silent."""
        return [label for value, label in ServiceArea.choices if value not in self.subject.areas]


def overview_for(*, subject: Subject) -> Overview:
    """What is new and what is waiting for the person `subject` acts for, each section as allowed."""
    patient = subject.patient
    overview = Overview(
        subject=subject, may_use_dialogs=subject.may_use_dialogs, may_see_journal=journal_allowed_for(subject)
    )
    if overview.may_use_dialogs:
        overview.unread_count = unread_total(person=patient)
        overview.unread_threads = unread_threads(person=patient)
        overview.appointments = upcoming_appointments(person=patient)
        overview.tools = new_tools_for_person(person=patient)
        waiting = threads_awaiting_answer(person=patient)
        overview.renewals = [t for t in waiting if t.kind == Kind.RENEWAL]
        overview.consultations = [t for t in waiting if t.kind == Kind.EKONSULTASJON]
    if overview.may_see_journal:
        overview.documents = recent_documents_for(person=patient)
        overview.copy_requests = open_copy_requests_for(person=patient)
    if subject.is_self:
        overview.contacts = health_contacts_for_person(person=patient)
    return overview
