"""Each system's flows run with the other system's store unreachable (PostgreSQL only).

The portal and the EPJ each have a database of their own (helsenorge/routers.py), and the address
register is in the national services' (with the national registers). The EPJ keeps its own staff
register (`epj.staff`: who works there and in which role). The EPJ's own web process (epj/site/)
has no portal store at all: tests/security/test_epj_site.py runs it. Here the EPJ's pages are
reached through the portal's process (HN_EPJ_IN_PORTAL, on in the test suite only), whose login
is in the portal's store (SHARED below; docs/architecture.md, item 4). What this test shows:

* the portal's worker runs with the EPJ's database **unreachable** (its EPJ_DATABASE_URL names a
  port nothing listens on), and so do the citizen's pages (this process's `epj` connection
  pointed there while they run);
* the EPJ's worker and the clinic's pages run as a database role of the EPJ's own on the
  portal's database, refused every privilege on every table there but the login: the portal's
  own (persons, dialogs, appointments, documents, tools, notices, health contacts, the portal's
  staff memberships, the portal's relay records, its forms' one-time keys) and the operators' admin log, Django's
  permissions and the identity stand-in's tables (PORTAL_MODELS). What it may still use there is
  listed in SHARED with the reason, and a table no list names fails the test, so a new table is
  classified when it comes.

The flows: an e-kontakt sent, filed by the EPJ, answered with an AppRec; the desk's reply filed
back in the citizen's thread; a booking (free slots over the synchronous channel, then a
reservation confirmed by the EPJ); a journal copy asked for, made at the clinic and filed in the
citizen's documents; a time booked by phone at the clinic and a conversation the GP starts,
both pushed to the portal; a hospital's shared documents read live. Every step goes over the
national transport between the two systems' processes.
"""

import contextlib
import hashlib
import re
import secrets

import pytest
from django.apps import apps
from django.conf import settings
from django.db import OperationalError, ProgrammingError, connection, connections, router
from django.urls import reverse

from appointments.models import Appointment, AppointmentStatus
from epj.desk.models import Case
from epj.records.models import CopyRequest
from journal.models import JournalDocument
from messaging.dialogs.models import DialogMessage, Kind, Thread
from tests.conftest import login_as
from tests.journal.conftest import gp_record, hospital  # noqa: F401 (fixtures)
from tests.timebooks.helpers import make_slot, make_timebooks
from tests.workers import celery_workers, database_url_for_workers, wait_until

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.workers,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not settings.IS_POSTGRES, reason="needs PostgreSQL: table privileges per role"),
]

ROLE_PASSWORD = secrets.token_hex(16)  # the role lives only as long as the test
UNREACHABLE = {"HOST": "127.0.0.1", "PORT": "1"}  # nothing listens on port 1
PORTAL_APPS = {"appointments", "dialogs", "journal", "tools"}
PORTAL_MODELS = {
    "accounts.person",  # the portal's persons (the EPJ has its own patient register)
    "accounts.parentalresponsibility",
    "accounts.notificationpreference",
    "clinics.healthcontact",  # the citizen's health contacts; the EPJ keeps its own relationships
    "clinics.staffmembership",  # the portal's clinic pages' staff; the EPJ keeps its own (epj.staff)
    "messaging.notice",
    "messaging.noticeevent",
    # The relay's records in the portal's store are the portal's; the EPJ keeps its own in its own.
    "messaging.envelope",
    "messaging.inboxmessage",
    "messaging.transporterrormessage",
    "messaging.relayqueuekick",
    # The operators' admin and Django's permissions: the EPJ's staff have no admin and no
    # permissions of Django's (their roles are in the EPJ's staff register).
    "admin.logentry",
    "accounts.user_groups",
    "accounts.user_user_permissions",
    "auth.group",
    "auth.group_permissions",
    "auth.permission",
    "contenttypes.contenttype",
    # The identity stand-in (a third system): staff reach the EPJ through it, never read its tables.
    "oauth2_provider.accesstoken",
    "oauth2_provider.application",
    "oauth2_provider.devicegrant",
    "oauth2_provider.grant",
    "oauth2_provider.idtoken",
    "oauth2_provider.refreshtoken",
    "testidp.assertion",
    # The one-time keys of the citizen's forms (the EPJ's forms carry none).
    "submissions.submissionkey",
}
# What the EPJ's pages still use in the portal's store when the portal's process serves them too
# (HN_EPJ_IN_PORTAL, the test suite's in-process client, as here), and why: that process's login.
# The EPJ's own web process uses none of them: it has no portal store at all, its sessions are in
# the EPJ's and its login is its own HelseID client (tests/security/test_epj_site.py runs it so).
# This test signs in with `force_login`, so only the first two are exercised here.
SHARED = {
    "accounts.user": "logins: citizens and staff in one user table (the EPJ's staff get their own next)",
    "sessions.session": "one web process serves both systems' pages",
    "account.emailaddress": "the login (allauth)",
    "account.emailconfirmation": "the login (allauth)",
    "mfa.authenticator": "the login: staff TOTP (allauth)",
    "socialaccount.socialaccount": "the login: ID-porten and HelseID (allauth)",
    "socialaccount.socialapp": "the login: ID-porten and HelseID (allauth)",
    "socialaccount.socialtoken": "the login: ID-porten and HelseID (allauth)",
}


