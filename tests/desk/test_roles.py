"""Role rules in the EPJ's services (epj/roles.py, DESIGN §7): every role × every desk action at the
service level, and reception's attempts through the pages. A refusal changes nothing at all."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from clinics.models import StaffRole
from epj.desk.models import AbsenceNotice, Case, CaseKind, Charge, DeskMessage
from epj.desk.services import (
    absence_set,
    case_assign,
    case_claim,
    case_close,
    case_reply,
    charge_mark_paid,
    clinic_thread_start,
    patient_list_add,
    patient_list_end,
)
from epj.models import JournalEntry, PatientRelationship
from epj.records.services import copy_push, hospital_document_publish, shared_documents_open
from epj.roles import ROLE_ACTIONS, StaffAction, StaffActionRefused
from epj.staff import employments, staff_id
from messaging.models import Envelope
from national.models import AccessLogEntry, StaffAuditEntry
from tests import factories as f
from tests.conftest import login_as
from tests.desk.test_desk import three_cases  # noqa: F401 (fixture)
from tests.dialogs.conftest import sent  # noqa: F401 (fixture)
from tests.stores import relay_count

pytestmark = pytest.mark.django_db

ROLES = ["reception", "clinician", "clinic_admin", "other_org_staff"]
ALL_DESK = {"reception", "clinician", "clinic_admin"}

# The rules written out by hand (not read from epj/roles.py), so a change there fails here.
ALLOWED = {
    "reply_ekontakt": ALL_DESK,
    "reply_ekonsultasjon": {"clinician"},
    "reply_renewal": {"clinician"},
    "close_ekontakt": ALL_DESK,
    "close_ekonsultasjon": {"clinician"},
    "close_renewal": {"clinician"},
    "claim": ALL_DESK,
    "assign": ALL_DESK,
    "charge_paid": ALL_DESK,
    "thread_start": {"clinician", "clinic_admin"},
    "absence_gp_service": {"clinician", "clinic_admin"},  # Kari's own service
    "copy_push": ALL_DESK,
    "document_publish": {"clinician", "clinic_admin"},
    "shared_documents_read": {"clinician"},
    "patient_list_add": ALL_DESK,
    "patient_list_end": ALL_DESK,
}


def user_for(cast, role):
    return {
        "reception": cast.reception,
        "clinician": cast.kari,
        "clinic_admin": cast.clinic_admin,
        "other_org_staff": cast.ola,
    }[role]


def counts():
    """Everything a desk action can write, and every case's state."""
    return {
        "messages": DeskMessage.objects.count(),
        "charges": list(Charge.objects.values_list("pk", "state")),
        "outbox": relay_count(Envelope),
        "journal": JournalEntry.objects.count(),
        "audit": StaffAuditEntry.objects.count(),
        "access_log": AccessLogEntry.objects.count(),
        "absence": list(AbsenceNotice.objects.values_list("pk", "cancelled")),
        "cases": list(Case.objects.order_by("pk").values_list("pk", "state", "assignee_id", "closed_at")),
        "patient_lists": list(PatientRelationship.objects.order_by("pk").values_list("pk", "active", "ended")),
    }


def case_of(kind):
    return Case.objects.get(kind=kind) if kind != CaseKind.EKONTAKT else Case.objects.get(subject="Gammel sak")


def run(action, cast, user):
    """Call the service behind `action` as `user`, with valid input."""
    kind = {"ekontakt": CaseKind.EKONTAKT, "ekonsultasjon": CaseKind.EKONSULTASJON, "renewal": CaseKind.RENEWAL}
    verb, _sep, which = action.partition("_")
    if verb == "reply":
        outcome = "renewed" if which == "renewal" else ""
        return case_reply(case=case_of(kind[which]), user=user, text="Svar", outcome=outcome)
    if verb == "close":
        return case_close(case=case_of(kind[which]), user=user)
    if action == "claim":
        return case_claim(case=case_of(CaseKind.EKONSULTASJON), user=user)
    if action == "assign":
        return case_assign(case=case_of(CaseKind.EKONSULTASJON), assignee_id=staff_id(cast.kari), user=user)
    if action == "charge_paid":
        return charge_mark_paid(case=case_of(CaseKind.EKONSULTASJON), user=user)
    if action == "thread_start":
        return clinic_thread_start(
            organisation=cast.gp_org,
            service=cast.gp_service,
            patient_nin=cast.nora.person.nin,
            subject="Prøvesvar",
            text="Ring oss.",
            user=user,
        )
    if action == "absence_gp_service":
        today = timezone.localdate()
        return absence_set(
            service=cast.gp_service,
            user=user,
            text="Ferie",
            substitute="Lege Vikar",
            starts=today,
            ends=today + datetime.timedelta(days=2),
        )
    if action == "patient_list_add":
        return patient_list_add(user=user, service=cast.gp_service, nin=f.PersonFactory().nin)
    if action == "patient_list_end":
        nora_at_gp = PatientRelationship.objects.get(patient__nin=cast.nora.person.nin, service=cast.gp_service)
        return patient_list_end(user=user, relationship=nora_at_gp)
    membership = employments(user=user).get()
    if action == "copy_push":
        return copy_push(membership=membership, service=cast.gp_service, patient_nin=cast.nora.person.nin)
    if action == "document_publish":  # the role check comes first; a GP office then may not publish
        return hospital_document_publish(
            membership=membership, patient_nin=cast.nora.person.nin, kind="discharge", title="x", text="x"
        )
    if action == "shared_documents_read":
        return shared_documents_open(membership=membership, person=cast.nora.person)
    raise AssertionError(action)


