"""Shared hospital documents: every hospital is asked at once, under one deadline."""

import time

import pytest
from django.urls import reverse

from clinics.models import Organisation, Process, ServiceKind
from epj.records.models import HospitalDocument
from messaging.relay import edge
from tests import factories as f
from tests.conftest import login_as
from tests.journal.conftest import epj_sync_responder

pytestmark = pytest.mark.django_db(transaction=True)


def another_hospital(cast, name: str, title: str):
    org = f.OrganisationFactory(name=name, is_hospital=True)
    service = f.ServiceFactory(organisation=org, kind=ServiceKind.SPECIALIST, processes={Process.DOCUMENTS: None})
    f.contact(cast.nora.person, service, active=False)
    HospitalDocument.objects.create(
        organisation=org,
        patient_nin=cast.nora.person.nin,
        patient_name=cast.nora.person.full_name,
        kind=HospitalDocument.Kind.DISCHARGE,
        title=title,
        department="Kirurgisk avdeling",
        author_name="Lege",
        text="x",
    )
    return service


def test_silent_hospitals_cost_one_deadline_not_one_each(client, hospital, cast, settings):
    settings.HN_SYNC_TIMEOUT_SECONDS = 1.0
    another_hospital(cast, "Vestre sykehus", "Epikrise vest")
    another_hospital(cast, "Nordre sykehus", "Epikrise nord")
    login_as(client, cast.nora)
    # Certificates come with a party's registration, not during a citizen's wait (the test PKI
    # would otherwise issue them for these new hospitals inside the timed page).
    for her_id in Organisation.objects.values_list("her_id", flat=True):
        edge.own_keys(her_id)
    edge.own_keys(settings.HN_PORTAL_HER_ID)
    started = time.monotonic()
    page = client.get(reverse("journal:shared_documents"))  # no EPJ worker: nobody answers
    took = time.monotonic() - started
    assert page.status_code == 200
    assert page.content.decode().count("svarte ikke i tide") == 3
    assert took < 2.5, f"three silent hospitals took {took:.1f} s: asked one after another?"


def test_every_hospitals_documents_are_shown_together(client, hospital, cast):
    another_hospital(cast, "Vestre sykehus", "Epikrise vest")
    login_as(client, cast.nora)
    with epj_sync_responder():
        page = client.get(reverse("journal:shared_documents")).content.decode()
    assert "Epikrise etter innleggelse" in page and "Epikrise vest" in page
    assert "svarte ikke i tide" not in page
