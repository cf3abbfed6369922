"""The one way an EPJ page records that staff read a patient's information (DESIGN §7).

Every staff read of patient content on the EPJ side (a desk case and its attachments, the
record's notes, shared documents, bookings in a slot) calls `patient_read_log` once per patient
shown. It writes to the citizen-readable access log (`journal.services.access_log_write`, the
stand-in for the national log service) with the staff member, the organisation and role they act
in, and a short reference the citizen reads, never health content. Call it after every access
and role check has passed, so a refused request writes nothing.
"""

from accounts.models import Person
from clinics.models import StaffMembership
from journal.services import (
    ACCESS_APPOINTMENTS,
    ACCESS_DOCUMENTS,
    ACCESS_JOURNAL_COPY,
    ACCESS_MESSAGES,
    ACCESS_RECORD,
    access_log_write,
)

__all__ = [
    "ACCESS_APPOINTMENTS",
    "ACCESS_DOCUMENTS",
    "ACCESS_JOURNAL_COPY",
    "ACCESS_MESSAGES",
    "ACCESS_RECORD",
    "patient_read_log",
]


def patient_read_log(
    *,
    membership: StaffMembership,
    what: str,
    object_ref: str,
    person: Person | None = None,
    patient_nin: str = "",
) -> bool:
    """Log that `membership`'s user read the patient's `what`; the patient by Person or by number.

    A number the population register does not know has no citizen to read the log, so nothing
    is written (False).
    """
    if person is None:
        person = Person.objects.filter(nin=patient_nin).first() if patient_nin else None
    if person is None:
        return False
    access_log_write(
        actor=membership.user,
        organisation=membership.organisation,
        role=membership.role,
        person=person,
        what=what,
        object_ref=object_ref,
    )
    return True
