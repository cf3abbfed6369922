"""Each system's flows run with the other system's tables unreachable (PostgreSQL only).

The portal and the EPJ still share one PostgreSQL database (docs/architecture.md, "Toward the
EPJ's own store"). What this test shows is the property the split needs: no code of one system
touches the other's tables. It gives each system a database role of its own that is refused
every privilege on the other system's tables, then runs real flows as those roles:

* the portal's worker and the citizen's pages (the test client under `SET ROLE`) as the
  portal's role, which cannot read or write one EPJ table;
* the EPJ's worker and the clinic desk's pages as the EPJ's role, which cannot read or write
  the portal's persons, dialogs, appointments, documents, tools, notices or health contacts.

The flows: an e-kontakt sent, filed by the EPJ, answered with an AppRec; the desk's reply filed
back in the citizen's thread; a booking (free slots over the synchronous channel, then a
reservation confirmed by the EPJ); a journal copy asked for, made at the clinic and filed in the
citizen's documents; a time booked by phone at the clinic and a conversation the GP starts,
both pushed to the portal; a hospital's shared documents read live. Every step goes over the national transport between the two
roles' processes. The tables both still use (the relay's outbox and inbox records, keyed by side;
the address register; logins and sessions; the identity stand-in) are listed in SHARED with the
reason, and a table no list names fails the test, so a new table is classified when it comes.
"""

import contextlib
import hashlib
import re
import secrets

import pytest
from django.apps import apps
from django.conf import settings
from django.db import ProgrammingError, connection, connections
from django.urls import reverse

from appointments.models import Appointment, AppointmentStatus
from epj.desk.models import Case
from epj.records.models import CopyRequest
from helsenorge.routers import PORTAL_DB
from journal.models import JournalDocument
from messaging.dialogs.models import DialogMessage, Kind, Thread
from tests.conftest import login_as
from tests.journal.conftest import gp_record, hospital  # noqa: F401 (fixtures)
from tests.stores import stores_of
from tests.timebooks.helpers import make_slot, make_timebooks
from tests.workers import celery_workers, database_url_for_workers, wait_until

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.workers,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not settings.IS_POSTGRES, reason="needs PostgreSQL: table privileges per role"),
]

