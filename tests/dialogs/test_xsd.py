"""Every message the dialogs put on the wire validates against the official XSDs.

The bytes checked are the relay's real outbox payloads after each flow has run, not
hand-built samples: what the services send is what is validated.
"""

import io
from decimal import Decimal

import pytest
from PIL import Image

from accounts.representation import RELATION_PARENT, RELATION_PROXY, RELATION_SELF, Subject
from epj.desk import services as desk
from epj.desk.models import Case
from epj.desk.models import Charge as DeskCharge
from messaging.codec import codes, document_parse, schema_validate, schemas_available
from messaging.dialogs import services
from messaging.dialogs.models import Kind, ServiceArea
from messaging.models import Envelope
from messaging.wire import dialogs as wire
from messaging.wire.attachments import CheckedFile
from tests.dialogs.conftest import deliver_all
from tests.stores import relay_rows

ALL = frozenset(ServiceArea.values)


def png_bytes():
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buffer, "PNG")
    return buffer.getvalue()


def run_every_flow(cast):
    nora = cast.nora.person
    me = Subject(actor=nora, patient=nora, relation=RELATION_SELF, areas=ALL)
    files = [
        CheckedFile("brev.pdf", "application/pdf", b"%PDF-1.4\n%test\n"),
        CheckedFile("utslett.png", "image/png", png_bytes()),
    ]
    ekontakt = services.dialog_send(
        subject=me, service=cast.gp_service, kind=Kind.EKONTAKT, title="Attest", text="Trenger attest.", files=files
    )
    parent = Subject(actor=nora, patient=cast.emma, relation=RELATION_PARENT, areas=ALL)
    services.dialog_send(subject=parent, service=cast.gp_service, kind=Kind.EKONTAKT, title="For Emma", text="Hei")
    proxy = Subject(
        actor=cast.ole.person, patient=nora, relation=RELATION_PROXY, areas=frozenset({ServiceArea.DIGITAL})
    )
    services.dialog_send(subject=proxy, service=cast.gp_service, kind=Kind.EKONTAKT, title="Fullmakt", text="Hei")
    konsultasjon = services.dialog_send(
        subject=me,
        service=cast.gp_service,
        kind=Kind.EKONSULTASJON,
        title="Hoste",
        text="",
        answers=[{"question": "Hva gjelder det?", "answer": "Hoste <3 uker> & feber"}],
        accepted_amount=Decimal("170"),
    )
    renewal = services.dialog_send(
        subject=me,
        service=cast.gp_service,
        kind=Kind.RENEWAL,
        title="",
        text="Takk",
        medication="Levaxin 50 mikrog tabletter",
        collect_code="AP",
    )
    renewal2 = services.dialog_send(
        subject=me,
        service=cast.gp_service,
        kind=Kind.RENEWAL,
        title="",
        text="",
        medication="Levaxin 50 mikrog tabletter",
        collect_code="LK",
    )
    deliver_all()
    case = lambda thread: Case.objects.get(conversation_ref=thread.conversation_ref)  # noqa: E731
    desk.case_reply(
        case=case(ekontakt),
        user=cast.kari,
        text="Attesten er klar.",
        close=True,
        files=[CheckedFile("attest.pdf", "application/pdf", b"%PDF-1.4\n%attest\n")],
    )
    desk.case_reply(case=case(konsultasjon), user=cast.kari, text="Drikk mye vann.")
    desk.charge_mark_paid(case=case(konsultasjon), user=cast.kari)
    desk.case_reply(case=case(renewal), user=cast.kari, text="Fornyet.", outcome="renewed")
    desk.case_reply(case=case(renewal2), user=cast.kari, text="Time trengs.", outcome="refused")
    desk.case_close(case=Case.objects.get(subject="For Emma"), user=cast.kari)
    desk.clinic_thread_start(
        organisation=cast.gp_org,
        service=cast.gp_service,
        patient_nin=nora.nin,
        subject="Prøvesvar",
        text="Alt fint.",
        user=cast.kari,
    )
    deliver_all()


@pytest.mark.shared
def test_every_dialog_message_validates(clinic_data, shared_dir):
    assert schemas_available()
    run_every_flow(clinic_data)
    payloads = [(f"{e.kind} {e.msg_type}", bytes(e.payload)) for e in relay_rows(Envelope)]  # both sides' outboxes
    seen_kinds = {name.split(" ", 1)[1] for name, _ in payloads}
    assert {
        codes.DIALOG_INNBYGGER_EKONTAKT,
        codes.DIALOG_INNBYGGER_EKONSULTASJON,
        codes.DIALOG_INNBYGGER_RESEPTFORNYELSE,
        codes.APPREC,
    } <= seen_kinds
    assert len(payloads) > 25
    failures = {name: errors for name, data in payloads if (errors := schema_validate(data))}
    assert failures == {}
    # The wire carries what the features meant: renewal 14 with the echoed question, the 8324 code, the charge.
    documents = [document_parse(data) for _name, data in payloads]
    notes = [n for d in documents for n in getattr(d, "notater", [])]
    renewed = next(n for n in notes if n.theme_code == "14")
    assert renewed.theme_system == codes.OID_TEMA_KODET and renewed.answered.coded_info[0] == "AP"
    # The renewed prescription travels as an e-resept M1 after the Dialogmelding.
    assert [p.name for d in documents for p in getattr(d, "prescriptions", [])] == ["Levaxin 50 mikrog tabletter"]
    assert any(n.theme_code == wire.TEMA_EGENANDEL.code and "takst=2ae" in n.text for n in notes)
    behalf = [d.on_behalf for d in documents if getattr(d, "on_behalf", None)]
    assert {b.relation for b in behalf} == {codes.RELATION_PARENT, codes.RELATION_PROXY}
    assert DeskCharge.objects.get().state == DeskCharge.State.PAID
    pdfs = [a for d in documents for a in getattr(d, "attachments", []) if a.mime_type == "application/pdf"]
    assert pdfs and pdfs[0].data.startswith(b"%PDF-")
