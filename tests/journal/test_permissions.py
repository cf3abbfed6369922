"""Every citizen journal view: anonymous, another citizen, staff of another organisation, the right user.

Refused requests change nothing (the journal's tables, the relay's outbox and the access log).
"""

import pytest
from django.urls import reverse

from epj.records.models import CopyRequest
from journal.models import JournalCopyRequest, JournalDocument
from messaging.models import Envelope
from national.models import AccessLogEntry
from tests.conftest import login_as
from tests.journal.conftest import SECRET_TEXT, epj_sync_responder
from tests.stores import relay_count

WHO = ["anonymous", "another_citizen", "other_staff", "right_user"]


def user_for(cast, who):
    return {"anonymous": None, "another_citizen": cast.ulf, "other_staff": cast.ola, "right_user": cast.nora}[who]


def state():
    return (
        JournalCopyRequest.objects.count(),
        JournalDocument.objects.count(),
        AccessLogEntry.objects.count(),
        relay_count(Envelope),
        CopyRequest.objects.count(),
    )


@pytest.fixture
def nora_copy(cast):
    return JournalDocument.objects.create(
        person=cast.nora.person,
        organisation=cast.gp_org,
        service=cast.gp_service,
        source="pushed",
        title="Journalkopi fra Bakkehuset",
        filename="kopi.pdf",
        mime_type="application/pdf",
        size=9,
        data=b"%PDF-1.4 x",
        msg_id="msg-nora-copy",
    )


def call(client, cast, who, method, url, data=None):
    user = user_for(cast, who)
    if user is not None:
        login_as(client, user)
    return getattr(client, method)(url, data or {})


def assert_refused(response, who):
    if who == "anonymous":
        assert response.status_code == 302 and "/konto/" in response["Location"]
    else:
        assert response.status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("who", WHO)
def test_documents_list(client, cast, nora_copy, who):
    response = call(client, cast, who, "get", reverse("journal:documents"))
    if who in ("anonymous", "other_staff"):
        assert_refused(response, who)
    else:
        assert response.status_code == 200
        assert (nora_copy.title in response.content.decode()) is (who == "right_user")


@pytest.mark.django_db
@pytest.mark.parametrize("who", WHO)
def test_document_download(client, cast, nora_copy, who):
    response = call(client, cast, who, "get", reverse("journal:document_download", args=[nora_copy.pk]))
    if who == "right_user":
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"] == 'attachment; filename="kopi.pdf"'
    else:
        assert_refused(response, who)


@pytest.mark.django_db
@pytest.mark.parametrize("who", WHO)
def test_copy_request_post(client, cast, who):
    before = state()
    response = call(client, cast, who, "post", reverse("journal:copy_request_new"), {"service": cast.gp_service.pk})
    if who == "right_user":
        assert response.status_code == 302
        assert JournalCopyRequest.objects.filter(person=cast.nora.person).count() == 1
        return
    if who == "another_citizen":
        assert response.status_code == 200  # Ulf has no contact with Nora's GP: the form says so
        assert "Velg en av helsekontaktene" in response.content.decode()
    else:
        assert_refused(response, who)
    assert state() == before


@pytest.mark.django_db
@pytest.mark.parametrize("who", WHO)
def test_copy_request_form(client, cast, who):
    response = call(client, cast, who, "get", reverse("journal:copy_request_new"))
    if who in ("anonymous", "other_staff"):
        assert_refused(response, who)
    else:
        assert response.status_code == 200
        assert (cast.gp_service.name in response.content.decode()) is (who == "right_user")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("who", WHO)
def test_shared_documents_list(client, hospital, cast, who):
    with epj_sync_responder():
        response = call(client, cast, who, "get", reverse("journal:shared_documents"))
    if who in ("anonymous", "other_staff"):
        assert_refused(response, who)
    else:
        assert response.status_code == 200
        assert ("Epikrise etter innleggelse" in response.content.decode()) is (who == "right_user")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("who", WHO)
def test_shared_document(client, hospital, cast, who):
    url = reverse("journal:shared_document", args=[hospital.service.pk, hospital.nora_doc.document_id])
    with epj_sync_responder():
        response = call(client, cast, who, "get", url)
    if who == "right_user":
        assert response.status_code == 200 and SECRET_TEXT in response.content.decode()
    else:
        assert_refused(response, who)


@pytest.mark.django_db
@pytest.mark.parametrize("who", WHO)
def test_access_log(client, cast, who):
    from national.services import access_log_write

    access_log_write(
        actor=cast.kari,
        organisation=cast.gp_org,
        role="clinician",
        person_nin=cast.nora.person.nin,
        what="record",
        object_ref="Noras journal",
    )
    response = call(client, cast, who, "get", reverse("journal:access_log"))
    if who in ("anonymous", "other_staff"):
        assert_refused(response, who)
    else:
        assert response.status_code == 200
        assert ("Noras journal" in response.content.decode()) is (who == "right_user")


@pytest.mark.django_db
def test_shared_document_with_a_malformed_id_is_not_found(client, hospital, cast):
    login_as(client, cast.nora)
    url = reverse("journal:shared_document", args=[hospital.service.pk, "ikke-en-uuid"])
    assert client.get(url).status_code == 404
