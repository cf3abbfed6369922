"""The EPJ's inbound path enforces the limits the portal's forms enforce (text, attachments).

A sender that skips the portal's forms (another system in the network, or a hand-made file)
gets nothing larger onto the clinic desk: the message is answered with AppRec status 2, T99
"Annen feil på format", and the reason in OT; nothing is filed.
"""

import pytest
from django import forms

from clinics.models import Process
from epj.desk.models import Case
from messaging.codec import Attachment, apprec_parse, codes, message_build
from messaging.dialogs.forms import EkonsultasjonForm, EkontaktForm, ReplyForm
from messaging.relay import relay_receive_raw
from messaging.wire import dialogs as wire
from messaging.wire.attachments import MAX_FILE_BYTES, MAX_FILES, MAX_TOTAL_BYTES
from ops.population import seed_epj_patients

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n"


@pytest.fixture
def gp(cast):
    seed_epj_patients()
    return cast


def ekontakt(cast, *, text="Hei", subject="Spørsmål", attachments=(), kind=Process.EKONTAKT):
    return wire.new_message(
        msg_type=wire.KIND_FUNCTION[kind],
        sender=wire.portal_party(),
        receiver=wire.clinic_party(service=cast.gp_service),
        patient=wire.patient_of(cast.nora.person),
        foresporsler=[wire.foresporsel(codes.FORESP_DIALOG, subject=subject, text=text)],
        attachments=list(attachments),
    )


def receive(message):
    outcome = relay_receive_raw(side="epj", payload=message_build(message)).outcome
    return apprec_parse(bytes(outcome.answer.payload))


def pdf(size):
    return Attachment(mime_type="application/pdf", data=PDF + b"0" * (size - len(PDF)), description="a.pdf")


def _max_length(form: forms.Form, name: str) -> int | None:
    field = form.fields[name]
    assert isinstance(field, forms.CharField)
    return field.max_length


def test_the_portal_forms_use_the_same_limits():
    assert _max_length(EkontaktForm(), "text") == wire.TEXT_MAX_CHARS
    assert _max_length(ReplyForm(), "text") == wire.TEXT_MAX_CHARS
    assert _max_length(EkontaktForm(), "title") == wire.SUBJECT_MAX_CHARS
    assert _max_length(EkonsultasjonForm(), "complaint") == wire.EKONSULTASJON_ANSWER_MAX_CHARS


def test_at_the_limits_the_message_is_accepted(gp):
    message = ekontakt(
        gp,
        text="x" * wire.TEXT_MAX_CHARS,
        subject="s" * wire.SUBJECT_MAX_CHARS,
        attachments=[pdf(MAX_FILE_BYTES)] + [pdf(1024)] * (MAX_FILES - 1),
    )
    assert receive(message).status == codes.STATUS_OK
    assert Case.objects.count() == 1


@pytest.mark.parametrize(
    "change, reason",
    [
        ({"text": "x" * (wire.TEXT_MAX_CHARS + 1)}, "Teksten har 5001 tegn"),
        ({"text": "x" * 9_000_000}, "Teksten har 9000000 tegn"),
        ({"subject": "s" * (wire.SUBJECT_MAX_CHARS + 1)}, "Emnet har 201 tegn"),
        ({"attachments": [pdf(100)] * (MAX_FILES + 1)}, "4 vedlegg; høyst 3"),
        ({"attachments": [pdf(100)] * 2000}, "2000 vedlegg; høyst 3"),
        ({"attachments": [pdf(MAX_FILE_BYTES + 1)]}, "Vedlegg 1 er"),
        ({"attachments": [pdf(MAX_FILE_BYTES)] * 2 + [pdf(MAX_TOTAL_BYTES - 2 * MAX_FILE_BYTES + 1)]}, "til sammen"),
    ],
    ids=["text", "nine-million", "subject", "four-files", "two-thousand-files", "large-file", "total"],
)
def test_over_a_limit_is_refused_with_t99_and_nothing_filed(gp, settings, change, reason):
    settings.HN_XML_MAX_BYTES = 64 * 1024 * 1024  # the relay's own size limit is not what is tested
    apprec = receive(ekontakt(gp, **change))
    assert apprec.status == codes.STATUS_REJECTED
    [error] = apprec.errors
    assert error.code == "T99" and reason in error.detail
    assert not Case.objects.exists()


def test_an_e_konsultasjon_may_carry_its_answers(gp):
    text = "x" * (wire.EKONSULTASJON_TEXT_MAX_CHARS - 10)
    assert receive(ekontakt(gp, text=text, kind=Process.EKONSULTASJON)).status == codes.STATUS_OK
    too_long = "x" * (wire.EKONSULTASJON_TEXT_MAX_CHARS + 1)
    assert receive(ekontakt(gp, text=too_long, kind=Process.EKONSULTASJON)).errors[0].code == "T99"
