"""The portal reads the address register apart from its own rows (docs/architecture.md, "The EPJ's
own store ... and what is left", item 5): the register (organisations, services, their processes
and published absences) is in the national store (helsenorge/routers.py), where no statement on
the portal's store can reach it. So no statement the citizen's pages, the clinic's pages in the
portal, the operators' changelists or the portal's worker run on the portal's store names a
register table: a row that names a register entry reads it in a statement of its own on the
national store (`prefetch_related`, `clinics.selectors`). A join would fail there anyway (the
control below); the check names the statement and the flow that ran it.

The flows go through the real relay in this process: the EPJ's worker (`relay_deliver_due(side="epj")`)
files what the citizen sends and sends what the clinic does; only the portal's worker
(`relay_deliver_due(side="portal")`) and the portal's requests are checked.
"""

import contextlib
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.apps import apps
from django.db import DatabaseError, connections, router, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from appointments.models import Appointment, ClinicVideoService, DropInRoom, VideoService
from clinics.models import HealthContact, Organisation, Service, ServiceAbsence, ServiceProcess, StaffMembership
from epj.desk.services import clinic_thread_start
from epj.records.models import CopyRequest
from epj.records.services import copy_request_fulfil
from epj.staff import employment_of
from epj.timebooks.services import desk_book
from helsenorge.routers import EPJ_DB, NATIONAL_DB, PORTAL_DB
from journal.models import JournalCopyRequest, JournalDocument
from messaging.dialogs.models import DialogMessage, Kind, Thread
from messaging.relay.delivery import relay_deliver_due
from tests import factories as f
from tests.conftest import TOTP_SECRET, login_as
from tests.journal.conftest import gp_record  # noqa: F401 (fixture)
from tests.timebooks.helpers import SyncResponder, in_transaction, make_slot, make_timebooks
from tests.tools.conftest import maker, published, reviewer  # noqa: F401 (fixtures)
from tests.tools.conftest import send as tool_sent

# The booking page asks the EPJ for free slots over the synchronous channel: the request must be
# committed for the responder thread's connection to see it.
pytestmark = pytest.mark.django_db(transaction=True)

REGISTER_TABLES = frozenset(model._meta.db_table for model in (Organisation, Service, ServiceAbsence, ServiceProcess))
WORD = re.compile(r"\w+")


def portal_own_tables() -> frozenset[str]:
    """The tables of the portal's store that are not the register's."""
    tables = {
        model._meta.db_table
        for model in apps.get_models(include_auto_created=True)
        if router.allow_migrate_model(PORTAL_DB, model)
    }
    return frozenset(tables - REGISTER_TABLES)


def joins(queries: list[dict[str, Any]]) -> list[str]:
    """The statements (run on the portal's store) that name a register table: with the register in
    the national store, every one of them is a join of the portal's rows to the register's."""
    return [query["sql"] for query in queries if set(WORD.findall(query["sql"])) & REGISTER_TABLES]


@contextlib.contextmanager
def read_apart(what: str) -> Iterator[CaptureQueriesContext]:
    """Every statement the block runs on the portal's store; fails on one that names the register."""
    with CaptureQueriesContext(connections[PORTAL_DB]) as queries:
        yield queries
    found = joins(queries.captured_queries)
    assert not found, f"{what}: {len(found)} statement(s) join the portal's rows to the register's:\n" + "\n".join(
        found
    )


def workers_run(what: str) -> int:
    """What the two async workers do, until nothing moves; the portal's worker checked. Returns how
    many documents the portal's worker handled."""
    handled = 0
    while True:
        moved = relay_deliver_due(side="epj", channel="async")
        with read_apart(f"the portal's worker ({what})"):
            portal = relay_deliver_due(side="portal", channel="async")
        handled += portal
        if not moved + portal:
            return handled


def test_the_check_finds_a_join_and_passes_a_read_apart(cast):
    assert portal_own_tables().isdisjoint(REGISTER_TABLES)
    assert set(connections[NATIONAL_DB].introspection.table_names()) >= REGISTER_TABLES
    joined = (
        HealthContact.objects.select_related("service"),
        Thread.objects.filter(service__organisation__active=True),
        StaffMembership.objects.values_list("organisation__name"),
    )
    with CaptureQueriesContext(connections[PORTAL_DB]) as queries:
        for query in joined:
            # The portal's store has no register table: the join fails (a savepoint keeps
            # PostgreSQL's transaction usable).
            with pytest.raises(DatabaseError, match=r"clinics_(service|organisation)"), transaction.atomic():
                list(query)
    assert len(joins(queries.captured_queries)) == 3
    with (
        pytest.raises(AssertionError, match="1 statement"),
        read_apart("a control"),
        contextlib.suppress(DatabaseError),
        transaction.atomic(),
    ):
        list(HealthContact.objects.select_related("service"))

    with read_apart("the same read apart") as queries, CaptureQueriesContext(connections[NATIONAL_DB]) as national:
        contacts = list(HealthContact.objects.prefetch_related("service__organisation"))
    assert contacts and all(contact.service.organisation.name for contact in contacts)
    assert len(queries.captured_queries) == 1  # the contacts, in the portal's store
    assert len(national.captured_queries) == 2  # their services, their organisations, in the national one