PORTAL_PAGES: list[tuple[str, list]] = [
    ("home", []),
    ("dialogs:inbox", []),
    ("appointments:list", []),
    ("journal:documents", []),
    ("tools:mine", []),
    ("notices", []),
    ("notification_preferences", []),
]
EPJ_PAGES: list[tuple[str, list]] = [("desk:home", [])]
EPJ_ORGANISATION_PAGES = [
    "desk:cases",
    "desk:patients",
    "epj_timebooks:list",
    "epj_timebooks:calendar_day",
    "records:copy_requests",
    "records:patients",
]


def _key(model) -> str:
    return f"{model._meta.app_label}.{model.__name__.lower()}"


def portal_tables() -> set[str]:
    """The portal's own tables in its database; fails on a table no list names."""
    portal, unclassified = set(), []
    for model in apps.get_models(include_auto_created=True):
        key, table = _key(model), model._meta.db_table
        if model._meta.app_label in PORTAL_APPS or key in PORTAL_MODELS:
            portal.add(table)
        elif router.allow_migrate_model("default", model) and key not in SHARED:
            unclassified.append(key)
    assert not unclassified, f"say whose these tables are (PORTAL_* or SHARED): {unclassified}"
    return portal


@pytest.fixture
def epj_role(transactional_db):
    """A login role on the portal's test database for the EPJ, refused the portal's own tables."""
    name = connection.settings_dict["NAME"]
    role = f"hn_epj_{hashlib.sha256(name.encode()).hexdigest()[:8]}"
    with connection.cursor() as cursor:
        if _role_exists(cursor, role):  # left over from a run that was killed
            cursor.execute(f"DROP OWNED BY {role}")
        cursor.execute(f"DROP ROLE IF EXISTS {role}")
        cursor.execute(f"CREATE ROLE {role} LOGIN PASSWORD %s", [ROLE_PASSWORD])  # for md5/scram too
        cursor.execute(f"GRANT USAGE ON SCHEMA public TO {role}")
        cursor.execute(f"GRANT ALL ON ALL TABLES IN SCHEMA public TO {role}")
        cursor.execute(f"GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO {role}")
        cursor.execute(f"REVOKE ALL ON {', '.join(sorted(portal_tables()))} FROM {role}")
    try:
        yield role
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")
            cursor.execute(f"DROP OWNED BY {role}")
            cursor.execute(f"DROP ROLE {role}")


def _role_exists(cursor, role: str) -> bool:
    cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
    return cursor.fetchone() is not None


@contextlib.contextmanager
def as_role(role: str):
    """Run the test client's requests (this process's `default` connection) as `role`."""
    with connection.cursor() as cursor:
        cursor.execute(f"SET ROLE {role}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")


@contextlib.contextmanager
def epj_store_unreachable():
    """This process's connection to the EPJ's database points where nothing answers."""
    epj = connections["epj"]
    epj.close()
    kept = {key: epj.settings_dict[key] for key in UNREACHABLE}
    epj.settings_dict.update(UNREACHABLE)
    try:
        yield
    finally:
        epj.close()
        epj.settings_dict.update(kept)


