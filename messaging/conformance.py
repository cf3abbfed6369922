"""Conformance against the real sample messages in ../shared/samples (`manage.py conformance samples`).

Each MsgHead or AppRec sample is fed through the portal's inbound path exactly as a message
from the network would be (`relay_receive_raw`, the transport naming the MsgHead's sender).
Before that, the sample's parties are registered the way the national registers would hold
them: the sender's organisation and service in the address register, offering the process of
the message, and the patient in the population register with a health contact at that service.
So a refusal is the portal's verdict on the message, not on a register that lacks its parties.

PROVENANCE.md's verdict column says what to expect: a file it marks valid and that is addressed
to the portal (receiver level 1 = HN_PORTAL_HER_ID) should be accepted; any other is refused,
with E21 when addressed to someone else, and with the codec's code when it is not valid. A file
PROVENANCE calls invalid only because the e-resept M1 schema is not public counts as valid: the
codec checks its MsgHead and Dialogmelding against the XSDs and reads the M1 documents itself.
"""

import datetime
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction

from accounts.models import Person
from accounts.nin import nin_parse
from clinics.models import AppointmentLevel, HealthContact, Organisation, Process, Service, ServiceKind, ServiceProcess
from helsenorge.routers import NATIONAL_DB
from messaging.codec import AppRec, CodecError, Message, apprec_parse, document_parse
from messaging.codec.types import Header
from messaging.relay import relay_receive_raw
from messaging.relay.inbound import ACCEPTED, APPLIED, DUPLICATE
from messaging.relay.processes import process_for_function

VALID, INVALID, NOT_A_MESSAGE = "valid", "invalid", "n/a"
# PROVENANCE's "invalid" for a file whose only fault is that the (unpublished) M1 schema is missing.
VALID_BUT_M1_SCHEMA = "invalid only for want of the M1 schema"


@dataclass(frozen=True)
class SampleResult:
    name: str
    provenance: str  # VALID, VALID_BUT_M1_SCHEMA, INVALID, NOT_A_MESSAGE or "" when not listed
    is_receipt: bool  # an AppRec: never answered, read as the receipt for a message we sent
    receiver: tuple  # (level-1, level-2) HER-ids the file addresses, as far as they could be read
    addressed_to_portal: bool
    accepted: bool
    code: str  # the 8221 code of a refusal ("" when accepted)
    reason: str

    @property
    def expected_accepted(self) -> bool:
        # A valid AppRec is always read (it names no process and gets no answer); a valid
        # message only when it is addressed to the portal.
        readable = self.provenance in (VALID, VALID_BUT_M1_SCHEMA)
        return readable and (self.is_receipt or self.addressed_to_portal)

    @property
    def as_predicted(self) -> bool:
        return self.accepted == self.expected_accepted


def provenance_verdicts(samples: Path) -> dict[str, str]:
    """{file name: valid | invalid | n/a} from the XSD column of PROVENANCE.md's tables."""
    verdicts = {}
    for line in (samples / "PROVENANCE.md").read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        name = re.match(r"`([^`]+\.(?:xml|json))`", cells[0]) if cells else None
        if not name:
            continue
        verdict = cells[-1].lower()
        if verdict.startswith("**invalid") and "m1 schema is not available" in verdict:
            verdicts[name.group(1)] = VALID_BUT_M1_SCHEMA
            continue
        verdicts[name.group(1)] = (
            VALID if verdict.startswith("**valid") else INVALID if "invalid" in verdict else NOT_A_MESSAGE
        )
    return verdicts


def _header(data: bytes) -> tuple[Message | AppRec | None, Header | Message | AppRec | None]:
    """The parsed document (or None) and whatever addressing could be read."""
    try:
        document = document_parse(data)
    except CodecError as exc:
        return None, exc.header
    return document, document


