"""`manage.py seed_scale` writes both sides' history in bulk, consistently, and only once."""

import io

import pytest
from django.core.management import CommandError, call_command

from accounts.models import Person, User
from clinics.models import HealthContact, Organisation, StaffMembership
from epj.desk.models import Case
from epj.models import Employment
from messaging.dialogs.models import DialogMessage, Thread

pytestmark = pytest.mark.django_db


def test_seed_scale_writes_citizens_clinics_threads_messages_and_desk_cases():
    out = io.StringIO()
    call_command("seed_scale", "--citizens", "1200", "--messages", "400", stdout=out)

    assert "Ferdig" in out.getvalue() and "Innbyggere: 1200/1200" in out.getvalue()
    assert User.objects.filter(email__endswith="@scale.local", person__isnull=False).count() == 1200
    assert Organisation.objects.filter(name__startswith="Skala").count() == 2
    assert StaffMembership.objects.filter(user__email__endswith="@scale.local").count() == 2
    # The clinicians are on their EPJ's own staff register too, in the same role and organisation.
    assert set(
        Employment.objects.filter(staff__email__endswith="@scale.local").values_list(
            "staff__pid", "organisation_id", "role"
        )
    ) == set(
        StaffMembership.objects.filter(user__email__endswith="@scale.local").values_list(
            "user__nin", "organisation_id", "role"
        )
    )
    assert HealthContact.objects.filter(person__address_code__startswith="SKALA-").count() == 1200
    assert Thread.objects.count() == Case.objects.count() == 100
    assert DialogMessage.objects.count() == 400
    # Each desk case is the clinic's version of a citizen's thread: same conversation, same patient.
    thread = Thread.objects.select_related("person").first()  # the service in the national store: by id
    case = Case.objects.get(conversation_ref=thread.conversation_ref)
    assert (case.patient_nin, case.service_id) == (thread.person.nin, thread.service_id)
    assert not Person.objects.filter(given_name="Nora", family_name="Nordmann").exists()  # demo personas stay unique


def test_seed_scale_refuses_to_run_twice_into_the_same_database():
    call_command("seed_scale", "--citizens", "10", "--messages", "8", stdout=io.StringIO())
    with pytest.raises(CommandError, match="already holds scale data"):
        call_command("seed_scale", "--citizens", "10", "--messages", "8", stdout=io.StringIO())
    assert User.objects.filter(email__endswith="@scale.local").count() == 11  # 10 citizens + 1 clinician


def test_bench_scale_measures_both_lists_and_counts_every_stores_statements():
    call_command("seed_scale", "--citizens", "10", "--messages", "8", stdout=io.StringIO())
    out = io.StringIO()
    call_command("bench", "scale", "--requests", "3", "--users", "2", stdout=out)
    lines = out.getvalue().splitlines()
    desk = next(line for line in lines if line.startswith("clinic desk inbox "))
    # The desk's page reads the EPJ's store (its cases and staff register) and the register.
    assert "queries/page (default" in desk and " epj 0.0" not in desk
    assert any(line.startswith("clinic desk inbox p95 / health p95 = ") for line in lines)
