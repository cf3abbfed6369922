"""The EPJ's own staff register (epj.staff): who works in the EPJ and in which role, in its store.

The EPJ's access checks read it and nothing of the portal's staff memberships; the operators
fill it from those memberships (`manage.py epj staff`, idempotent), and an installation made
before it gets it from them by migration, with the memberships' ids, so its clinicians'
timebooks keep naming the same people.
"""

import datetime
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connections
from django.db.migrations.executor import MigrationExecutor
from django.urls import get_resolver, reverse

from accounts.nin import nin_generate
from clinics.models import StaffMembership, StaffRole
from epj.desk.models import AbsenceNotice
from epj.models import Employment, StaffMember
from epj.staff import employment_of
from epj.timebooks.models import Timebook
from helsenorge.routers import EPJ_DB
from tests.conftest import TOTP_SECRET, login_as
from tests.factories import OrganisationFactory, ServiceFactory, UserFactory
from tests.timebooks.helpers import make_timebooks


def _register() -> set[tuple]:
    return {(e.staff.pid, e.organisation_id, e.role, e.service_id) for e in Employment.objects.select_related("staff")}


def _memberships() -> set[tuple]:
    return {
        (m.user.nin, m.organisation_id, m.role, m.service_id) for m in StaffMembership.objects.select_related("user")
    }


@pytest.mark.django_db
def test_the_epj_answers_its_staff_from_its_own_register_which_operators_fill(cast, client):
    cases = reverse("desk:cases", args=[cast.gp_org.pk])
    login_as(client, cast.kari)
    assert client.get(cases).status_code == 200
    # No longer employed in the EPJ, Kari is no one to it, whatever the portal's memberships say.
    Employment.objects.all().delete()
    assert StaffMembership.objects.filter(user=cast.kari).exists()
    assert employment_of(user=cast.kari, organisation_id=cast.gp_org.pk) is None
    assert client.get(cases).status_code == 404

    out = StringIO()
    call_command("epj", "staff", stdout=out)
    assert f"holds {StaffMembership.objects.count()} employments" in out.getvalue()
    assert _register() == _memberships()
    assert client.get(cases).status_code == 200
    # Again: nothing doubled; a changed role in the portal's list follows.
    StaffMembership.objects.filter(user=cast.kari).update(role=StaffRole.RECEPTION)
    call_command("epj", "staff", stdout=StringIO())
    assert _register() == _memberships() and Employment.objects.count() == StaffMembership.objects.count()
    assert employment_of(user=cast.kari, organisation_id=cast.gp_org.pk).role == StaffRole.RECEPTION


@pytest.mark.django_db
def test_staff_who_leave_a_clinic_in_the_portals_list_leave_it_in_the_epj_with_prune(cast, client):
    make_timebooks(cast)  # Kari's timebook names her employment
    StaffMembership.objects.filter(user__in=[cast.reception, cast.kari]).delete()
    out = StringIO()
    call_command("epj", "staff", stdout=out)  # without --prune: nothing ends
    assert employment_of(user=cast.reception, organisation_id=cast.gp_org.pk) is not None
    call_command("epj", "staff", "--prune", stdout=out)
    assert "Ended 1 employments" in out.getvalue() and "Kept 1: a clinician's timebook" in out.getvalue()
    assert employment_of(user=cast.reception, organisation_id=cast.gp_org.pk) is None
    assert StaffMember.objects.filter(pid=cast.reception.nin).exists()  # the EPJ's rows may name her
    assert employment_of(user=cast.kari, organisation_id=cast.gp_org.pk) is not None  # until the timebook moves
    login_as(client, cast.reception)
    assert client.get(reverse("desk:cases", args=[cast.gp_org.pk])).status_code == 404
    # Everyone the portal still lists is untouched.
    assert _register() - {(cast.kari.nin, cast.gp_org.pk, StaffRole.CLINICIAN, cast.gp_service.pk)} == _memberships()


BEFORE = [("epj", "0001_initial"), ("epj_timebooks", "0001_initial"), ("epj_desk", "0001_initial")]


