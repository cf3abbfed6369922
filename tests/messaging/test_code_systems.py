"""Code systems are used for what they are: TypeForesp codes from TypeForesp systems, TemaKodet
codes from TemaKodet systems, and every project-defined code documented in docs/message-codes.md."""

import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings

from epj.handlers import communication_test_answer
from messaging.codec import codes, message_build, message_parse
from messaging.wire import dialogs as wire
from tests.messaging.test_codec_kinds import CLINIC, MESSAGES, PATIENT, PORTAL

DOC = (Path(settings.BASE_DIR) / "docs" / "message-codes.md").read_text(encoding="utf-8")


def project_codes():
    found = {}
    for module in (codes, wire):
        for name, value in vars(module).items():
            if isinstance(value, codes.Code) and value.system.startswith(codes.OID_PROJECT):
                found[f"{module.__name__}.{name}"] = value
    for relation, value in codes.RELATION_CODES.items():
        found[f"RELATION_CODES[{relation}]"] = value
    return found


@pytest.mark.parametrize("name, code", sorted(project_codes().items()), ids=sorted(project_codes()))
def test_every_project_defined_code_is_documented_in_its_arc(name, code):
    arc = code.system[len(codes.OID_PROJECT) :]
    rows = [line for line in DOC.splitlines() if line.startswith(f"| `{arc}` |")]
    assert rows, f"docs/message-codes.md has no row for the arc {arc}"
    assert f"`{code.code}`" in rows[0], f"{name} ({code.code}) is missing from the {arc} row"
    why = [line for line in DOC.splitlines() if re.match(rf"\| `[^|]*\b{re.escape(code.code)}\b", line)]
    assert any(arc in line for line in why), f"{name} ({code.code}): no 'why project-defined' row"


def wire_messages():
    """Messages the dialogs' wire module builds, beyond the emitted kinds in test_codec_kinds."""
    question = message_parse(message_build(MESSAGES["communication_test"]))
    request = wire.new_message(
        msg_type=codes.DIALOG_INNBYGGER_RESEPTFORNYELSE,
        sender=PORTAL,
        receiver=CLINIC,
        patient=PATIENT,
        foresporsler=[wire.foresporsel(codes.FORESP_RESEPTFORNYING, subject="Ventoline", coded=wire.COLLECT_CLINIC)],
    )
    charge = wire.new_message(
        msg_type=codes.DIALOG_INNBYGGER_EKONSULTASJON,
        sender=CLINIC,
        receiver=PORTAL,
        patient=PATIENT,
        notater=[wire.charge_notat(wire.ChargeInfo(fee_code="2ae", amount=Decimal(170), state=wire.CHARGE_INVOICED))],
    )
    return {
        "communication_test_answer": communication_test_answer(question),
        "renewal_collected_at_clinic": request,
        "charge_invoiced": charge,
    }


ALL = {**MESSAGES, **wire_messages()}


@pytest.mark.parametrize("kind", sorted(ALL))
def test_typeforesp_and_temakodet_come_from_their_own_code_systems(kind):
    message = message_parse(message_build(ALL[kind]))
    questions = list(message.foresporsler) + [n.answered for n in message.notater if n.answered]
    for question in questions:
        assert question.type_system in codes.TYPE_FORESP_SYSTEMS, (kind, question.type_code, question.type_system)
        if question.coded_info:
            assert question.coded_info[1] not in codes.TEMA_KODET_SYSTEMS | codes.TYPE_FORESP_SYSTEMS, kind
    for note in message.notater:
        assert note.theme_system in codes.TEMA_KODET_SYSTEMS, (kind, note.theme_code, note.theme_system)


def test_the_communication_test_answer_has_a_theme_not_a_question_type():
    answer = communication_test_answer(message_parse(message_build(MESSAGES["communication_test"])))
    [note] = answer.notater
    assert (note.theme_code, note.theme_system) == (codes.TEMA_KOMMUNIKASJONSTEST.code, codes.OID_PROJECT_TEMA)
    assert note.answered.type_system == codes.OID_TYPE_FORESP_TEST  # the question keeps its 7603 type