ROLE_PASSWORD = secrets.token_hex(16)  # the roles live only as long as the test
EPJ_APPS = {"epj", "epj_desk", "epj_timebooks", "epj_records"}
PORTAL_APPS = {"appointments", "dialogs", "journal", "tools"}
PORTAL_MODELS = {
    "accounts.person",  # the portal's persons (the EPJ has its own patient register)
    "accounts.parentalresponsibility",
    "accounts.notificationpreference",
    "clinics.healthcontact",  # the citizen's health contacts; the EPJ keeps its own relationships
    "messaging.notice",
    "messaging.noticeevent",
}
# Still used by both, and why (what the split turns each into).
SHARED = {
    "accounts.user": "logins: citizens and staff in one user table (staff get their own in the split)",
    "accounts.user_groups": "logins",
    "accounts.user_user_permissions": "logins",
    "account.emailaddress": "logins (allauth)",
    "account.emailconfirmation": "logins (allauth)",
    "mfa.authenticator": "staff TOTP (allauth)",
    "socialaccount.socialaccount": "ID-porten and HelseID logins (allauth)",
    "socialaccount.socialapp": "ID-porten and HelseID logins (allauth)",
    "socialaccount.socialtoken": "ID-porten and HelseID logins (allauth)",
    "sessions.session": "one web process serves both systems' pages",
    "admin.logentry": "the operators' admin",
    "auth.group": "Django's permissions",
    "auth.group_permissions": "Django's permissions",
    "auth.permission": "Django's permissions",
    "contenttypes.contenttype": "Django's permissions",
    "submissions.submissionkey": "the one-time form keys both systems' forms carry",
    "clinics.organisation": "the address register (national; to move to the national store)",
    "clinics.service": "the address register",
    "clinics.serviceprocess": "the address register",
    "clinics.serviceabsence": "the address register: what a service publishes",
    "clinics.staffmembership": "staff memberships and roles",
    "messaging.envelope": "the relay's outbox, one row per side (column `side`)",
    "messaging.inboxmessage": "the relay's receiver records, one row per side and MsgId",
    "messaging.relayqueuekick": "the relay's kick flags, per side's queue",
    "messaging.transporterrormessage": "transport error messages, per side",
    "oauth2_provider.accesstoken": "the identity stand-in (a third system)",
    "oauth2_provider.application": "the identity stand-in",
    "oauth2_provider.devicegrant": "the identity stand-in",
    "oauth2_provider.grant": "the identity stand-in",
    "oauth2_provider.idtoken": "the identity stand-in",
    "oauth2_provider.refreshtoken": "the identity stand-in",
    "testidp.assertion": "the identity stand-in",
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


def owned_tables() -> tuple[set[str], set[str]]:
    """(the portal's tables, the EPJ's tables) in the shared database; fails on a table no list names."""
    portal, epj, unclassified = set(), set(), []
    for model in apps.get_models(include_auto_created=True):
        if PORTAL_DB not in stores_of(model):  # the relay's records are in both sides' stores
            continue
        key, table = _key(model), model._meta.db_table
        if model._meta.app_label in EPJ_APPS:
            epj.add(table)
        elif model._meta.app_label in PORTAL_APPS or key in PORTAL_MODELS:
            portal.add(table)
        elif key not in SHARED:
            unclassified.append(key)
    assert not unclassified, f"say whose these tables are (PORTAL_*, EPJ_APPS or SHARED): {unclassified}"
    return portal, epj


@pytest.fixture
def roles(transactional_db):
    """Two login roles on the test database: the portal's and the EPJ's, each refused the other's tables."""
    name = connection.settings_dict["NAME"]
    suffix = hashlib.sha256(name.encode()).hexdigest()[:8]
    portal_role, epj_role = f"hn_portal_{suffix}", f"hn_epj_{suffix}"
    portal_tables, epj_tables = owned_tables()
    with connection.cursor() as cursor:
        for role in (portal_role, epj_role):
            if _role_exists(cursor, role):  # left over from a run that was killed
                cursor.execute(f"DROP OWNED BY {role}")
            cursor.execute(f"DROP ROLE IF EXISTS {role}")
            cursor.execute(f"CREATE ROLE {role} LOGIN PASSWORD %s", [ROLE_PASSWORD])  # for md5/scram too
            cursor.execute(f"GRANT USAGE ON SCHEMA public TO {role}")
            cursor.execute(f"GRANT ALL ON ALL TABLES IN SCHEMA public TO {role}")
            cursor.execute(f"GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO {role}")
        for role, refused in ((portal_role, epj_tables), (epj_role, portal_tables)):
            cursor.execute(f"REVOKE ALL ON {', '.join(sorted(refused))} FROM {role}")
    try:
        yield portal_role, epj_role
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")
            for role in (portal_role, epj_role):
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
def signed_in(client, role: str, user):
    """The test client signed in as `user`, its requests run as the database `role`."""
    client.logout()
    with as_role(role):
        yield login_as(client, user)


def url_as(role: str) -> str:
    url = database_url_for_workers()
    return re.sub(r"^postgres://[^@]*@", f"postgres://{role}:{ROLE_PASSWORD}@", url)


def test_the_roles_really_refuse_the_other_systems_tables(roles):
    """The control: without it, the flows below could pass on roles that refuse nothing."""
    portal_role, epj_role = roles
    for role, table in (
        (portal_role, Case._meta.db_table),
        (epj_role, Thread._meta.db_table),
        (epj_role, "accounts_person"),
        (epj_role, "clinics_healthcontact"),
    ):
        with as_role(role), pytest.raises(ProgrammingError, match="permission denied"), connection.cursor() as cursor:
            cursor.execute(f"SELECT 1 FROM {table} LIMIT 1")
        connections["default"].close()  # a failed statement may leave the connection unusable


def test_each_systems_flows_run_with_the_others_tables_unreachable(roles, gp_record, hospital, client):  # noqa: F811
    portal, epj = roles
    cast = gp_record
    treater, lab = make_timebooks(cast)
    make_slot(lab, hours_ahead=40, capacity=2)
    phone_slot = make_slot(treater, hours_ahead=50)
    contact = cast.nora.person.health_contacts.get(service=cast.gp_service)
    with (
        celery_workers(sides=("portal",), env={"DATABASE_URL": url_as(portal)}) as portal_workers,
        celery_workers(sides=("epj",), env={"DATABASE_URL": url_as(epj)}) as epj_workers,
    ):
        try:
            # 1. The citizen writes (portal); the EPJ files it and answers with an AppRec.
            with signed_in(client, portal, cast.nora) as citizen:
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
            with signed_in(client, epj, cast.kari) as desk:
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
            with signed_in(client, portal, cast.nora) as citizen:
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
            with signed_in(client, epj, cast.reception) as desk:
                detail = reverse("records:copy_request_detail", args=[cast.gp_org.pk, copy_request.pk])
                assert "Hodepine" in desk.get(detail).content.decode()
                assert desk.post(detail).status_code == 302
                # 5. The clinic starts things too: reception books her a time by phone (pushed to
                #    her appointments), and her GP writes to her first (a new thread).
                booking = {"form": "book", "book-nin": cast.nora.person.nin, "book-name": cast.nora.person.full_name}
                assert desk.post(reverse("epj_timebooks:slot", args=[phone_slot.pk]), booking).status_code == 302
            with signed_in(client, epj, cast.kari) as desk:
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
            with signed_in(client, portal, cast.nora) as citizen:
                assert "Kopi mottatt" in citizen.get(reverse("journal:documents")).content.decode()
                assert "Prøvesvar" in citizen.get(reverse("dialogs:inbox")).content.decode()
                listing = citizen.get(reverse("journal:shared_documents")).content.decode()
                assert "Epikrise etter innleggelse" in listing
                shared = reverse("journal:shared_document", args=[hospital.service.pk, hospital.nora_doc.document_id])
                assert citizen.get(shared).status_code == 200
                for name, args in PORTAL_PAGES + [("appointments:detail", [appointment.pk])]:
                    assert citizen.get(reverse(name, args=args), follow=True).status_code == 200, name
            with signed_in(client, epj, cast.kari) as desk:
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
        for side, log in logs.items():
            assert "permission denied" not in log, (
                f"the {side} worker reached the other system's tables:\n{log[-5000:]}"
            )