@contextlib.contextmanager
def as_citizen(client, user):
    """The test client signed in as a citizen, its requests run with the EPJ's store unreachable."""
    client.logout()
    with epj_store_unreachable():
        yield login_as(client, user)


@contextlib.contextmanager
def as_staff(client, role: str, user):
    """The test client signed in as clinic staff, its requests run as the EPJ's database `role`."""
    client.logout()
    with as_role(role):
        yield login_as(client, user)


def url_as(role: str) -> str:
    url = database_url_for_workers()
    return re.sub(r"^postgres://[^@]*@", f"postgres://{role}:{ROLE_PASSWORD}@", url)


def unreachable_url(alias: str) -> str:
    return re.sub(r"@[^/]*/", f"@{UNREACHABLE['HOST']}:{UNREACHABLE['PORT']}/", database_url_for_workers(alias))


def test_the_role_and_the_unreachable_store_really_refuse(epj_role):
    """The controls: without them, the flows below could pass on a role that refuses nothing and a
    store that answers after all."""
    for table in (Thread._meta.db_table, "accounts_person", "clinics_healthcontact", "messaging_envelope"):
        with (
            as_role(epj_role),
            pytest.raises(ProgrammingError, match="permission denied"),
            connection.cursor() as cursor,
        ):
            cursor.execute(f"SELECT 1 FROM {table} LIMIT 1")
        connections["default"].close()  # a failed statement may leave the connection unusable
    with epj_store_unreachable(), pytest.raises(OperationalError):
        Case.objects.exists()
    assert Case.objects.count() == 0  # and reachable again afterwards