def test_the_portals_pages_and_worker_read_the_register_apart(client, gp_record, published):  # noqa: F811
    cast = gp_record
    treater, lab = make_timebooks(cast)
    make_slot(lab, hours_ahead=40, capacity=2)
    phone_slot = make_slot(treater, hours_ahead=50)
    contact = cast.nora.person.health_contacts.get(service=cast.gp_service)
    compose = reverse("dialogs:compose", args=[cast.gp_service.pk, Kind.EKONTAKT])

    # The citizen writes; the EPJ files it and answers with an AppRec the portal's worker applies.
    citizen = login_as(client, cast.nora)
    with read_apart("the new message form"):
        assert citizen.get(compose).status_code == 200
    with read_apart("sending it"):
        response = citizen.post(compose, {"title": "Attest", "text": "Trenger attest til skolen."})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert workers_run("the AppRec") >= 1
    thread = Thread.objects.get(subject="Attest")
    assert DialogMessage.objects.filter(thread=thread, delivery=DialogMessage.Delivery.DELIVERED).exists()

    # The clinic starts a conversation and books a time by phone: both pushed to the portal.
    in_transaction(
        clinic_thread_start,
        organisation=cast.gp_org,
        service=cast.gp_service,
        patient_nin=cast.nora.person.nin,
        subject="Prøvesvar",
        text="Blodprøvene er fine.",
        user=cast.kari,
        using=EPJ_DB,
    )
    in_transaction(
        desk_book,
        slot=phone_slot,
        patient_nin=cast.nora.person.nin,
        patient_name=cast.nora.person.full_name,
        user=cast.reception,
        using=EPJ_DB,
    )
    assert workers_run("the GP's message and the phone booking") >= 2
    assert Thread.objects.filter(subject="Prøvesvar", started_by_clinic=True).exists()
    appointment = Appointment.objects.get(person=cast.nora.person)

    # A journal copy: asked for here, made at the clinic, filed by the portal's worker.
    with read_apart("the copy request form"):
        assert citizen.get(reverse("journal:copy_request_new")).status_code == 200
    with read_apart("asking for a copy"):
        response = citizen.post(reverse("journal:copy_request_new"), {"service": cast.gp_service.pk})
    assert response.status_code == 302
    workers_run("the copy request's AppRec")
    membership = employment_of(user=cast.reception, organisation_id=cast.gp_org.pk)
    in_transaction(copy_request_fulfil, membership=membership, request=CopyRequest.objects.get(), using=EPJ_DB)
    assert workers_run("the copy") >= 1
    assert JournalDocument.objects.get(person=cast.nora.person).request == JournalCopyRequest.objects.get()

    # A tool her GP sends her (the portal's clinic side).
    with read_apart("a clinician sends a tool"):
        tool_sent(cast, published, cast.nora.person)

    # The citizen's pages, with what the flows left in them.
    pages = [
        ("home", [], {}, "Prøvesvar"),
        ("clinics:contact_list", [], {}, cast.gp_service.name),
        ("clinics:contact_detail", [contact.pk], {}, cast.gp_service.name),
        ("dialogs:inbox", [], {}, "Prøvesvar"),
        ("dialogs:inbox", [], {"q": "Attest"}, "Attest"),
        ("dialogs:thread", [thread.pk], {}, "Trenger attest til skolen."),
        ("dialogs:compose", [cast.gp_service.pk, Kind.EKONTAKT], {}, cast.gp_service.name),
        ("appointments:list", [], {}, cast.gp_service.name),
        ("appointments:detail", [appointment.pk], {}, cast.gp_service.name),
        ("journal:documents", [], {}, cast.gp_org.name),
        ("journal:copy_request_new", [], {}, cast.gp_service.name),
        ("tools:mine", [], {}, published.name),
    ]
    for name, args, query, shown in pages:
        with read_apart(name):
            response = citizen.get(reverse(name, args=args), query)
        assert response.status_code == 200, name
        assert shown in response.content.decode(), (name, shown)
    with SyncResponder(), read_apart("the booking page"):
        response = citizen.get(reverse("appointments:book", args=[contact.pk]), {"timebok": lab.ref})
    assert response.status_code == 200 and "2 plasser igjen" in response.content.decode()

    # The clinic's pages in the portal: tools sent, services and video rooms.
    video = VideoService.objects.create(name="Videolegen", url_prefix="https://video.example.no/", approved=True)
    ClinicVideoService.objects.create(organisation=cast.gp_org, video_service=video)
    DropInRoom.objects.create(service=cast.gp_service, room_url="https://video.example.no/drop-in")
    for user, name in (
        (cast.kari, "tools:sent"),
        (cast.kari, "tools:send"),
        (cast.clinic_admin, "clinics:clinic_services"),
        (cast.clinic_admin, "appointments:clinic_video"),
    ):
        client.logout()
        with read_apart(name):
            response = login_as(client, user).get(reverse(name, args=[cast.gp_org.pk]))
        assert response.status_code == 200, name

    # The operators' changelists of the portal's rows that name register rows.
    operator = f.UserFactory(email="drift@test.local", is_staff=True, is_superuser=True, totp_secret=TOTP_SECRET)
    client.logout()
    login_as(client, operator)
    for model in (HealthContact, StaffMembership, ClinicVideoService, DropInRoom, JournalCopyRequest, JournalDocument):
        name = f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist"
        with read_apart(name):
            response = client.get(reverse(name))
        assert response.status_code == 200, name
