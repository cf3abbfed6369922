"""The simulated EPJ's receiving end: its own patient register, the filing, the 8221 decisions."""

import datetime

import pytest
from django.db import transaction

from epj.handlers import communication_test_answer
from epj.models import EpjPatient, JournalEntry, PatientRelationship
from epj.selectors import epj_patient_current, epj_treats
from epj.services import (
    EpjUnavailable,
    epj_outage_end,
    epj_outage_start,
    epj_patient_for,
    epj_relationship_register,
    journal_file,
)
from helsenorge.routers import EPJ_DB
from messaging.codec import Patient, codes
from messaging.relay import Reject, clinic_party, portal_party, relay_ping
from messaging.relay.probe import probe_ekontakt
from messaging.relay.routing import routes_for
from ops.population import seed_epj_patients
from tests import factories as f


def receive(message):
    """What the EPJ's routing table does with an asynchronous message, in its own savepoint as
    the relay runs it (outside a delivery batch)."""
    handler = routes_for("epj").handler(message)
    assert handler is not None
    with transaction.atomic(using=EPJ_DB):
        return handler(message, None)  # type: ignore[arg-type]  # no envelope outside a delivery


@pytest.fixture
def gp(db):
    """A GP whose health contacts only the portal knows until the operators' seeding copies them."""
    service = f.gp_service()
    nora, former = f.PersonFactory(), f.PersonFactory()
    f.contact(nora, service, epj=False)
    f.contact(former, service, active=False, epj=False)
    return service, nora, former


def test_the_clinics_register_is_seeded_from_health_contacts_once_current_and_former(gp):
    service, nora, former = gp
    assert seed_epj_patients() == 2
    seed_epj_patients()
    relationships = PatientRelationship.objects.select_related("patient").order_by("-active")
    assert [(r.patient.nin, r.service, r.active, r.ended is None) for r in relationships] == [
        (nora.nin, service, True, True),
        (former.nin, service, False, False),
    ]
    patient = EpjPatient.objects.get(nin=nora.nin)
    assert (patient.organisation, patient.given_name) == (service.organisation, nora.given_name)
    # A former patient is known to the clinic (its journal stays) but is no patient of it now.
    assert epj_patient_current(organisation=service.organisation, nin=former.nin) is None
    assert epj_treats(nin=former.nin, organisation_id=service.organisation_id, current=False)
    assert not epj_treats(nin=former.nin, service=service)


def test_only_the_clinics_own_register_decides_who_its_patient_is(gp):
    """The portal's health contact alone does not make a patient of the clinic, and the clinic's
    register alone does: the EPJ never reads the portal's contacts."""
    service, nora, _former = gp
    message = probe_ekontakt(receiver=clinic_party(service=service), patient=Patient(nin=nora.nin))
    with pytest.raises(Reject) as rejection:
        receive(message)
    assert rejection.value.code == "E35" and not JournalEntry.objects.exists()

    stranger = f.PersonFactory()  # no health contact in the portal at all
    epj_relationship_register(service=service, nin=stranger.nin)
    message = probe_ekontakt(receiver=clinic_party(service=service), patient=Patient(nin=stranger.nin))
    assert receive(message).status == codes.STATUS_OK
    assert JournalEntry.objects.get().patient.nin == stranger.nin


def test_a_relationship_ends_and_resumes_in_the_clinics_register(gp):
    service, nora, _former = gp
    first = epj_relationship_register(service=service, nin=nora.nin)
    assert epj_relationship_register(service=service, nin=nora.nin) == first  # idempotent
    ended = epj_relationship_register(service=service, nin=nora.nin, active=False)
    assert (ended.pk, ended.active, ended.ended is not None) == (first.pk, False, True)
    assert not epj_treats(nin=nora.nin, service=service)
    PatientRelationship.objects.filter(pk=first.pk).update(since=datetime.date(2020, 1, 1))
    resumed = epj_relationship_register(service=service, nin=nora.nin)
    assert (resumed.active, resumed.ended, resumed.since) == (True, None, datetime.date.today())
    assert epj_treats(nin=nora.nin, service=service)
    with pytest.raises(ValueError):
        epj_relationship_register(service=service, nin=f.PersonFactory.build().nin)


@pytest.mark.parametrize(
    "case, code",
    [
        ("no_nin", "E30"),
        ("short", "E31"),
        ("check_digits", "E31"),
        ("not_in_register", "E53"),
        ("not_here", "E35"),
    ],
)
def test_patient_identity_rejections(gp, case, code):
    service, nora, former = gp
    seed_epj_patients()
    nin = {
        "no_nin": "",
        "short": "123",
        "check_digits": nora.nin[:10] + str((int(nora.nin[10]) + 1) % 10),
        "not_in_register": f.PersonFactory.build().nin,
        "not_here": former.nin,
    }[case]
    with pytest.raises(Reject) as rejection:
        epj_patient_for(organisation=service.organisation, patient=Patient(nin=nin))
    assert rejection.value.code == code


def test_an_e_kontakt_is_filed_once_and_answered_ok(gp):
    service, nora, _ = gp
    seed_epj_patients()
    message = probe_ekontakt(
        receiver=clinic_party(service=service), patient=Patient(nin=nora.nin), subject="Time?", text="Kan jeg få time?"
    )
    assert receive(message).status == codes.STATUS_OK
    assert journal_file(organisation=service.organisation, patient=None, message=message) == JournalEntry.objects.get()
    entry = JournalEntry.objects.get()
    assert (entry.subject, entry.text, entry.direction, entry.patient.nin) == (
        "Time?",
        "Kan jeg få time?",
        "in",
        nora.nin,
    )


def test_outage_is_a_transient_failure_until_it_ends(gp):
    service, nora, _ = gp
    seed_epj_patients()
    message = probe_ekontakt(receiver=clinic_party(service=service), patient=Patient(nin=nora.nin))
    epj_outage_start(organisation=service.organisation, reason="Oppgradering")
    with pytest.raises(EpjUnavailable, match="Oppgradering"):
        receive(message)
    assert not JournalEntry.objects.exists()
    assert epj_outage_end(organisation=service.organisation) == 1
    receive(message)
    assert JournalEntry.objects.count() == 1


def test_communication_test_is_echoed_back_to_the_sender(gp):
    service, _, _ = gp
    request = probe_ekontakt(receiver=clinic_party(service=service), patient=None, text="ping")
    reply = communication_test_answer(request)
    assert reply.msg_type == codes.DIALOG_INNBYGGER_TEST
    assert (reply.sender, reply.receiver, reply.parent_ref) == (request.receiver, portal_party(), request.msg_id)
    assert reply.notater[0].text == "ping" and reply.notater[0].answered == request.foresporsler[0]


def test_ping_needs_a_known_her_id(db):
    with pytest.raises(LookupError):
        relay_ping(her_id=1234567, timeout=0.1)
