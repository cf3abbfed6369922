"""The break-glass page (/drift/nodtilgang/): an operator's only look at a citizen's health data.

A read with a reason is written to the citizen's access log (which the citizen then reads at
"Hvem har sett opplysningene mine") and to the staff audit trail, and shows the content. A read
without a valid reason, by anyone but an operator, or for an unknown number shows nothing and
changes nothing.
"""

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from epj.desk.models import Medication
from epj.records.models import HospitalDocument, RecordNote
from national.models import OPERATOR_ROLE, AccessLogEntry, StaffAuditEntry
from national.services import Audit, break_glass_log
from tests import factories as f
from tests.conftest import TOTP_SECRET, login_as
from tests.security.test_authz_matrix import changed, snapshot

NOTE = "Pasienten har HEMMELIG-DIAGNOSE-K42."
REASON = "Brukerstøttesak 2026-1187: innbyggeren ser ikke notatet sitt"
URL = "/drift/nodtilgang/"


@pytest.fixture
def operator(db):
    return f.UserFactory(
        email="drift@test.local",
        first_name="Dina",
        last_name="Drift",
        is_staff=True,
        is_superuser=True,
        totp_secret=TOTP_SECRET,
    )


@pytest.fixture
def record(cast):
    nora = cast.nora.person
    RecordNote.objects.create(
        organisation=cast.gp_org,
        patient_nin=nora.nin,
        patient_name=nora.full_name,
        author_name="Kari Lege",
        title="Konsultasjon",
        text=NOTE,
    )
    Medication.objects.create(organisation=cast.gp_org, patient_nin=nora.nin, name="Levaxin", dosage="1 om morgenen")
    return nora


def test_url_is_the_named_break_glass_page():
    assert reverse("break_glass") == URL


def test_an_operators_read_is_shown_and_lands_in_the_access_log_and_the_audit_trail(client, cast, operator, record):
    login_as(client, operator)
    response = client.post(URL, {"nin": record.nin, "what": "record", "reason": REASON})
    page = response.content.decode()
    assert response.status_code == 200
    assert NOTE in page and "Levaxin" in page

    entry = AccessLogEntry.objects.get(person_nin=record.nin)
    assert (entry.actor_email, entry.role, entry.what) == (operator.email, OPERATOR_ROLE, "record")
    assert entry.organisation_her_id is None
    assert entry.reason == REASON and entry.organisation_name
    audit = StaffAuditEntry.objects.get(action=Audit.BREAK_GLASS_READ)
    assert (audit.actor_email, audit.person_nin) == (operator.email, record.nin)
    assert audit.object_ref == f"access:{entry.pk}" and REASON in audit.detail
    assert NOTE not in audit.detail + entry.object_ref  # the trails keep the reason, never the content

    # The "done when": the citizen sees the operator's read at "Hvem har sett opplysningene mine".
    citizen = login_as(client.__class__(), cast.nora)
    log_page = citizen.get(reverse("journal:access_log")).content.decode()
    assert "Dina Drift" in log_page and REASON in log_page and "nødtilgang" in log_page
    assert NOTE not in log_page


def test_hospital_documents_withheld_from_the_citizen_are_shown_to_the_operator_and_logged(
    client, cast, operator, record
):
    hospital = f.OrganisationFactory(name="Innlandet sykehus", is_hospital=True)
    HospitalDocument.objects.create(
        organisation=hospital,
        patient_nin=record.nin,
        patient_name=record.full_name,
        kind=HospitalDocument.Kind.DISCHARGE,
        title="Epikrise",
        author_name="Lege",
        text="Skjermet innhold X91",
        confidential=True,
    )
    login_as(client, operator)
    page = client.post(URL, {"nin": record.nin, "what": "documents", "reason": REASON}).content.decode()
    assert "Skjermet innhold X91" in page
    assert AccessLogEntry.objects.get(person_nin=record.nin).what == "documents"


@pytest.mark.parametrize(
    "data",
    [
        {"what": "record"},  # no reason
        {"what": "record", "reason": "   "},
        {"what": "record", "reason": "sjekker"},  # too short
        {"what": "record", "reason": "x" * 181},  # too long for the trail
        {"what": "ukjent", "reason": REASON},
        {"what": "record", "reason": REASON, "nin": "12345678901"},  # check digits wrong
    ],
)
def test_a_read_without_a_valid_request_shows_nothing_and_logs_nothing(client, operator, record, data):
    login_as(client, operator)
    before = snapshot()
    response = client.post(URL, {"nin": record.nin, **data})
    assert response.status_code == 200
    assert NOTE not in response.content.decode() and "Levaxin" not in response.content.decode()
    assert response.context["form"].errors
    assert not changed(before, snapshot())


def test_a_number_not_in_the_register_is_refused(client, operator, record):
    login_as(client, operator)
    other = f.PersonFactory.build().nin  # valid check digits, never saved
    before = snapshot()
    response = client.post(URL, {"nin": other, "what": "record", "reason": REASON})
    assert "folkeregisteret" in response.content.decode()
    assert not changed(before, snapshot())


def test_a_get_shows_the_form_only(client, operator, record):
    login_as(client, operator)
    assert URL in client.get(reverse("admin:index")).content.decode()  # the admin's front page links it
    before = snapshot()
    page = client.get(URL, {"nin": record.nin, "what": "record", "reason": REASON}).content.decode()
    assert "Begrunnelse" in page and NOTE not in page
    assert not changed(before, snapshot())


@pytest.mark.parametrize("role", ["clinician", "reception", "clinic_admin", "citizen", "anonymous"])
def test_anyone_but_an_operator_is_refused_and_nothing_changes(client, cast, record, role):
    users = {
        "clinician": cast.kari,
        "reception": cast.reception,
        "clinic_admin": cast.clinic_admin,
        "citizen": cast.nora,
        "anonymous": None,
    }
    if users[role] is not None:
        login_as(client, users[role])
    before = snapshot()
    response = client.post(URL, {"nin": record.nin, "what": "record", "reason": REASON})
    assert response.status_code == 302 and "login" in response["Location"]
    assert NOTE not in response.content.decode()
    assert not changed(before, snapshot())


def test_an_admin_user_without_the_break_glass_permission_is_refused(client, record):
    helper = f.UserFactory(email="hjelper@test.local", is_staff=True, totp_secret=TOTP_SECRET)
    helper.user_permissions.add(Permission.objects.get(codename="view_person"))
    login_as(client, helper)
    before = snapshot()
    response = client.post(URL, {"nin": record.nin, "what": "record", "reason": REASON})
    assert response.status_code == 403 and NOTE not in response.content.decode()
    assert not changed(before, snapshot())
    helper.user_permissions.add(Permission.objects.get(codename="break_glass"))
    helper = type(helper).objects.get(pk=helper.pk)  # permissions are cached on the instance
    login_as(client, helper)
    assert NOTE in client.post(URL, {"nin": record.nin, "what": "record", "reason": REASON}).content.decode()


def test_the_service_refuses_without_writing(cast, operator, record):
    with pytest.raises(ValidationError):
        break_glass_log(operator=operator, person_nin=record.nin, what="record", reason="for kort")
    with pytest.raises(PermissionDenied):
        break_glass_log(operator=cast.kari, person_nin=record.nin, what="record", reason=REASON)
    assert not AccessLogEntry.objects.exists() and not StaffAuditEntry.objects.exists()
