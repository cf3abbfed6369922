"""Hospital document sharing: read live over the relay, nothing kept, confidential hidden, reads logged."""

import time

import pytest
from django.apps import apps
from django.db import models
from django.urls import reverse

from messaging.codec import schema_validate
from messaging.models import Envelope
from messaging.relay.stores import relay_db
from national.models import AccessLogEntry
from national.selectors import resident_for
from tests.conftest import login_as
from tests.journal.conftest import SECRET_TEXT, epj_sync_responder
from tests.stores import relay_rows, stores_of

# The portal's own apps: none of their tables may hold a shared document's content.
PORTAL_APPS = ("accounts", "clinics", "messaging", "dialogs", "appointments", "journal", "tools", "sessions")


def portal_tables_containing(marker: str) -> list:
    found = []
    for model in apps.get_models():
        if model._meta.app_label not in PORTAL_APPS:
            continue
        fields = [
            f
            for f in model._meta.concrete_fields
            if isinstance(f, (models.CharField, models.TextField, models.BinaryField, models.JSONField))
        ]
        for store in stores_of(model):  # the relay's records: both sides' rows, as in one table before
            for row in model._default_manager.using(store).values_list("pk", *[f.attname for f in fields]):
                for value in row[1:]:
                    if value is None:
                        continue
                    binary = isinstance(value, (bytes, memoryview))
                    text = bytes(value).decode("utf-8", "replace") if binary else str(value)
                    if marker in text:
                        found.append(f"{model._meta.label}.{row[0]} ({store})")
    return found


@pytest.mark.django_db(transaction=True)
def test_citizen_lists_and_reads_live_and_the_portal_keeps_no_copy(client, hospital, cast):
    login_as(client, cast.nora)
    with epj_sync_responder():
        listing = client.get(reverse("journal:shared_documents")).content.decode()
        assert "Epikrise etter innleggelse" in listing
        assert "Skjermet notat" not in listing  # the confidential one stays hidden
        url = reverse("journal:shared_document", args=[hospital.service.pk, hospital.nora_doc.document_id])
        page = client.get(url)
        assert page.status_code == 200 and SECRET_TEXT in page.content.decode()
        hidden = reverse("journal:shared_document", args=[hospital.service.pk, hospital.nora_secret_doc.document_id])
        assert client.get(hidden).status_code == 404
        other = reverse("journal:shared_document", args=[hospital.service.pk, hospital.emma_doc.document_id])
        assert client.get(other).status_code == 404  # Emma's document is not Nora's, even by id
    # It did go over the relay: the portal's requests.
    assert Envelope.objects.using(relay_db("portal")).filter(msg_type__contains="DOKUMENTER").exists()
    assert portal_tables_containing(SECRET_TEXT) == []
    assert portal_tables_containing("Epikrise etter innleggelse") == []


@pytest.mark.django_db(transaction=True)
def test_hospital_not_answering_shows_a_clear_message(client, hospital, cast, settings):
    settings.HN_SYNC_TIMEOUT_SECONDS = 0.2
    login_as(client, cast.nora)
    page = client.get(reverse("journal:shared_documents"))  # no EPJ worker: the request times out
    assert page.status_code == 200 and "svarte ikke i tide" in page.content.decode()


@pytest.mark.django_db(transaction=True)
@pytest.mark.shared
def test_sharing_messages_validate_against_the_official_xsds(shared_dir, client, hospital, cast):
    login_as(client, cast.nora)
    with epj_sync_responder():
        client.get(reverse("journal:shared_documents"))
        client.get(reverse("journal:shared_document", args=[hospital.service.pk, hospital.nora_doc.document_id]))
    # Payloads may already be purged once consumed; validate what the wire carried when it is still there.
    # The requests and the replies, both sides' outboxes.
    payloads = [bytes(e.payload) for e in relay_rows(Envelope, msg_type__contains="DOKUMENTER") if e.payload]
    from journal import wire
    from messaging.codec import message_build

    built = [
        message_build(
            wire.find_documents_message(service=hospital.service, patient=cast.nora.person, written_by=cast.nora.person)
        ),
        message_build(
            wire.fetch_document_message(
                service=hospital.service,
                patient=cast.emma,
                written_by=cast.nora.person,
                relation="parent",
                document_id=hospital.emma_doc.document_id,
            )
        ),
    ]
    from epj.records import wire as epj_wire
    from messaging.codec import message_parse

    request = message_parse(built[1])
    built += [
        message_build(epj_wire.document_reply(request, hospital.emma_doc)),
        message_build(epj_wire.document_list_reply(request, [hospital.nora_doc, hospital.emma_doc])),
        message_build(epj_wire.document_reply(request, None)),
    ]
    for payload in payloads + built:
        assert schema_validate(payload) == [], payload[:300]