@pytest.mark.django_db(transaction=True)
def test_an_older_installation_gets_its_staff_register_from_the_portals_memberships():
    epj = connections[EPJ_DB]
    executor = MigrationExecutor(epj)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    try:
        org = OrganisationFactory()
        service = ServiceFactory(organisation=org)
        user = UserFactory(
            first_name="Kari", last_name="Lege", nin=nin_generate(datetime.date(1970, 3, 1), female=True, serial=7)
        )
        membership = StaffMembership.objects.create(
            id=57, user=user, organisation=org, role=StaffRole.CLINICIAN, service=service, hpr_number="1234567"
        )
        OldTimebook = old.get_model("epj_timebooks", "Timebook")
        OldTimebook.objects.using(EPJ_DB).create(
            organisation_id=org.pk, service_id=service.pk, kind="clinician", clinician_id=membership.pk, name="Kari"
        )
        # The desk's rows named the login; one login the portal has no membership for.
        stranger = UserFactory()
        OldNotice = old.get_model("epj_desk", "AbsenceNotice")
        today = datetime.date(2026, 12, 5)
        for who in (user, stranger, user):
            OldNotice.objects.using(EPJ_DB).create(
                service_id=service.pk,
                text="Ferie",
                substitute="Dr. Vik",
                starts=today,
                ends=today,
                created_by_id=who.pk,
            )

        MigrationExecutor(epj).migrate(MigrationExecutor(epj).loader.graph.leaf_nodes())

        employment = Employment.objects.select_related("staff").get()
        assert (employment.pk, employment.role, employment.service_id) == (57, StaffRole.CLINICIAN, service.pk)
        staff = employment.staff
        assert (staff.pid, staff.hpr_number, staff.name) == (user.nin, "1234567", "Kari Lege")
        assert Timebook.objects.get().clinician == employment  # the same person, now by a real key
        # The desk's rows name staff records now: the same people.
        notices = AbsenceNotice.objects.select_related("created_by").order_by("pk")
        # (The logins' ids they were found by are gone with epj 0004: the EPJ keeps no portal keys.)
        assert [n.created_by for n in notices[::2]] == [staff, staff] and notices[1].created_by != staff
        assert (notices[1].created_by.pid, notices[1].created_by.name) == ("", "")
        # New employments follow the copied ones.
        other = StaffMember.objects.create(pid=UserFactory().nin, name="Ny")
        assert Employment.objects.create(staff=other, organisation=org, role=StaffRole.RECEPTION).pk > 57
    finally:
        MigrationExecutor(epj).migrate(MigrationExecutor(epj).loader.graph.leaf_nodes())


EPJ_NAMESPACES = {"desk", "records", "epj_timebooks"}


def test_the_epj_path_prefixes_name_the_epj_pages_and_only_them():
    """The portal's frame tells the EPJ's pages by their path (settings.HN_EPJ_PATH_PREFIXES)."""
    prefixes = settings.HN_EPJ_PATH_PREFIXES
    seen = set()

    def walk(patterns, prefix):
        for pattern in patterns:
            path = f"{prefix}{pattern.pattern}"
            namespace = getattr(pattern, "namespace", None)
            if namespace in EPJ_NAMESPACES:
                seen.add(namespace)
                assert path.startswith(prefixes), path
            elif hasattr(pattern, "url_patterns") and not str(pattern.pattern):
                walk(pattern.url_patterns, path)  # a list of pages mounted at the root
            else:
                assert not path.startswith(prefixes), f"{path} is the portal's but looks like the EPJ's"

    walk(get_resolver().url_patterns, "/")
    assert seen == EPJ_NAMESPACES
    assert reverse("desk:home").startswith(prefixes)


def _employment_form(staff: StaffMember, **employment) -> dict:
    """The operator's change form for a staff record with one new employment."""
    return {
        "name": staff.name,
        "email": staff.email,
        "pid": staff.pid,
        "hpr_number": staff.hpr_number,
        "employments-TOTAL_FORMS": "1",
        "employments-INITIAL_FORMS": "0",
        "employments-MIN_NUM_FORMS": "0",
        "employments-MAX_NUM_FORMS": "1000",
        **{f"employments-0-{name}": value for name, value in employment.items()},
    }


@pytest.mark.django_db
def test_operators_keep_the_register_in_the_admin_and_bad_entries_are_refused(client, cast):
    operator = login_as(client, UserFactory(is_staff=True, is_superuser=True, totp_secret=TOTP_SECRET))
    staff = StaffMember.objects.get(pid=cast.ola.nin)  # a clinician elsewhere
    change = reverse("admin:epj_staffmember_change", args=[staff.pk])
    before = set(Employment.objects.values_list("pk", "staff_id", "organisation_id", "role", "service_id"))

    # A service of another organisation, an identity number that is none, an HPR number with letters.
    response = operator.post(
        change,
        _employment_form(staff, organisation=cast.gp_org.pk, role=StaffRole.CLINICIAN, service=cast.other_service.pk),
    )
    assert response.status_code == 200 and "Tjenesten hører til en annen virksomhet." in response.content.decode()
    bad = {**_employment_form(staff), "pid": "12345678901", "hpr_number": "12ab"}
    page = operator.post(change, bad).content.decode()
    assert "Kontrollsifrene i fødselsnummeret stemmer ikke." in page and "HPR-nummeret er opptil 9 siffer." in page
    assert set(Employment.objects.values_list("pk", "staff_id", "organisation_id", "role", "service_id")) == before

    # A good one: Ola now also works at Kari's office, at the desk.
    response = operator.post(change, _employment_form(staff, organisation=cast.gp_org.pk, role=StaffRole.RECEPTION))
    assert response.status_code == 302
    assert employment_of(user=cast.ola, organisation_id=cast.gp_org.pk).role == StaffRole.RECEPTION
    # A staff record is never deleted (the EPJ's rows name it); an employment can end.
    assert operator.get(reverse("admin:epj_staffmember_delete", args=[staff.pk])).status_code == 403
