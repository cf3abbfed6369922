"""Fixtures for journal access: a hospital that shares documents, record notes, in-process relay runs."""

import contextlib
import threading
from dataclasses import dataclass

import pytest
from django.db import connections

from clinics.models import AppointmentLevel, Process, ServiceKind, StaffRole
from epj.records.models import HospitalDocument, RecordNote
from messaging.relay.delivery import relay_deliver_due
from ops.population import seed_epj_patients
from tests import factories as f
from tests.conftest import TOTP_SECRET
from tests.timebooks.helpers import in_transaction  # noqa: F401 (re-exported: the journal tests' import)

SECRET_TEXT = "Hemmelig-innhold-7f3a9c"  # appears only in the hospital's document text


def deliver_all():
    """Run both sides' async deliveries until nothing moves (what the two workers do)."""
    while relay_deliver_due(side="epj", channel="async") + relay_deliver_due(side="portal", channel="async"):
        pass


@contextlib.contextmanager
def epj_sync_responder():
    """The EPJ's sync worker, in a thread: answers synchronous requests while the block runs.

    Needs a transactional test (the request must be committed for another connection to see it).
    """
    stop = threading.Event()
    failures = []

    def run():
        try:
            while not stop.is_set():
                if not relay_deliver_due(side="epj", channel="sync"):
                    stop.wait(0.01)
        except Exception as exc:  # surfaced in the test below, not lost in the thread
            failures.append(exc)
        finally:
            connections.close_all()  # the EPJ's store and whatever else the thread opened

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(10)
    if failures:
        raise failures[0]


@dataclass
class Hospital:
    org: object
    service: object
    clinician: object
    nora_doc: object
    nora_secret_doc: object
    emma_doc: object
    jonas_doc: object


@pytest.fixture
def hospital(cast):
    org = f.OrganisationFactory(name="Innlandet sykehus", is_hospital=True)
    service = f.ServiceFactory(
        organisation=org,
        name="Medisinsk poliklinikk",
        kind=ServiceKind.SPECIALIST,
        processes={
            Process.EKONTAKT: None,
            Process.APPOINTMENTS: AppointmentLevel.BOOK,
            Process.JOURNAL_COPY: None,
            Process.DOCUMENTS: None,
        },
    )
    for person in (cast.nora.person, cast.emma, cast.jonas.person):
        f.contact(person, service, active=False)  # discharged: documents stay readable
    clinician = f.StaffFactory(
        email="lege@sykehus.test", totp_secret=TOTP_SECRET, membership=(org, StaffRole.CLINICIAN)
    )

    def doc(person, title, confidential=False, kind=HospitalDocument.Kind.DISCHARGE):
        return HospitalDocument.objects.create(
            organisation=org,
            patient_nin=person.nin,
            patient_name=person.full_name,
            kind=kind,
            title=title,
            department="Medisinsk avdeling",
            author_name="Lege Lise Sykehus",
            text=f"{title}\n\n{SECRET_TEXT} for {person.given_name}.",
            confidential=confidential,
        )

    return Hospital(
        org=org,
        service=service,
        clinician=clinician,
        nora_doc=doc(cast.nora.person, "Epikrise etter innleggelse"),
        nora_secret_doc=doc(
            cast.nora.person, "Skjermet notat", confidential=True, kind=HospitalDocument.Kind.OUTPATIENT
        ),
        emma_doc=doc(cast.emma, "Epikrise Emma"),
        jonas_doc=doc(cast.jonas.person, "Epikrise Jonas"),
    )


@pytest.fixture
def gp_record(cast):
    """Nora's notes in her GP's record, and the EPJ's patient list."""
    seed_epj_patients()
    for title, text in (
        ("Konsultasjon", "Hodepine i to uker. Blodtrykk 128/82."),
        ("Kontroll", "Bedre. Ingen videre tiltak."),
    ):
        RecordNote.objects.create(
            organisation=cast.gp_org,
            patient_nin=cast.nora.person.nin,
            patient_name=cast.nora.person.full_name,
            author_name="Kari Lege",
            title=title,
            text=text,
        )
    return cast
