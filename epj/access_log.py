"""The one way an EPJ page records that staff read a patient's information (DESIGN §7).

Every staff read of patient content on the EPJ side (a desk case and its attachments, the
record's notes, shared documents, bookings in a slot) calls `patient_read_log` once per patient
shown. It reports the read to the national access-log service (`national.services`, standing in
for the national access-log API: docs/national.md) with the staff member, the organisation and
role they act in, the patient's national identity number and a short reference the citizen
reads, never health content. Call it after every access and role check has passed, so a refused
request writes nothing.
"""

from epj.models import Employment
from national.services import (
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


def patient_read_log(*, membership: Employment, what: str, object_ref: str, patient_nin: str) -> bool:
    """Report that `membership`'s staff member read the `what` of the patient with this identity number.

    Returns False, writing nothing, for an empty number (a record with no identified patient).
    """
    if not patient_nin:
        return False
    access_log_write(
        actor=membership.staff,
        organisation=membership.organisation,
        role=membership.role,
        person_nin=patient_nin,
        what=what,
        object_ref=object_ref,
    )
    return True
