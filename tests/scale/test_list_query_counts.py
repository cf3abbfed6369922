"""List views run a bounded number of queries however many rows they list.

Each list is measured with 2 rows and again with 9 (below every page size, so all are shown):
the second request may not run more queries than the first (no query per row), and neither
more than CEILING. The grown rows must appear on the page, so the test cannot pass on an
empty list.
"""

import datetime
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.urls import reverse
from django.utils import timezone

from appointments.models import Appointment, AppointmentStatus
from epj.desk.models import Case, CaseKind
from epj.models import EpjPatient
from epj.staff import staff_id
from journal.models import JournalDocument
from messaging.dialogs.models import DialogMessage, Kind, Thread
from tests import factories as f
from tests.conftest import TOTP_SECRET, login_as
from tests.stores import StoreQueries, at_most_queries
from tests.tools.conftest import approve_all, submit_tool
from tools.services import tool_send

# Statements counted and the context read are those of a page built afresh, never of a kept copy.
pytestmark = pytest.mark.usefixtures("pages_rebuilt")

SMALL, LARGE = 2, 9
CEILING = 30  # queries per list page, whatever the data


def _marker(i: int) -> str:
    return f"Rad nummer {i}"


def _maker():
    return f.UserFactory._meta.model.objects.filter(email="maker@test.local").first() or f.UserFactory(
        email="maker@test.local"
    )


def _reviewer():
    return f.UserFactory._meta.model.objects.filter(email="reviewer@test.local").first() or f.UserFactory(
        email="reviewer@test.local", is_catalogue_reviewer=True, totp_secret=TOTP_SECRET
    )


def grow_threads(cast, start, stop):
    now = timezone.now()
    for i in range(start, stop):
        thread = Thread.objects.create(
            person=cast.nora.person,
            service=cast.gp_service,
            kind=Kind.EKONTAKT,
            subject=_marker(i),
            conversation_ref=str(uuid.uuid4()),
            last_activity_at=now,
        )
        DialogMessage.objects.create(
            thread=thread,
            direction=DialogMessage.Direction.OUT,
            msg_id=str(uuid.uuid4()),
            subject=_marker(i),
            text="Hei",
            delivery=DialogMessage.Delivery.DELIVERED,
            written_by=cast.nora.person,
        )
        f.clinic_answer(thread)


def grow_cases(cast, start, stop):
    now = timezone.now()
    for i in range(start, stop):
        Case.objects.create(
            organisation=cast.gp_org,
            service=cast.gp_service,
            kind=CaseKind.EKONTAKT,
            conversation_ref=str(uuid.uuid4()),
            subject=_marker(i),
            patient_nin=cast.nora.person.nin,
            patient_name="Nora Nordmann",
            assignee_id=staff_id(cast.kari) if i % 2 else None,
            waiting_since=now,
            due_at=now + datetime.timedelta(days=i - 3),
        )


def grow_contacts(cast, start, stop):
    for i in range(start, stop):
        f.contact(cast.nora.person, f.gp_service(name=_marker(i)))


def grow_epj_patients(cast, start, stop):
    for i in range(start, stop):
        EpjPatient.objects.create(
            organisation=cast.gp_org, nin=f"0101{i:07d}", given_name=_marker(i), family_name="Pasient"
        )


def grow_published(cast, start, stop):
    for i in range(start, stop):
        approve_all(submit_tool(_maker(), name=_marker(i)), _reviewer())


def grow_pending(cast, start, stop):
    for i in range(start, stop):
        submit_tool(_maker(), name=_marker(i))


def grow_dispatches(cast, start, stop):
    for i in range(start, stop):
        tool = approve_all(submit_tool(_maker(), name=_marker(i)), _reviewer())
        tool_send(
            tool=tool,
            organisation=cast.gp_org,
            sender=cast.kari,
            patient_nin=cast.nora.person.nin,
            note="",
            suitability_confirmed=True,
        )


def grow_appointments(cast, start, stop):
    soon = timezone.now() + datetime.timedelta(days=2)
    for i in range(start, stop):
        begins = soon + datetime.timedelta(days=i)
        Appointment.objects.create(
            person=cast.nora.person,
            service=cast.gp_service,
            status=AppointmentStatus.CONFIRMED,
            title=_marker(i),
            clinician="Kari Lege",
            start=begins,
            end=begins + datetime.timedelta(minutes=20),
            epj_uid=str(uuid.uuid4()),
        )


def grow_documents(cast, start, stop):
    for i in range(start, stop):
        JournalDocument.objects.create(
            person=cast.nora.person,
            organisation=cast.gp_org,
            service=cast.gp_service,
            source=JournalDocument.Source.PUSHED,
            title=_marker(i),
            filename=f"kopi{i}.pdf",
            mime_type="application/pdf",
            size=4,
            data=b"%PDF",
            msg_id=str(uuid.uuid4()),
        )


@dataclass
class ListView:
    viewer: Callable
    url: Callable
    grow: Callable


LISTS = {
    "citizen-inbox": ListView(lambda c: c.nora, lambda c: reverse("dialogs:inbox"), grow_threads),
    "citizen-inbox-search": ListView(
        lambda c: c.nora, lambda c: reverse("dialogs:inbox") + "?q=nummer&state=open", grow_threads
    ),
    "desk-inbox": ListView(lambda c: c.kari, lambda c: reverse("desk:cases", args=[c.gp_org.pk]), grow_cases),
    "desk-search": ListView(
        lambda c: c.kari, lambda c: reverse("desk:cases", args=[c.gp_org.pk]) + "?state=&q=Nora", grow_cases
    ),
    "desk-patient-lookup": ListView(
        lambda c: c.reception, lambda c: reverse("desk:patients", args=[c.gp_org.pk]) + "?q=nummer", grow_epj_patients
    ),
    "contacts": ListView(lambda c: c.nora, lambda c: reverse("clinics:contact_list"), grow_contacts),
    "tools-catalogue": ListView(lambda c: c.nora, lambda c: reverse("tools:catalogue"), grow_published),
    "tools-mine": ListView(lambda c: c.nora, lambda c: reverse("tools:mine"), grow_dispatches),
    "tools-sent": ListView(lambda c: c.kari, lambda c: reverse("tools:sent", args=[c.gp_org.pk]), grow_dispatches),
    "tools-review-queue": ListView(lambda c: _reviewer(), lambda c: reverse("tools:review_queue"), grow_pending),
    "tools-submissions": ListView(lambda c: _maker(), lambda c: reverse("tools:submissions"), grow_pending),
    "appointments": ListView(lambda c: c.nora, lambda c: reverse("appointments:list"), grow_appointments),
    "documents": ListView(lambda c: c.nora, lambda c: reverse("journal:documents"), grow_documents),
}


def _get(client, url):
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response


@pytest.mark.django_db
@pytest.mark.parametrize("name", LISTS)
def test_list_view_runs_a_bounded_number_of_queries(cast, client, name):
    view = LISTS[name]
    login_as(client, view.viewer(cast))
    url = view.url(cast)
    view.grow(cast, 0, SMALL)
    _get(client, url)  # warm-up: one-off lookups (session, content types) are not per-row
    # The portal's statements and the EPJ's (the desk's lists run on its own store).
    with StoreQueries() as small:
        _get(client, url)
    view.grow(cast, SMALL, LARGE)

    with at_most_queries(min(len(small), CEILING)):
        response = _get(client, url)

    page = response.content.decode()
    assert all(_marker(i) in page for i in range(LARGE)), "every grown row is listed"
