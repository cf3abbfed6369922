"""Every staff read of patient content on the EPJ side lands in the citizen's access log (DESIGN §7).

One parametrised test opens each EPJ page that shows a patient's information (the desk case, its
attachment download, the record behind a copy request, shared documents, a slot's bookings) and
asserts exactly one new entry: the right citizen, staff member, organisation, role and kind. The
same request refused (staff of another organisation, or a role the page is not for) writes none.
A second test makes every EPJ URL pattern either such a logged read or a page listed here with the
reason it shows no patient content, so a new page cannot be forgotten.
"""

from dataclasses import dataclass

import pytest
from django.urls import reverse

from epj.desk.models import DeskAttachment
from epj.records.models import CopyRequest
from epj.timebooks.services import desk_book
from journal.services import journal_copy_request
from national.models import AccessLogEntry
from national.selectors import resident_for
from tests.conftest import login_as
from tests.dialogs.conftest import clinic_data, sent  # noqa: F401 (fixtures)
from tests.journal.conftest import deliver_all, gp_record, hospital, in_transaction  # noqa: F401 (fixtures)
from tests.security.authz_table import url_patterns
from tests.timebooks.helpers import make_slot, make_timebooks

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Read:
    url: str
    reader: str  # who may read it (cast attribute)
    what: str  # AccessLogEntry.What
    refused: tuple[str, ...]  # who is refused (cast attributes)


# Every EPJ page that shows one patient's information.
READS = {
    "desk:case": Read("desk:case", "kari", "messages", ("ola", "other_admin")),
    "desk:case (reception)": Read("desk:case", "reception", "messages", ("ola",)),
    "desk:attachment": Read("desk:attachment", "kari", "messages", ("ola", "other_admin")),
    "records:copy_request_detail": Read("records:copy_request_detail", "reception", "record", ("other_admin",)),
    "records:patient_documents": Read(
        "records:patient_documents", "kari", "documents", ("reception", "clinic_admin", "ola")
    ),
    "records:patient_document": Read(
        "records:patient_document", "kari", "documents", ("reception", "clinic_admin", "ola")
    ),
    "epj_timebooks:slot": Read("epj_timebooks:slot", "reception", "appointments", ("ola",)),
}

# EPJ pages that show no single patient's information, and why.
NOT_A_PATIENT_READ = {
    "desk:home": "the organisations the staff member works in",
    "desk:cases": "the work queue (name, kind, subject line); opening a case is the logged read",
    "desk:absence": "absence notices, no patient",
    "desk:absence_cancel": "a write, no patient",
    "desk:thread_start": "a form; the message sent is in the audit trail",
    "desk:claim": "a write (audit trail), redirects to the logged case page",
    "desk:assign": "a write (audit trail), redirects to the logged case page",
    "desk:close": "a write (audit trail), redirects to the logged case page",
    "desk:charge_paid": "a write (audit trail), redirects to the logged case page",
    "desk:patients": "names and numbers of the organisation's own patients; opening their cases is the logged read",
    "desk:patient_list_add": "a write (audit trail) of register data, no health content",
    "desk:patient_list_end": "a confirmation naming the patient and the service, then a write (audit trail)",
    "records:copy_requests": "the work queue of copy requests; opening one is the logged read",
    "records:copy_push": "a form; the copy sent is logged as journal_copy by the service",
    "records:hospital_documents": "the hospital's own publication list; reading a document is the logged read",
    "records:patients": "names of treated patients; their documents are the logged read",
    "epj_timebooks:list": "timebooks, no patient",
    "epj_timebooks:detail": "a week of slots with counts, no patient",
}
# EPJ pages that show many patients at once and log one entry per patient shown, tested where
# the page is built (a date range decides who is shown, so they do not fit the one-read table).
LOGGED_PER_PATIENT_SHOWN = {
    "epj_timebooks:calendar_day": "tests/timebooks/test_calendar.py",
    "epj_timebooks:calendar_week": "tests/timebooks/test_calendar.py",
}
EPJ_NAMESPACES = ("desk:", "records:", "epj_timebooks:")


@pytest.fixture
def world(gp_record, hospital, sent):  # noqa: F811
    """Nora's e-konsultasjon with a PDF, her copy request, her shared documents and a booking."""
    cast = gp_record
    _thread, case = sent
    in_transaction(journal_copy_request, service=cast.gp_service, patient=cast.nora.person, written_by=cast.nora.person)
    deliver_all()
    treater, _lab = make_timebooks(cast)
    slot = make_slot(treater)
    desk_book(slot=slot, patient_nin=cast.nora.person.nin, patient_name=cast.nora.person.full_name, user=None)
    org, nora = cast.gp_org.pk, resident_for(nin=cast.nora.person.nin).pk
    kwargs = {
        "desk:case": [case.pk],
        "desk:attachment": [DeskAttachment.objects.get(message__case=case).pk],
        "records:copy_request_detail": [org, CopyRequest.objects.get().pk],
        "records:patient_documents": [org, nora],
        "records:patient_document": [org, nora, hospital.nora_doc.document_id],
        "epj_timebooks:slot": [slot.pk],
    }
    return cast, kwargs


@pytest.mark.parametrize("name", sorted(READS))
def test_each_staff_read_writes_exactly_one_entry(client, world, name):
    cast, kwargs = world
    read = READS[name]
    url = reverse(read.url, args=kwargs[read.url])
    before = AccessLogEntry.objects.count()
    for who in read.refused:
        assert login_as(client, getattr(cast, who)).get(url).status_code == 404, who
    assert AccessLogEntry.objects.count() == before  # a refused request logs nothing

    reader = getattr(cast, read.reader)
    response = login_as(client, reader).get(url)
    assert response.status_code == 200
    new = list(AccessLogEntry.objects.order_by("pk")[before:])
    assert len(new) == 1, [(e.what, e.object_ref) for e in new]
    entry = new[0]
    membership = reader.staff_memberships.get()
    assert entry.person_nin == cast.nora.person.nin
    assert (entry.actor_nin, entry.actor_name) == (reader.nin, reader.display_name)
    assert (entry.organisation_her_id, entry.role, entry.what) == (cast.gp_org.her_id, membership.role, read.what)
    # The citizen reads the reference: never the subject, a document's text or the medication.
    assert "Vondt i halsen" not in entry.object_ref and "Levaxin" not in entry.object_ref


def test_every_epj_page_is_a_logged_read_or_says_why_not():
    keys = {key for key, _route, _pattern in url_patterns() if key.startswith(EPJ_NAMESPACES)}
    logged = {read.url for read in READS.values()} | set(LOGGED_PER_PATIENT_SHOWN)
    assert not logged & set(NOT_A_PATIENT_READ)
    assert keys == logged | set(NOT_A_PATIENT_READ), keys ^ (logged | set(NOT_A_PATIENT_READ))