def test_each_systems_flows_run_with_the_others_store_unreachable(epj_role, gp_record, hospital, client):  # noqa: F811
    epj = epj_role
    cast = gp_record
    treater, lab = make_timebooks(cast)
    make_slot(lab, hours_ahead=40, capacity=2)
    phone_slot = make_slot(treater, hours_ahead=50)
    contact = cast.nora.person.health_contacts.get(service=cast.gp_service)
    with (
        celery_workers(sides=("portal",), env={"EPJ_DATABASE_URL": unreachable_url("epj")}) as portal_workers,
        celery_workers(sides=("epj",), env={"DATABASE_URL": url_as(epj)}) as epj_workers,
    ):
        try:
            # 1. The citizen writes (portal); the EPJ files it and answers with an AppRec.
            with as_citizen(client, cast.nora) as citizen:
                compose = reverse("dialogs:compose", args=[cast.gp_service.pk, Kind.EKONTAKT])
                response = citizen.post(compose, {"title": "Attest", "text": "Trenger attest til skolen."})
                assert response.status_code == 302, response.content.decode()[:2000]
            thread = Thread.objects.get(subject="Attest")
            case = wait_until(
                lambda: Case.objects.filter(conversation_ref=thread.conversation_ref).first(),
                message="the e-kontakt filed by the EPJ's worker",
            )
            wait_until(
                lambda: DialogMessage.objects.filter(thread=thread, delivery="delivered").exists(),
                message="the EPJ's AppRec applied by the portal's worker",
            )

            # 2. The clinic answers at its desk (EPJ); the portal files the answer in her thread.
            with as_staff(client, epj, cast.kari) as desk:
                assert "Attest" in desk.get(reverse("desk:cases", args=[cast.gp_org.pk])).content.decode()
                assert "Trenger attest" in desk.get(reverse("desk:case", args=[case.pk])).content.decode()
                desk.post(reverse("desk:claim", args=[case.pk]))
                answer = {"text": "Attesten ligger klar i resepsjonen."}
                response = desk.post(reverse("desk:case", args=[case.pk]), answer)
                assert response.status_code == 302, response.content.decode()[:2000]
            wait_until(
                lambda: DialogMessage.objects.filter(thread=thread, direction="in").exists(),
                message="the desk's answer filed by the portal's worker",
            )

            # 3. She reads it, and books: free slots over the synchronous channel, then the reservation.
            with as_citizen(client, cast.nora) as citizen:
                page = citizen.get(reverse("dialogs:thread", args=[thread.pk])).content.decode()
                assert "Attesten ligger klar i resepsjonen." in page
                page = citizen.get(reverse("appointments:book", args=[contact.pk]), {"timebok": lab.ref})
                assert page.status_code == 200 and "2 plasser igjen" in page.content.decode()
                choose = re.search(r'href="([^"]*bekreft[^"]*)"', page.content.decode()).group(1)
                confirm = citizen.get(choose.replace("&amp;", "&")).content.decode()
                form = dict(re.findall(r'name="(choice|request_id)" value="([^"]*)"', confirm))
                response = citizen.post(reverse("appointments:book_confirm", args=[contact.pk]), form)
                assert response.status_code == 302
                # 4. A copy of her GP record: asked for here, made at the clinic (records) below.
                response = citizen.post(reverse("journal:copy_request_new"), {"service": cast.gp_service.pk})
                assert response.status_code == 302
            appointment = Appointment.objects.get()  # the phone booking below is the second
            wait_until(
                lambda: Appointment.objects.filter(pk=appointment.pk, status=AppointmentStatus.CONFIRMED).exists(),
                message="the booking confirmed by the EPJ's worker",
            )
            copy_request = wait_until(
                lambda: CopyRequest.objects.filter(patient_nin=cast.nora.person.nin).first(),
                message="the copy request filed by the EPJ's worker",
            )
            with as_staff(client, epj, cast.reception) as desk:
                detail = reverse("records:copy_request_detail", args=[cast.gp_org.pk, copy_request.pk])
                assert "Hodepine" in desk.get(detail).content.decode()
                assert desk.post(detail).status_code == 302
                # 5. The clinic starts things too: reception books her a time by phone (pushed to
                #    her appointments), and her GP writes to her first (a new thread).
                booking = {"form": "book", "book-nin": cast.nora.person.nin, "book-name": cast.nora.person.full_name}
                assert desk.post(reverse("epj_timebooks:slot", args=[phone_slot.pk]), booking).status_code == 302
            with as_staff(client, epj, cast.kari) as desk:
                first = {"service": cast.gp_service.pk, "patient_nin": cast.nora.person.nin}
                first |= {"subject": "Prøvesvar", "text": "Blodprøvene er fine."}
                assert desk.post(reverse("desk:thread_start", args=[cast.gp_org.pk]), first).status_code == 302
            wait_until(
                lambda: JournalDocument.objects.filter(person=cast.nora.person).exists(),
                message="the copy filed in her documents by the portal's worker",
            )
            wait_until(lambda: Appointment.objects.count() == 2, message="the phone booking pushed to the portal")
            wait_until(
                lambda: Thread.objects.filter(subject="Prøvesvar").exists(),
                message="the GP's first message filed by the portal's worker",
            )

            # 6. The copy in her documents, a hospital's shared documents read live (sync), and each
            #    system's everyday pages with what the flows above left in them.
            with as_citizen(client, cast.nora) as citizen:
                assert "Kopi mottatt" in citizen.get(reverse("journal:documents")).content.decode()
                assert "Prøvesvar" in citizen.get(reverse("dialogs:inbox")).content.decode()
                listing = citizen.get(reverse("journal:shared_documents")).content.decode()
                assert "Epikrise etter innleggelse" in listing
                shared = reverse("journal:shared_document", args=[hospital.service.pk, hospital.nora_doc.document_id])
                assert citizen.get(shared).status_code == 200
                for name, args in PORTAL_PAGES + [("appointments:detail", [appointment.pk])]:
                    assert citizen.get(reverse(name, args=args), follow=True).status_code == 200, name
            with as_staff(client, epj, cast.kari) as desk:
                org, timebook = cast.gp_org.pk, treater.pk
                for name, args in (
                    EPJ_PAGES
                    + [(name, [org]) for name in EPJ_ORGANISATION_PAGES]
                    + [("epj_timebooks:calendar_week", [timebook]), ("desk:case", [case.pk])]
                ):
                    assert desk.get(reverse(name, args=args), follow=True).status_code == 200, name
        finally:
            logs = {
                "portal": portal_workers.logs["portal"].read_text(errors="replace"),
                "epj": epj_workers.logs["epj"].read_text(errors="replace"),
            }
        assert "permission denied" not in logs["epj"], (
            f"the EPJ's worker reached the portal's tables:\n{logs['epj'][-5000:]}"
        )
        assert "port 1 failed" not in logs["portal"] and "Connection refused" not in logs["portal"], (
            f"the portal's worker reached for the EPJ's database:\n{logs['portal'][-5000:]}"
        )
