"""Permission tests for every clinic desk view (DESIGN §7): anonymous, a citizen, staff of
another organisation and the right staff member. Refused requests change nothing."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from clinics.models import ServiceKind
from epj.desk.models import AbsenceNotice, Case, Charge, DeskAttachment, DeskMessage
from epj.desk.services import absence_set, case_reply
from epj.staff import staff_id
from messaging.dialogs.models import DialogMessage, Thread
from messaging.models import Envelope
from tests.conftest import login_as
from tests.dialogs.conftest import PDF, PERSONAS, client_for, deliver_all, refused
from tests.stores import relay_count


def snapshot():
    case = Case.objects.order_by("pk").values("state", "assignee_id").first()
    return (
        Case.objects.count(),
        DeskMessage.objects.count(),
        relay_count(Envelope),
        Charge.objects.count(),
        AbsenceNotice.objects.filter(cancelled=False).count(),
        case,
    )


def as_persona(client, cast, who):
    return login_as(client, cast.kari) if who == "right_user" else client_for(client, cast, who)


def check(response, who, before, ok):
    if who == "right_user":
        ok(response)
    else:
        assert refused(response, who)
        assert snapshot() == before


@pytest.mark.parametrize("who", PERSONAS)
def test_case_list(client, clinic_data, sent, who):
    before = snapshot()
    response = as_persona(client, clinic_data, who).get(reverse("desk:cases", args=[clinic_data.gp_org.pk]))

    def ok(response):
        assert response.status_code == 200 and "Vondt i halsen" in response.content.decode()

    check(response, who, before, ok)


@pytest.mark.parametrize("who", PERSONAS)
def test_case_detail(client, clinic_data, sent, who):
    _thread, case = sent
    before = snapshot()
    response = as_persona(client, clinic_data, who).get(reverse("desk:case", args=[case.pk]))

    def ok(response):
        body = response.content.decode()
        assert response.status_code == 200 and "Sår hals" in body and "takst 2ae" in body

    check(response, who, before, ok)


@pytest.mark.parametrize("who", PERSONAS)
def test_reply(client, clinic_data, sent, who):
    thread, case = sent
    before = snapshot()
    response = as_persona(client, clinic_data, who).post(reverse("desk:case", args=[case.pk]), {"text": "Saltvann."})

    def ok(response):
        assert response.status_code == 302
        case.refresh_from_db()
        assert case.state == Case.State.ANSWERED and Charge.objects.get(case=case).state == Charge.State.INVOICED
        deliver_all()
        assert thread.messages.filter(direction="in", text="Saltvann.").exists()

    check(response, who, before, ok)


@pytest.mark.parametrize("who", PERSONAS)
def test_claim(client, clinic_data, sent, who):
    _thread, case = sent
    before = snapshot()
    response = as_persona(client, clinic_data, who).post(reverse("desk:claim", args=[case.pk]))

    def ok(response):
        case.refresh_from_db()
        assert (
            response.status_code == 302
            and case.assignee.pid == clinic_data.kari.nin
            and case.state == Case.State.CLAIMED
        )

    check(response, who, before, ok)


@pytest.mark.parametrize("who", PERSONAS)
def test_assign(client, clinic_data, sent, who):
    _thread, case = sent
    before = snapshot()
    response = as_persona(client, clinic_data, who).post(
        reverse("desk:assign", args=[case.pk]), {"assignee": staff_id(clinic_data.reception)}
    )

    def ok(response):
        case.refresh_from_db()
        assert response.status_code == 302 and case.assignee.pid == clinic_data.reception.nin

    check(response, who, before, ok)


def test_assign_to_staff_of_another_organisation_is_refused(client, clinic_data, sent):
    _thread, case = sent
    login_as(client, clinic_data.kari)
    before = snapshot()
    client.post(reverse("desk:assign", args=[case.pk]), {"assignee": staff_id(clinic_data.ola)})
    assert snapshot() == before


@pytest.mark.parametrize("assignee", ["9" * 4301, "²", "9" * 30, "-1"])
def test_assign_with_a_number_no_user_id_can_be_is_an_error_not_a_500(client, clinic_data, sent, assignee):
    """Found by the fuzz pass: int() refused a 4 301-digit number and "²" with a ValueError."""
    _thread, case = sent
    login_as(client, clinic_data.kari)
    before = snapshot()
    response = client.post(reverse("desk:assign", args=[case.pk]), {"assignee": assignee})
    assert response.status_code == 302 and snapshot() == before


@pytest.mark.parametrize("who", PERSONAS)
def test_close(client, clinic_data, sent, who):
    thread, case = sent
    before = snapshot()
    response = as_persona(client, clinic_data, who).post(reverse("desk:close", args=[case.pk]))

    def ok(response):
        case.refresh_from_db()
        assert response.status_code == 302 and case.state == Case.State.CLOSED
        deliver_all()
        thread.refresh_from_db()
        assert thread.is_closed

    check(response, who, before, ok)


@pytest.mark.parametrize("who", PERSONAS)
def test_charge_paid(client, clinic_data, sent, who):
    thread, case = sent
    case_reply(case=case, user=clinic_data.kari, text="Svar")
    before = snapshot()
    response = as_persona(client, clinic_data, who).post(reverse("desk:charge_paid", args=[case.pk]))

    def ok(response):
        assert response.status_code == 302 and Charge.objects.get().state == Charge.State.PAID

    check(response, who, before, ok)
    if who != "right_user":
        assert Charge.objects.get().state == Charge.State.INVOICED


@pytest.mark.parametrize("who", PERSONAS)
def test_attachment(client, clinic_data, sent, who):
    attachment = DeskAttachment.objects.get()
    response = as_persona(client, clinic_data, who).get(reverse("desk:attachment", args=[attachment.pk]))
    if who == "right_user":
        assert response.status_code == 200 and response.content == PDF
    else:
        assert refused(response, who)


@pytest.mark.parametrize("who", PERSONAS)
def test_absence_set(client, clinic_data, who):
    before = snapshot()
    today = timezone.localdate()
    c = as_persona(client, clinic_data, who)
    url = reverse("desk:absence", args=[clinic_data.gp_org.pk])
    get = c.get(url)
    response = c.post(
        url,
        {
            "service": clinic_data.gp_service.pk,
            "text": "Ferie",
            "substitute": "Per Doktor",
            "starts": today,
            "ends": today + datetime.timedelta(days=3),
        },
    )

    def ok(response):
        assert get.status_code == 200
        assert response.status_code == 302 and AbsenceNotice.objects.get().substitute == "Per Doktor"

    check(response, who, before, ok)
    if who != "right_user":
        assert refused(get, who)


def test_clinician_sets_absence_only_for_own_service(client, clinic_data):
    other = clinic_data.gp_org.services.create(her_id=9999991, name="Fastlege Per Doktor", kind=ServiceKind.GP)
    login_as(client, clinic_data.kari)
    today = timezone.localdate()
    response = client.post(
        reverse("desk:absence", args=[clinic_data.gp_org.pk]),
        {"service": other.pk, "text": "Ferie", "substitute": "X", "starts": today, "ends": today},
    )
    assert response.status_code == 200 and not AbsenceNotice.objects.exists()


@pytest.mark.parametrize("who", PERSONAS)
def test_absence_cancel(client, clinic_data, who):
    today = timezone.localdate()
    notice = absence_set(
        service=clinic_data.gp_service, user=clinic_data.kari, text="Ferie", substitute="Per", starts=today, ends=today
    )
    before = snapshot()
    response = as_persona(client, clinic_data, who).post(reverse("desk:absence_cancel", args=[notice.pk]))

    def ok(response):
        notice.refresh_from_db()
        assert response.status_code == 302 and notice.cancelled

    check(response, who, before, ok)


@pytest.mark.parametrize("who", PERSONAS)
def test_thread_start(client, clinic_data, who):
    before = snapshot()
    c = as_persona(client, clinic_data, who)
    url = reverse("desk:thread_start", args=[clinic_data.gp_org.pk])
    get = c.get(url)
    response = c.post(
        url,
        {
            "service": clinic_data.gp_service.pk,
            "patient_nin": clinic_data.nora.person.nin,
            "subject": "Innkalling",
            "text": "Ring oss.",
        },
    )

    def ok(response):
        assert get.status_code == 200 and response.status_code == 302
        deliver_all()
        assert Thread.objects.get().started_by_clinic

    check(response, who, before, ok)
    if who != "right_user":
        assert refused(get, who) and not DialogMessage.objects.exists()


def test_reception_cannot_start_threads(client, clinic_data):
    login_as(client, clinic_data.reception)
    assert client.get(reverse("desk:thread_start", args=[clinic_data.gp_org.pk])).status_code == 404


def test_desk_attachment_keeps_a_type_only_for_real_pdf_and_images(client, clinic_data, sent):
    attachment = DeskAttachment.objects.get()
    DeskAttachment.objects.filter(pk=attachment.pk).update(mime_type="text/html", data=b"<script>alert(1)</script>")
    login_as(client, clinic_data.kari)
    response = client.get(reverse("desk:attachment", args=[attachment.pk]))
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].endswith('.bin"')


@pytest.mark.parametrize("who", PERSONAS)
def test_desk_home(client, clinic_data, who):
    response = as_persona(client, clinic_data, who).get(reverse("desk:home"))
    if who == "right_user":
        assert response.status_code == 302 and response["Location"] == reverse(
            "desk:cases", args=[clinic_data.gp_org.pk]
        )
    elif who == "other_org_staff":  # Ola lands on his own organisation's desk, never Kari's
        assert response["Location"] == reverse("desk:cases", args=[clinic_data.other_org.pk])
    else:
        assert refused(response, who)


def test_clinic_answers_with_a_pdf_the_citizen_can_download(client, clinic_data, sent):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from messaging.dialogs.models import DialogAttachment

    thread, case = sent
    login_as(client, clinic_data.kari)
    fake = SimpleUploadedFile("attest.pdf", b"<html>not a pdf</html>", content_type="application/pdf")
    response = client.post(reverse("desk:case", args=[case.pk]), {"text": "Attesten", "files": [fake]})
    assert response.status_code == 200 and "er ikke en PDF" in response.content.decode()
    assert DeskMessage.objects.filter(direction="out").count() == 0
    attest = SimpleUploadedFile("attest.pdf", b"%PDF-1.4 attest", content_type="application/pdf")
    client.post(reverse("desk:case", args=[case.pk]), {"text": "Attesten", "files": [attest]})
    deliver_all()
    received = DialogAttachment.objects.get(message__direction="in")
    assert received.data == b"%PDF-1.4 attest" and received.message.thread == thread
    login_as(client, clinic_data.nora)
    assert client.get(reverse("dialogs:attachment", args=[received.pk])).content == b"%PDF-1.4 attest"