def _register_party(party, msg_type: str) -> Service | None:
    """The sender's organisation and service in the address register, offering the message's process."""
    if party is None or not party.her_id:
        return None
    organisation, _created = Organisation.objects.get_or_create(
        her_id=party.her_id, defaults={"name": party.name or f"HER {party.her_id}", "org_number": party.org_number}
    )
    if not party.sub_her_id or party.sub_is_person:
        return None
    service, _created = Service.objects.get_or_create(
        her_id=party.sub_her_id,
        defaults={"organisation": organisation, "name": party.sub_name or party.name, "kind": ServiceKind.GP},
    )
    process = process_for_function(msg_type)
    if process is not None:
        level = AppointmentLevel.BOOK if process == Process.APPOINTMENTS else AppointmentLevel.NONE
        ServiceProcess.objects.get_or_create(service=service, process=process, defaults={"appointment_level": level})
    return service


def _register_patient(patient, service: Service | None) -> None:
    """The patient in the population register, with a health contact at the sending service."""
    if patient is None or not patient.nin:
        return
    try:
        info = nin_parse(patient.nin, allow_synthetic=True)
    except Exception:  # noqa: BLE001 - an unusable number is the message's problem, judged on receipt
        return
    person, _created = Person.objects.get_or_create(
        nin=patient.nin,
        defaults={
            "given_name": patient.given_name or "Ukjent",
            "family_name": patient.family_name or "Ukjent",
            "birth_date": info.birth_date or datetime.date(1900, 1, 1),
        },
    )
    if service is not None:
        HealthContact.objects.get_or_create(person=person, service=service)


def sample_check(path: Path, provenance: str) -> SampleResult:
    data = path.read_bytes()
    document, header = _header(data)
    receiver = getattr(header, "receiver", None)
    sender = getattr(header, "sender", None)
    is_receipt = isinstance(document, AppRec) or bool(getattr(header, "is_apprec", False))
    to_portal = receiver is not None and receiver.her_id == settings.HN_PORTAL_HER_ID
    # The register's rows in the national store, the person and contact in the portal's.
    with transaction.atomic(using=NATIONAL_DB), transaction.atomic():
        service = _register_party(sender, getattr(header, "msg_type", "") or "")
        _register_patient(getattr(document, "patient", None), service)
    receipt = relay_receive_raw(side="portal", payload=data, from_her_id=sender.her_id if sender else None)
    outcome = receipt.outcome
    facts: dict[str, Any] = dict(
        name=path.name,
        provenance=provenance,
        is_receipt=is_receipt,
        receiver=(receiver.her_id, receiver.sub_her_id) if receiver else (None, None),
        addressed_to_portal=to_portal,
    )
    if outcome is None:  # a transient failure the workers retry: no verdict on the message yet
        return SampleResult(**facts, accepted=False, code="", reason=receipt.envelope.error_text)
    if outcome.outcome in (ACCEPTED, APPLIED, DUPLICATE) and outcome.answer is None:
        reason = receipt.envelope.error_text or outcome.detail or outcome.outcome
        return SampleResult(**facts, accepted=True, code="", reason=reason)
    if outcome.answer is not None:
        apprec: AppRec = apprec_parse(bytes(outcome.answer.payload))
        if apprec.status in (1, 3):
            return SampleResult(**facts, accepted=True, code="", reason="")
        error = apprec.errors[0] if apprec.errors else None
        return SampleResult(
            **facts,
            accepted=False,
            code=error.code if error else "",
            reason=f"{error.text}: {error.detail}".strip(": ") if error else "",
        )
    return SampleResult(**facts, accepted=False, code="", reason=receipt.envelope.error_text or outcome.detail)


def samples_check(samples: Path) -> list[SampleResult]:
    """Every MsgHead/AppRec sample in the folder, fed through the portal's inbound path."""
    verdicts = provenance_verdicts(samples)
    results = []
    for path in sorted(samples.glob("*.xml")):
        verdict = verdicts.get(path.name, "")
        if verdict == NOT_A_MESSAGE:
            continue
        results.append(sample_check(path, verdict))
    return results