@pytest.fixture
def desk(three_cases, sent):  # noqa: F811
    """An e-kontakt, a renewal and an e-konsultasjon whose fee is invoiced (answered by Kari)."""
    _thread, case = sent
    case_reply(case=case, user=three_cases.kari, text="Drikk varmt.")
    Case.objects.filter(pk=case.pk).update(state=Case.State.NEW)  # open again for the actions below
    return three_cases


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", sorted(ALLOWED))
def test_every_role_every_desk_action(desk, role, action):
    cast = desk
    user = user_for(cast, role)
    before = counts()
    if role in ALLOWED[action]:
        try:
            run(action, cast, user)
        except StaffActionRefused as refusal:  # pragma: no cover - the failure message
            pytest.fail(f"{role} was refused {action}: {refusal}")
        except ValidationError:
            assert action == "document_publish"  # past the role rule: a GP office is no hospital
    else:
        # Another organisation's staff member acts through their own membership in the record
        # services: refused for working elsewhere (a validation error) if not for the role.
        refusals = (StaffActionRefused, ValidationError) if role == "other_org_staff" else StaffActionRefused
        with pytest.raises(refusals):
            run(action, cast, user)
        assert counts() == before


def test_the_table_in_epj_roles_matches_the_rules_here():
    """The three roles' action sets: reception ⊂ clinician; the admin gets no clinical act."""
    clinical = {StaffAction.ANSWER_EKONSULTASJON, StaffAction.ANSWER_RENEWAL, StaffAction.SHARED_DOCUMENTS_READ}
    assert ROLE_ACTIONS[StaffRole.RECEPTION] < ROLE_ACTIONS[StaffRole.CLINICIAN]
    assert not clinical & ROLE_ACTIONS[StaffRole.RECEPTION]
    assert not clinical & ROLE_ACTIONS[StaffRole.CLINIC_ADMIN]


# --- through the pages ------------------------------------------------------------------------


def test_reception_renewal_attempt_is_refused_with_nothing_changed(client, desk):
    cast = desk
    case = case_of(CaseKind.RENEWAL)
    before = counts()
    response = login_as(client, cast.reception).post(
        reverse("desk:case", args=[case.pk]), {"text": "Fornyet.", "outcome": "renewed"}
    )
    assert response.status_code == 403
    assert "kan ikke fornye eller avslå resepter" in response.content.decode()
    assert counts() == before  # no message, no charge, no outbox row, no journal entry, same state


def test_reception_ekonsultasjon_answer_is_refused_and_bills_nothing(client, three_cases, sent):  # noqa: F811
    cast = three_cases
    _thread, case = sent
    before = counts()
    response = login_as(client, cast.reception).post(reverse("desk:case", args=[case.pk]), {"text": "Drikk vann."})
    assert response.status_code == 403
    assert "kan ikke svare på e-konsultasjon" in response.content.decode()
    assert counts() == before
    assert not Charge.objects.exists()
    # Nor by closing it unanswered.
    assert login_as(client, cast.reception).post(reverse("desk:close", args=[case.pk])).status_code == 403
    assert counts() == before


def test_reception_answers_ekontakt(client, desk):
    cast = desk
    case = case_of(CaseKind.EKONTAKT)
    response = login_as(client, cast.reception).post(reverse("desk:case", args=[case.pk]), {"text": "Ring oss."})
    assert response.status_code == 302
    assert DeskMessage.objects.filter(case=case, sent_by__pid=cast.reception.nin).count() == 1


@pytest.mark.parametrize(
    ("role", "kind", "shown"),
    [
        ("reception", CaseKind.EKONSULTASJON, False),
        ("reception", CaseKind.RENEWAL, False),
        ("reception", CaseKind.EKONTAKT, True),
        ("clinic_admin", CaseKind.RENEWAL, False),
        ("clinic_admin", CaseKind.EKONTAKT, True),
        ("clinician", CaseKind.RENEWAL, True),
    ],
)
def test_the_page_hides_the_answer_a_role_may_not_give(client, desk, role, kind, shown):
    page = login_as(client, user_for(desk, role)).get(reverse("desk:case", args=[case_of(kind).pk])).content.decode()
    assert ("Send svar" in page) is shown
    assert ("Avslutt uten svar" in page) is shown
    assert ("besvares av en behandler" in page) is not shown


def test_reception_cannot_set_or_cancel_absence(client, desk):
    cast = desk
    today = timezone.localdate()
    notice = absence_set(
        service=cast.gp_service, user=cast.kari, text="Ferie", substitute="Vikar", starts=today, ends=today
    )
    before = counts()
    response = login_as(client, cast.reception).post(reverse("desk:absence_cancel", args=[notice.pk]))
    assert response.status_code == 403
    assert counts() == before
