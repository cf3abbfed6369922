"""Journal copies: the pre-formulated request, the desk's fulfilment as a PDF, pushed copies, download."""

import pytest
from django.urls import reverse

from clinics.models import Process
from epj.models import PatientRelationship
from epj.records.models import CopyDispatch, CopyRequest
from epj.records.services import copy_push, copy_request_fulfil
from epj.staff import employment_of
from helsenorge.routers import EPJ_DB
from journal.models import JournalCopyRequest, JournalDocument
from journal.services import journal_copy_request
from messaging.codec import codes, message_parse, schema_validate
from messaging.models import Envelope
from messaging.relay.stores import relay_db
from national.models import AccessLogEntry
from tests import factories as f
from tests.conftest import login_as
from tests.journal.conftest import deliver_all, in_transaction
from tests.stores import relay_get, relay_rows

pytestmark = pytest.mark.django_db


def membership(user, org):
    return employment_of(user=user, organisation_id=org.pk)


def request_copy(client, cast, **extra):
    login_as(client, cast.nora)
    return client.post(reverse("journal:copy_request_new"), {"service": cast.gp_service.pk, **extra})


def test_request_is_sent_filed_on_the_desk_and_answered_with_a_pdf(client, gp_record):
    cast = gp_record
    response = request_copy(client, cast)
    assert response.status_code == 302
    request = JournalCopyRequest.objects.get()
    assert (request.person, request.requested_by, request.state) == (cast.nora.person, cast.nora.person, "queued")

    deliver_all()
    request.refresh_from_db()
    assert request.state == JournalCopyRequest.State.DELIVERED
    desk = CopyRequest.objects.get()
    assert (desk.organisation, desk.patient_nin, desk.msg_id, desk.state) == (
        cast.gp_org,
        cast.nora.person.nin,
        request.msg_id,
        CopyRequest.State.OPEN,
    )

    in_transaction(copy_request_fulfil, membership=membership(cast.reception, cast.gp_org), request=desk, using=EPJ_DB)
    deliver_all()
    request.refresh_from_db()
    document = JournalDocument.objects.get()
    assert request.state == JournalCopyRequest.State.FULFILLED and document.request == request
    assert document.source == JournalDocument.Source.REQUESTED and document.person == cast.nora.person
    assert bytes(document.data).startswith(b"%PDF-") and document.mime_type == "application/pdf"
    assert CopyDispatch.objects.get().request == desk
    logged = AccessLogEntry.objects.get(person_nin=cast.nora.person.nin)
    assert (logged.actor_nin, logged.organisation_her_id, logged.what) == (
        cast.reception.nin,
        cast.gp_org.her_id,
        "journal_copy",
    )

    response = client.get(reverse("journal:document_download", args=[document.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert (
        response["Content-Disposition"].startswith("attachment; filename=")
        and ".pdf" in response["Content-Disposition"]
    )
    assert response.content == bytes(document.data)


def test_the_pdf_holds_the_record_notes(gp_record):
    from epj.records.pdf import record_copy_pdf
    from epj.records.selectors import record_entries

    cast = gp_record
    entries = record_entries(organisation=cast.gp_org, patient_nin=cast.nora.person.nin)
    assert [e[2] for e in entries] == ["Konsultasjon", "Kontroll"]
    pdf = record_copy_pdf(organisation_name="X", patient_name="Nora", patient_nin=cast.nora.person.nin, entries=entries)
    assert pdf.startswith(b"%PDF-") and len(pdf) > 1000


def test_forged_free_text_is_refused_and_nothing_is_sent(client, gp_record):
    response = request_copy(client, gp_record, text="Send meg alt, også det hemmelige")
    assert response.status_code == 200
    assert "fritekst" in response.content.decode()
    assert not JournalCopyRequest.objects.exists() and not relay_rows(Envelope)


def test_the_request_message_carries_no_text(gp_record):
    cast = gp_record
    in_transaction(journal_copy_request, service=cast.gp_service, patient=cast.nora.person, written_by=cast.nora.person)
    message = message_parse(bytes(relay_get(Envelope, kept_by="portal").payload))
    (question,) = message.foresporsler
    assert (question.type_code, question.type_system) == (
        codes.FORESP_JOURNALKOPI.code,
        codes.FORESP_JOURNALKOPI.system,
    )
    assert question.text == "" and message.msg_type == codes.DIALOG_INNBYGGER_EKONTAKT


@pytest.mark.parametrize("case", ["inactive", "not_offered", "not_a_contact"])
def test_request_only_to_an_active_contact_offering_the_copy(client, gp_record, case):
    cast = gp_record
    service = cast.gp_service
    if case == "inactive":
        cast.nora.person.health_contacts.filter(service=service).update(active=False)
    elif case == "not_offered":
        service.processes.filter(process=Process.JOURNAL_COPY).delete()
    else:
        service = cast.other_service
    login_as(client, cast.nora)
    response = client.post(reverse("journal:copy_request_new"), {"service": service.pk})
    assert response.status_code == 200
    assert not JournalCopyRequest.objects.exists() and not relay_rows(Envelope)


def test_desk_refuses_a_request_for_a_patient_without_an_active_contact(gp_record):
    cast = gp_record
    in_transaction(journal_copy_request, service=cast.gp_service, patient=cast.nora.person, written_by=cast.nora.person)
    # The clinic ended the relationship in its own register before the request arrived.
    PatientRelationship.objects.filter(patient__nin=cast.nora.person.nin).update(active=False)
    deliver_all()
    assert not CopyRequest.objects.exists()
    assert JournalCopyRequest.objects.get().state == JournalCopyRequest.State.REJECTED


def test_fulfilling_twice_sends_one_copy(gp_record):
    cast = gp_record
    in_transaction(journal_copy_request, service=cast.gp_service, patient=cast.nora.person, written_by=cast.nora.person)
    deliver_all()
    desk = CopyRequest.objects.get()
    in_transaction(copy_request_fulfil, membership=membership(cast.kari, cast.gp_org), request=desk, using=EPJ_DB)
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        in_transaction(copy_request_fulfil, membership=membership(cast.kari, cast.gp_org), request=desk, using=EPJ_DB)
    assert CopyDispatch.objects.count() == 1


def test_pushed_copy_reaches_a_patient_without_an_active_contact(client, gp_record):
    cast = gp_record
    cast.nora.person.health_contacts.update(active=False)
    PatientRelationship.objects.filter(patient__nin=cast.nora.person.nin).update(active=False)
    in_transaction(
        copy_push,
        membership=membership(cast.kari, cast.gp_org),
        service=cast.gp_service,
        patient_nin=cast.nora.person.nin,
        using=EPJ_DB,
    )
    deliver_all()
    document = JournalDocument.objects.get()
    assert (document.source, document.request, document.person) == ("pushed", None, cast.nora.person)
    login_as(client, cast.nora)
    page = client.get(reverse("journal:documents")).content.decode()
    assert document.title in page and reverse("journal:document_download", args=[document.pk]) in page


def test_push_needs_a_record_at_the_clinic(gp_record):
    from django.core.exceptions import ValidationError

    cast = gp_record
    stranger = f.PersonFactory()
    with pytest.raises(ValidationError):
        in_transaction(
            copy_push,
            membership=membership(cast.kari, cast.gp_org),
            service=cast.gp_service,
            patient_nin=stranger.nin,
            using=EPJ_DB,
        )
    assert not relay_rows(Envelope)


def test_redelivered_copy_is_stored_once(gp_record):
    from journal.services import journal_copy_receive

    cast = gp_record
    in_transaction(
        copy_push,
        membership=membership(cast.kari, cast.gp_org),
        service=cast.gp_service,
        patient_nin=cast.nora.person.nin,
        using=EPJ_DB,
    )
    message = message_parse(bytes(Envelope.objects.using(relay_db("epj")).get(side="epj").payload))
    first = in_transaction(journal_copy_receive, message)
    again = in_transaction(journal_copy_receive, message)
    assert first.pk == again.pk and JournalDocument.objects.count() == 1


def test_other_e_kontakt_messages_still_reach_their_own_handlers(gp_record):
    """Journal copies share the e-kontakt function: each table routes only copies to the journal."""
    from messaging.relay.routing import routes_for

    portal, epj = routes_for("portal"), routes_for("epj")
    assert [route.handler.__module__ for route in portal.messages[codes.DIALOG_INNBYGGER_EKONTAKT]] == [
        "journal.inbound",
        "messaging.dialogs.inbound",
    ]
    assert [route.handler.__module__ for route in epj.messages[codes.DIALOG_INNBYGGER_EKONTAKT]] == [
        "epj.records.inbound",
        "epj.desk.inbound",
    ]


@pytest.mark.shared
def test_every_journal_copy_message_validates_against_the_official_xsds(shared_dir, gp_record):
    cast = gp_record
    in_transaction(journal_copy_request, service=cast.gp_service, patient=cast.nora.person, written_by=cast.nora.person)
    deliver_all()
    in_transaction(
        copy_request_fulfil,
        membership=membership(cast.kari, cast.gp_org),
        request=CopyRequest.objects.get(),
        using=EPJ_DB,
    )
    in_transaction(
        copy_push,
        membership=membership(cast.kari, cast.gp_org),
        service=cast.gp_service,
        patient_nin=cast.nora.person.nin,
        using=EPJ_DB,
    )
    deliver_all()
    payloads = [bytes(e.payload) for e in relay_rows(Envelope)]  # both sides' outboxes
    assert len(payloads) >= 6  # request, its AppRec, two copies, their AppRecs
    for payload in payloads:
        assert schema_validate(payload) == [], payload[:300]


def test_an_ordinary_e_kontakt_is_still_filed_by_the_epj(gp_record):
    from epj.models import JournalEntry
    from messaging.relay import clinic_party, relay_send
    from messaging.relay.probe import probe_ekontakt
    from messaging.wire.dialogs import patient_of

    cast = gp_record
    message = probe_ekontakt(
        receiver=clinic_party(service=cast.gp_service), patient=patient_of(cast.nora.person), subject="Spørsmål om time"
    )
    in_transaction(relay_send, side="portal", message=message)
    deliver_all()
    assert JournalEntry.objects.filter(msg_id=message.msg_id, subject="Spørsmål om time").exists()
    assert not CopyRequest.objects.exists()


def test_parent_requests_a_copy_for_a_child_under_12(client, gp_record):
    from accounts.representation import SESSION_KEY

    cast = gp_record
    login_as(client, cast.nora)
    session = client.session
    session[SESSION_KEY] = cast.emma.pk
    session.save()
    response = client.post(reverse("journal:copy_request_new"), {"service": cast.gp_service.pk})
    assert response.status_code == 302
    request = JournalCopyRequest.objects.get()
    assert (request.person, request.requested_by) == (cast.emma, cast.nora.person)
    message = message_parse(bytes(relay_get(Envelope, kept_by="portal").payload))
    assert message.patient.nin == cast.emma.nin
    assert (message.on_behalf.nin, message.on_behalf.relation) == (cast.nora.person.nin, "parent")
    deliver_all()
    desk = CopyRequest.objects.get()
    assert (desk.patient_nin, desk.requested_by_name, desk.on_behalf_relation) == (
        cast.emma.nin,
        cast.nora.person.full_name,
        "parent",
    )


def test_epj_refuses_a_request_to_a_service_without_journal_copy(gp_record):
    """Even a request that slips past the portal's check is refused by the clinic (AppRec 2)."""
    from journal import wire
    from messaging.relay import relay_send

    cast = gp_record
    message = wire.copy_request_message(service=cast.gp_service, patient=cast.nora.person, written_by=cast.nora.person)
    JournalCopyRequest.objects.create(
        person=cast.nora.person, requested_by=cast.nora.person, service=cast.gp_service, msg_id=message.msg_id
    )
    in_transaction(relay_send, side="portal", message=message)
    cast.gp_service.processes.filter(process=Process.JOURNAL_COPY).delete()
    deliver_all()
    assert not CopyRequest.objects.exists()
    request = JournalCopyRequest.objects.get()
    assert request.state == JournalCopyRequest.State.REJECTED and request.error_text