# --- health personnel ------------------------------------------------------------------------


@pytest.fixture
def nora_at_other_clinic(cast):
    """Ola's organisation treats Nora now (an active health contact there)."""
    from tests import factories as f

    f.contact(cast.nora.person, cast.other_service)
    return cast


@pytest.mark.django_db
def test_treating_clinician_elsewhere_reads_shared_documents_and_each_read_is_logged(
    client, hospital, nora_at_other_clinic
):
    cast = nora_at_other_clinic
    login_as(client, cast.ola)
    listing = client.get(
        reverse("records:patient_documents", args=[cast.other_org.pk, resident_for(nin=cast.nora.person.nin).pk])
    )
    assert listing.status_code == 200
    text = listing.content.decode()
    assert "Epikrise etter innleggelse" in text and "Skjermet notat" in text  # personnel see it, marked
    page = client.get(
        reverse(
            "records:patient_document",
            args=[cast.other_org.pk, resident_for(nin=cast.nora.person.nin).pk, hospital.nora_doc.document_id],
        )
    )
    assert page.status_code == 200 and SECRET_TEXT in page.content.decode()
    entries = list(AccessLogEntry.objects.filter(person_nin=cast.nora.person.nin).order_by("pk"))
    assert [(e.actor_nin, e.organisation_her_id, e.role, e.what) for e in entries] == [
        (cast.ola.nin, cast.other_org.her_id, "clinician", "documents"),
        (cast.ola.nin, cast.other_org.her_id, "clinician", "documents"),
    ]
    assert entries[1].object_ref == "Epikrise etter innleggelse"

    login_as(client, cast.nora)
    log = client.get(reverse("journal:access_log")).content.decode()
    assert "Sentrum legesenter" in log and "Dokumenter fra sykehus" in log


@pytest.mark.django_db
def test_clinician_who_does_not_treat_the_patient_reads_nothing(client, hospital, cast):
    login_as(client, cast.ola)  # Nora has no contact with Ola's organisation
    url = reverse(
        "records:patient_document",
        args=[cast.other_org.pk, resident_for(nin=cast.nora.person.nin).pk, hospital.nora_doc.document_id],
    )
    assert client.get(url).status_code == 404
    assert not AccessLogEntry.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_late_reply_is_discarded_without_its_content(hospital, cast):
    """The hospital answers after the portal gave up: the broker keeps no document content either."""
    from journal import wire
    from messaging.models import EnvelopeKind, EnvelopeState
    from messaging.relay import RelayTimeout, relay_request_sync
    from messaging.relay.handover import inbox_consume_due

    message = wire.fetch_document_message(
        service=hospital.service,
        patient=cast.nora.person,
        written_by=cast.nora.person,
        document_id=hospital.nora_doc.document_id,
    )
    with pytest.raises(RelayTimeout):
        relay_request_sync(side="portal", message=message, timeout=0.05)
    time.sleep(0.1)
    # The request's time to live was the caller's timeout: the hospital never answers it.
    assert inbox_consume_due(side="epj", channel="sync") == 0
    assert not relay_rows(Envelope, kind=EnvelopeKind.REPLY, original_msg_id=message.msg_id)
    assert Envelope.objects.using(relay_db("portal")).get(msg_id=message.msg_id).state == EnvelopeState.EXPIRED
    assert portal_tables_containing(SECRET_TEXT) == []


@pytest.mark.django_db(transaction=True)
def test_parent_reads_a_young_childs_shared_documents_but_not_a_teenagers(client, hospital, cast):
    from accounts.representation import SESSION_KEY

    login_as(client, cast.nora)
    session = client.session
    session[SESSION_KEY] = cast.emma.pk
    session.save()
    with epj_sync_responder():
        listing = client.get(reverse("journal:shared_documents")).content.decode()
        assert "Epikrise Emma" in listing and "Epikrise etter innleggelse" not in listing
        page = client.get(reverse("journal:shared_document", args=[hospital.service.pk, hospital.emma_doc.document_id]))
        assert page.status_code == 200
        assert (
            client.get(
                reverse("journal:shared_document", args=[hospital.service.pk, hospital.jonas_doc.document_id])
            ).status_code
            == 404
        )
    login_as(client, cast.jonas)  # 14: not even his own
    listing = client.get(reverse("journal:shared_documents")).content.decode()
    assert "Epikrise Jonas" not in listing and "fra du er 16" in listing
