"""The conformance kit: play one side of the national edge against the other's queues.

`manage.py conformance epj --her-id N` plays Helsenorge against a record system (EPJ) whose
organisation has HER-id N; `manage.py conformance portal` plays a record system against the
portal. Either way the kit is an ordinary communication party: it builds each message with the
codec, signs it with its own key and encrypts it to the other party's certificate (the test
PKI), publishes it on the other party's queue with the properties Helsenorge.Messaging sets, and
reads what comes back on its OWN queues (`<herid>_async`, `<herid>_error`, its `_syncreply`
queue). It never opens the other system's database or calls its code, so a vendor's real EPJ
can be tested just as the simulated one (docs/conformance.md).

What is sent is derived, not listed by hand: the functions come from the receiving side's
routing table (`HN_ROUTING`, the project's CPA), narrowed to the processes the address register
says the receiving services offer; the broken messages are one per transport error condition a
receiver must report on the sender's `_error` queue.

Because the kit consumes the playing party's own queues, that party's real consumers must not
run meanwhile (the portal's workers for `epj`, the EPJ's for `portal`): they would take the
answers first.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TypeVar

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings

from clinics.models import HealthContact, Organisation, Process, Service, ServiceProcess
from messaging.cms.pki import SIGNING_USAGE, create_ca, issue_certificate
from messaging.cms.protection import protect, unprotect
from messaging.codec import (
    AppRec,
    Attachment,
    Message,
    Patient,
    Resept,
    apprec_build,
    codes,
    document_parse,
    message_build,
    new_msg_id,
    now,
)
from messaging.codec.codes import APPREC
from messaging.models import Side
from messaging.relay.edge import own_keys, public_certs
from messaging.relay.parties import clinic_party, portal_party
from messaging.relay.processes import process_for_function
from messaging.relay.routing import ASYNC, SYNC, routes_for
from messaging.transport import Transport, TransportMessage, get_transport
from messaging.transport.envelope import (
    APPLICATION_TIMESTAMP,
    ORIGINAL_MESSAGE_ID,
    ErrorCondition,
    async_queue,
    error_queue,
    new_message,
    sync_queue,
    syncreply_queue,
)
from messaging.transport.sync import SyncClient, SyncTimeout
from messaging.wire import appointments as appointments_wire
from messaging.wire import dialogs as dialogs_wire
from national.selectors import tariff_quote

T = TypeVar("T")

DEFAULT_TIMEOUT = 20.0
# How long the kit listens for a message that must NOT come (an error about a valid AppRec).
QUIET_SECONDS = 2.0
KIT_PROCESS = "conformance"
MINIMAL_PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


class ConformanceError(Exception):
    """The kit cannot start: the register lacks the party, a service or a patient."""


@dataclass
class Check:
    """One row of the report."""

    name: str
    expected: str
    got: str = ""
    passed: bool = False
    seconds: float = 0.0


@dataclass
class Report:
    role: str  # what the kit played: "helsenorge" or "epj"
    her_id: int  # the party tested
    as_her_id: int  # the party the kit played
    checks: list[Check] = field(default_factory=list)

    @property
    def failed(self) -> list[Check]:
        return [c for c in self.checks if not c.passed]

    @property
    def ok(self) -> bool:
        return bool(self.checks) and not self.failed


# --- the kit as a communication party ------------------------------------------------------------


@dataclass
class _Answers:
    apprecs: dict[str, AppRec] = field(default_factory=dict)  # by the original MsgId
    errors: dict[str, TransportMessage] = field(default_factory=dict)  # by originalMessageId
    messages: list[Message] = field(default_factory=list)  # what the peer sent of its own accord
    unreadable: list[str] = field(default_factory=list)


class Party:
    """The kit's side of the wire: its HER-id, keys, transport and queues."""

    def __init__(self, *, her_id: int, peer_her_id: int, timeout: float, transport: Transport | None = None) -> None:
        self.her_id = her_id
        self.peer_her_id = peer_her_id
        self.timeout = timeout
        self.transport = transport or get_transport()
        self.keys = own_keys(her_id)
        self.peer_certs = public_certs(peer_her_id)
        self.reply_queue = syncreply_queue(her_id, KIT_PROCESS)
        self.sync = SyncClient(self.transport, self.reply_queue, timeout=timeout)
        self.answers = _Answers()
        self.acknowledged: set[str] = set()

    def close(self) -> None:
        self.transport.close()

    # sending

    def wire(
        self,
        payload: bytes,
        *,
        msg_id: str,
        subject: str,
        sync: bool = False,
        signer: tuple[x509.Certificate, rsa.RSAPrivateKey] | None = None,
    ) -> TransportMessage:
        """A payload as it goes on the wire: signed by us (or `signer`), encrypted to the peer."""
        cert, key = signer or (self.keys.signing_cert, self.keys.signing_key)
        body = protect(payload, signer_cert=cert, signer_key=key, recipient_cert=self.peer_certs.encryption_cert)
        return new_message(
            message_id=msg_id,
            subject=subject,
            from_her_id=self.her_id,
            to_her_id=self.peer_her_id,
            to=sync_queue(self.peer_her_id) if sync else async_queue(self.peer_her_id),
            reply_to=self.reply_queue if sync else async_queue(self.her_id),
            body=body,
            ttl_ms=max(int(self.timeout * 1000), 1) if sync else None,
        )

    def publish(self, message: TransportMessage) -> None:
        self.transport.publish(message)

    def send(self, message: Message) -> str:
        self.publish(self.wire(message_build(message), msg_id=message.msg_id, subject=message.msg_type))
        return message.msg_id

    def call(self, message: Message) -> Message | str:
        """A synchronous request; the decrypted reply, or why there is none."""
        request = self.wire(message_build(message), msg_id=message.msg_id, subject=message.msg_type, sync=True)
        try:
            reply = self.sync.call(request, timeout=self.timeout)
        except SyncTimeout:
            return f"no reply on {self.reply_queue} within {self.timeout:g} s"
        if reply.correlation_id != message.msg_id:
            return f"reply correlation-id {reply.correlation_id} is not the request's MsgId"
        try:
            document = document_parse(self.open(reply))
        except Exception as error:  # noqa: BLE001 - any failure to read the reply is the finding
            return f"unreadable reply: {error}"
        if not isinstance(document, Message):
            return "the reply is an AppRec, not a message"
        return document

    def acknowledge(self, message: Message) -> str:
        """Answer a message the peer sent with an AppRec OK, as its receiver must."""
        apprec = AppRec(
            msg_id=new_msg_id(),
            gen_date=now(),
            sender=message.receiver,
            receiver=message.sender,
            status=1,
            original_msg_id=message.msg_id,
            original_msg_type=message.msg_type,
            original_issue_date=message.gen_date,
        )
        self.publish(self.wire(apprec_build(apprec), msg_id=apprec.msg_id, subject=APPREC))
        self.acknowledged.add(message.msg_id)
        return apprec.msg_id

    def acknowledge_rest(self, seconds: float = 1.0) -> None:
        """Answer what the peer sent that no check answered (a SvarAvbestilling, say), as a good
        receiver does, so the peer does not wait for those AppRecs."""
        self.pump(seconds)
        for message in self.answers.messages:
            if message.msg_id not in self.acknowledged:
                self.acknowledge(message)

    # receiving

    def open(self, message: TransportMessage) -> bytes:
        return unprotect(
            message.body,
            decryption_keys=self.keys.decryption_keys,
            expected_signer_cert=public_certs(message.from_her_id or self.peer_her_id).signing_cert,
        )

    def pump(self, seconds: float) -> None:
        """Take what waits on our async and error queues for up to `seconds`."""
        left = _deadline(seconds)
        for queue in (error_queue(self.her_id), async_queue(self.her_id)):
            while True:
                delivery = self.transport.receive(queue, min(left(), 0.1))
                if delivery is None:
                    break
                self._file(delivery.message, error=queue.endswith("_error"))
                self.transport.accept(delivery)

    def drain(self) -> int:
        """Empty our queues of anything left from an earlier run (it would confuse the checks)."""
        taken = 0
        for queue in (error_queue(self.her_id), async_queue(self.her_id), self.reply_queue):
            while (delivery := self.transport.receive(queue, 0.2)) is not None:
                self.transport.accept(delivery)
                taken += 1
        return taken

    def _file(self, message: TransportMessage, *, error: bool) -> None:
        if error:
            original = message.application_properties.get(ORIGINAL_MESSAGE_ID, "")
            self.answers.errors[original] = message
            return
        try:
            document = document_parse(self.open(message))
        except Exception as problem:  # noqa: BLE001 - reported, not raised
            self.answers.unreadable.append(f"{message.message_id}: {problem}")
            return
        if isinstance(document, AppRec):
            self.answers.apprecs[document.original_msg_id] = document
        else:
            self.answers.messages.append(document)

    def wait(self, found: Callable[[], T | None], seconds: float | None = None) -> T | None:
        left = _deadline(self.timeout if seconds is None else seconds)
        while True:
            value = found()
            if value is not None or left() <= 0:
                return value
            self.pump(min(left(), 0.5))

    def apprec_for(self, msg_id: str) -> AppRec | None:
        return self.wait(lambda: self.answers.apprecs.get(msg_id))

    def error_for(self, msg_id: str, seconds: float | None = None) -> TransportMessage | None:
        return self.wait(lambda: self.answers.errors.get(msg_id), seconds)

    def message_answering(self, msg_id: str, function: str) -> Message | None:
        def found() -> Message | None:
            return next(
                (m for m in self.answers.messages if m.msg_type == function and m.parent_ref == msg_id),
                None,
            )

        return self.wait(found)


def _deadline(seconds: float) -> Callable[[], float]:
    end = time.monotonic() + max(seconds, 0.0)
    return lambda: max(end - time.monotonic(), 0.0)


@dataclass
class _Timed:
    check: Check
    started: float = field(default_factory=time.monotonic)


class _Run:
    """The checks of one run, each timed from its start to its verdict."""

    def __init__(self, report: Report) -> None:
        self.report = report

    def check(self, name: str, expected: str) -> _Timed:
        timed = _Timed(Check(name=name, expected=expected))
        self.report.checks.append(timed.check)
        return timed

    @staticmethod
    def verdict(timed: _Timed, passed: bool, got: str) -> bool:
        timed.check.passed, timed.check.got = passed, got
        timed.check.seconds = time.monotonic() - timed.started
        return passed


def _apprec_text(apprec: AppRec | None) -> str:
    if apprec is None:
        return "no AppRec"
    errors = ", ".join(f"{e.code} {e.detail or e.text}".strip() for e in apprec.errors)
    return f"AppRec status {apprec.status} ref {apprec.original_msg_id}" + (f" ({errors})" if errors else "")


def _expect_apprec(
    run: _Run, party: Party, name: str, message: Message, statuses: tuple[int, ...] = (1,)
) -> AppRec | None:
    wanted = " or ".join(str(s) for s in statuses)
    timed = run.check(name, f"AppRec status {wanted} ref {message.msg_id}")
    try:
        party.send(message)
    except Exception as error:  # noqa: BLE001 - a refused publish is the finding
        run.verdict(timed, False, f"publish failed: {error}")
        return None
    apprec = party.apprec_for(message.msg_id)
    fault = party.answers.errors.get(message.msg_id)
    if apprec is None and fault is not None:
        run.verdict(
            timed, False, f"error {fault.error_condition}: {fault.application_properties.get('errorDescription')}"
        )
        return None
    run.verdict(timed, apprec is not None and apprec.status in statuses, _apprec_text(apprec))
    return apprec


def _expect_reply(run: _Run, party: Party, name: str, message: Message) -> Message | None:
    timed = run.check(name, f"{message.msg_type} reply, correlation-id {message.msg_id}")
    reply = party.call(message)
    if isinstance(reply, str):
        run.verdict(timed, False, reply)
        return None
    ok = reply.msg_type == message.msg_type and reply.sender.her_id == party.peer_her_id
    run.verdict(timed, ok, f"{reply.msg_type} reply {reply.msg_id} from HER-id {reply.sender.her_id}")
    return reply


# --- broken messages: one per transport error condition ------------------------------------------


def _foreign_signer() -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
    """A signing certificate from a CA of our own: valid in form, but not the register's for us."""
    ca = create_ca(common_name="Conformance kit stranger CA")
    return issue_certificate(ca, common_name="Conformance kit stranger", organisation="Ukjent", key_usage=SIGNING_USAGE)


def _broken_cases(party: Party, valid: Callable[[], Message]) -> Iterator[tuple[str, ErrorCondition, TransportMessage]]:
    """(name, the error condition the receiver must report, the message) for each broken case."""
    message = valid()
    good = party.wire(message_build(message), msg_id=message.msg_id, subject=message.msg_type)
    bad_stamp = dict(good.application_properties, **{APPLICATION_TIMESTAMP: "not a time"})
    yield (
        "bad header field",
        ErrorCondition.INVALID_FIELD_VALUE,
        dataclasses.replace(good, application_properties=bad_stamp),
    )
    spoofed = valid()
    spoofed.sender = dataclasses.replace(spoofed.sender, her_id=spoofed.sender.her_id + 1)
    yield (
        "spoofed sender",
        ErrorCondition.SPOOFING_ATTACK,
        party.wire(message_build(spoofed), msg_id=spoofed.msg_id, subject=spoofed.msg_type),
    )
    yield (
        "not XML",
        ErrorCondition.NOT_WELL_FORMED_XML,
        party.wire(b"this is not XML", msg_id=new_msg_id(), subject=message.msg_type),
    )
    unknown = valid()
    yield (
        "unknown function",
        ErrorCondition.UNSUPPORTED_MESSAGE,
        party.wire(message_build(unknown), msg_id=unknown.msg_id, subject="DIALOG_INNBYGGER_UKJENT_FUNKSJON"),
    )
    stranger = valid()
    yield (
        "unverifiable signature",
        ErrorCondition.UNVERIFIED_CERTIFICATE,
        party.wire(
            message_build(stranger), msg_id=stranger.msg_id, subject=stranger.msg_type, signer=_foreign_signer()
        ),
    )


def _expect_errors(run: _Run, party: Party, valid: Callable[[], Message]) -> None:
    for name, condition, message in _broken_cases(party, valid):
        timed = run.check(f"broken: {name}", f"{condition.value} on {error_queue(party.her_id)}")
        try:
            party.publish(message)
        except Exception as error:  # noqa: BLE001
            run.verdict(timed, False, f"publish failed: {error}")
            continue
        answer = party.error_for(message.message_id)
        if answer is None:
            apprec = party.answers.apprecs.get(message.message_id)
            run.verdict(timed, False, _apprec_text(apprec) if apprec else "no error message")
            continue
        run.verdict(
            timed,
            answer.error_condition == condition.value,
            f"{answer.error_condition}: {answer.application_properties.get('errorDescription', '')[:80]}",
        )


# --- the register: what the tested party offers ---------------------------------------------------


def _organisation(her_id: int) -> Organisation:
    organisation = Organisation.objects.filter(her_id=her_id, active=True).first()
    if organisation is None:
        raise ConformanceError(f"HER-id {her_id} is no active organisation in the address register")
    return organisation


def _offers(organisation: Organisation) -> list[tuple[Service, set[str]]]:
    """Each active service of the organisation with the processes the register says it offers."""
    result = []
    for service in Service.objects.filter(organisation=organisation, active=True).order_by("her_id"):
        processes = set(ServiceProcess.objects.filter(service=service).values_list("process", flat=True))
        if processes:
            result.append((service, processes))
    return result


def _patient(services: list[Service], nin: str | None) -> Patient:
    """The test patient: the one given, or the first with an active health contact at a service."""
    contacts = HealthContact.objects.filter(active=True, service__in=services).select_related("person")
    if nin:
        contact = contacts.filter(person__nin=nin).first()
        if contact is None:
            return Patient(nin=nin, given_name="Test", family_name="Pasient")
    else:
        contact = contacts.order_by("pk").first()
        if contact is None:
            raise ConformanceError("no patient has an active health contact at these services; pass --patient")
    person = contact.person
    return Patient(nin=person.nin, given_name=person.given_name, family_name=person.family_name)


def _routed(side: str) -> set[tuple[str, str]]:
    """(function, channel) pairs the receiving side's routing table accepts: the CPA as configured."""
    return routes_for(side).routed()


# --- Helsenorge against an EPJ ------------------------------------------------------------------


def _dialog(kind_function: str, *, sender, receiver, patient: Patient) -> Message:
    if kind_function == codes.DIALOG_INNBYGGER_RESEPTFORNYELSE:
        question = dialogs_wire.foresporsel(
            codes.FORESP_RESEPTFORNYING,
            subject="Ibux 400 mg tabletter",
            text="Fornyelse av Ibux 400 mg (konformanstest)",
            coded=dialogs_wire.COLLECT_PHARMACY,
        )
        extra: list = []
    else:
        question = dialogs_wire.foresporsel(
            codes.FORESP_DIALOG, subject="Konformanstest", text="Melding fra konformanstesten."
        )
        extra = []
        if kind_function == codes.DIALOG_INNBYGGER_EKONSULTASJON:
            extra = [
                dialogs_wire.accepted_copayment_foresporsel(fee_code=dialogs_wire.FEE_EKONSULTASJON, amount=_fee())
            ]
    message: Message = dialogs_wire.new_message(
        msg_type=kind_function, sender=sender, receiver=receiver, patient=patient, foresporsler=[question, *extra]
    )
    message.conversation_ref = message.msg_id
    return message


def _fee() -> Decimal:
    """The co-payment the national tariff sets for an e-konsultasjon today (what a citizen accepts)."""
    quote = tariff_quote(code=dialogs_wire.FEE_EKONSULTASJON, on=datetime.date.today())
    return quote.copayment if quote is not None else Decimal("0.00")


def _copy_request(*, sender, receiver, patient: Patient) -> Message:
    return dialogs_wire.new_message(
        msg_type=codes.DIALOG_INNBYGGER_EKONTAKT,
        sender=sender,
        receiver=receiver,
        patient=patient,
        foresporsler=[dialogs_wire.foresporsel(codes.FORESP_JOURNALKOPI, subject="Forespørsel om journalkopi")],
    )


def _document_query(function: str, *, sender, receiver, patient: Patient, document_id: str = "") -> Message:
    code = (
        codes.FORESP_FINN_DOKUMENTER
        if function == codes.DIALOG_INNBYGGER_FINN_DOKUMENTER
        else codes.FORESP_HENT_DOKUMENT
    )
    coded = codes.Code(document_id, codes.OID_PROJECT_DOCUMENT_ID, "Dokument-id") if document_id else None
    return dialogs_wire.new_message(
        msg_type=function,
        sender=sender,
        receiver=receiver,
        patient=patient,
        foresporsler=[dialogs_wire.foresporsel(code, subject=code.dn, coded=coded)],
    )


def _ping(*, sender, receiver) -> Message:
    return dialogs_wire.new_message(
        msg_type=codes.DIALOG_INNBYGGER_TEST,
        sender=sender,
        receiver=receiver,
        patient=None,
        foresporsler=[
            dialogs_wire.foresporsel(codes.FORESP_KOMMUNIKASJONSTEST, subject="Kommunikasjonstest", text="Ping")
        ],
    )


def epj_conformance(
    *, her_id: int, as_her_id: int | None = None, patient_nin: str | None = None, timeout: float = DEFAULT_TIMEOUT
) -> Report:
    """Play Helsenorge against the EPJ of organisation `her_id`; the report of every check."""
    organisation = _organisation(her_id)
    offers = _offers(organisation)
    if not offers:
        raise ConformanceError(f"no service of HER-id {her_id} offers a process in the address register")
    kit_her_id = as_her_id or settings.HN_PORTAL_HER_ID
    patient = _patient([s for s, _ in offers], patient_nin)
    report = Report(role="helsenorge", her_id=her_id, as_her_id=kit_her_id)
    run = _Run(report)
    routed = _routed(Side.EPJ)
    party = Party(her_id=kit_her_id, peer_her_id=her_id, timeout=timeout)
    kit = portal_party() if kit_her_id == settings.HN_PORTAL_HER_ID else _plain_party(kit_her_id)
    try:
        party.drain()
        if (codes.DIALOG_INNBYGGER_TEST, SYNC) in routed:
            _expect_reply(
                run, party, "communication test (sync)", _ping(sender=kit, receiver=clinic_party(service=offers[0][0]))
            )
        for service, processes in offers:
            receiver = clinic_party(service=service)
            where = f"{service.name} ({service.her_id})"

            def offered(function: str, channel: str, processes: set[str] = processes) -> bool:
                process = process_for_function(function)
                return (function, channel) in routed and process is not None and process.value in processes

            for function in (
                codes.DIALOG_INNBYGGER_EKONTAKT,
                codes.DIALOG_INNBYGGER_EKONSULTASJON,
                codes.DIALOG_INNBYGGER_RESEPTFORNYELSE,
            ):
                if offered(function, ASYNC):
                    message = _dialog(function, sender=kit, receiver=receiver, patient=patient)
                    _expect_apprec(run, party, f"{function} to {where}", message)
            if Process.JOURNAL_COPY.value in processes and (codes.DIALOG_INNBYGGER_EKONTAKT, ASYNC) in routed:
                message = _copy_request(sender=kit, receiver=receiver, patient=patient)
                _expect_apprec(run, party, f"journal copy request to {where}", message)
            if offered(codes.DIALOG_INNBYGGER_FINN_DOKUMENTER, SYNC):
                found = _expect_reply(
                    run,
                    party,
                    f"FINN_DOKUMENTER (sync) to {where}",
                    _document_query(
                        codes.DIALOG_INNBYGGER_FINN_DOKUMENTER, sender=kit, receiver=receiver, patient=patient
                    ),
                )
                if offered(codes.DIALOG_INNBYGGER_HENT_DOKUMENTER, SYNC):
                    document_id = _first_document_id(found)
                    _expect_reply(
                        run,
                        party,
                        f"HENT_DOKUMENTER (sync) to {where}",
                        _document_query(
                            codes.DIALOG_INNBYGGER_HENT_DOKUMENTER,
                            sender=kit,
                            receiver=receiver,
                            patient=patient,
                            document_id=document_id or "0",
                        ),
                    )
            if offered(codes.DIALOG_INNBYGGER_TIMERESERVASJON, SYNC):
                _appointments(run, party, kit=kit, receiver=receiver, patient=patient, where=where, offered=offered)
        first = offers[0][0]
        _expect_errors(
            run,
            party,
            lambda: _dialog(
                codes.DIALOG_INNBYGGER_EKONTAKT, sender=kit, receiver=clinic_party(service=first), patient=patient
            ),
        )
        party.acknowledge_rest()
    finally:
        party.close()
    return report


def _plain_party(her_id: int):
    from messaging.codec import Party as CodecParty

    return CodecParty(her_id=her_id, name=f"Konformanstest {her_id}")


def _first_document_id(reply: Message | None) -> str:
    if reply is None:
        return ""
    for attachment in reply.attachments:
        if attachment.mime_type == codes.MIME_JSON:
            try:
                items = json.loads(attachment.data.decode("utf-8"))
            except ValueError:
                return ""
            if isinstance(items, list) and items and isinstance(items[0], dict):
                return str(items[0].get("id", ""))
    return ""


def _appointments(run: _Run, party: Party, *, kit, receiver, patient: Patient, where: str, offered) -> None:
    """HentLedigeTimer (sync), then ReserverAvtale on the first slot, then AvbestillAvtale."""
    today = datetime.date.today()
    query = appointments_wire.FreeSlotQuery(from_date=today, to_date=today + datetime.timedelta(days=28))
    request = appointments_wire.free_slot_request(sender=kit, receiver=receiver, patient=patient, query=query)
    reply = _expect_reply(run, party, f"free-slot lookup (sync) to {where}", request)
    if reply is None or not offered(codes.DIALOG_INNBYGGER_TIMERESERVASJON, ASYNC):
        return
    slots = appointments_wire.free_slots_of(reply)
    timed = run.check(f"free slots offered by {where}", "at least one free slot in the next 28 days")
    if not run.verdict(timed, bool(slots), f"{len(slots)} free slots"):
        return
    reservation = appointments_wire.reservation_request(
        sender=kit, receiver=receiver, patient=patient, slot=slots[0], request_id=new_msg_id()
    )
    if _expect_apprec(run, party, f"reservation (ReserverAvtale) to {where}", reservation) is None:
        return
    timed = run.check(
        f"reservation answer from {where}", f"SvarAvtaleReservasjon with RefToParent {reservation.msg_id}"
    )
    answer = party.message_answering(reservation.msg_id, codes.DIALOG_INNBYGGER_TIMERESERVASJON)
    if answer is None:
        run.verdict(timed, False, "no answer")
        return
    event = appointments_wire.appointment_event_of(answer)
    run.verdict(timed, event.result == appointments_wire.RESULT_CONFIRMED, f"{event.result} {event.uid}")
    _acknowledged(run, party, answer, where)
    if not offered(codes.DIALOG_INNBYGGER_AVTALEAVBESTILLING, ASYNC) or event.start is None or event.end is None:
        return
    cancellation = appointments_wire.cancellation_request(
        sender=kit,
        receiver=receiver,
        patient=patient,
        uid=event.uid,
        sequence=event.sequence,
        start=event.start,
        end=event.end,
    )
    _expect_apprec(run, party, f"cancellation (AvbestillAvtale) to {where}", cancellation)


def _acknowledged(run: _Run, party: Party, message: Message, where: str) -> None:
    """Our AppRec for a message the peer sent: it must be taken without an error message."""
    timed = run.check(f"AppRec for {message.msg_type} from {where}", "taken, no error message")
    apprec_id = party.acknowledge(message)
    error = party.error_for(apprec_id, QUIET_SECONDS)
    run.verdict(timed, error is None, "no error message" if error is None else f"error {error.error_condition}")


# --- an EPJ against the portal ------------------------------------------------------------------


def portal_conformance(
    *, her_id: int | None = None, patient_nin: str | None = None, timeout: float = DEFAULT_TIMEOUT
) -> Report:
    """Play the EPJ of organisation `her_id` (default: the first with a service) against the portal."""
    organisation = (
        _organisation(her_id)
        if her_id
        else Organisation.objects.filter(active=True, services__processes__isnull=False).order_by("her_id").first()
    )
    if organisation is None:
        raise ConformanceError("the address register has no organisation with a service to play")
    offers = _offers(organisation)
    if not offers:
        raise ConformanceError(f"no service of HER-id {organisation.her_id} offers a process")
    portal = settings.HN_PORTAL_HER_ID
    patient = _patient([s for s, _ in offers], patient_nin)
    report = Report(role="epj", her_id=portal, as_her_id=organisation.her_id)
    run = _Run(report)
    routed = _routed(Side.PORTAL)
    party = Party(her_id=organisation.her_id, peer_her_id=portal, timeout=timeout)
    receiver = portal_party()
    try:
        party.drain()
        for service, processes in offers:
            sender = clinic_party(service=service)
            where = f"from {service.name} ({service.her_id})"

            def offered(function: str, processes: set[str] = processes) -> bool:
                process = process_for_function(function)
                return (function, ASYNC) in routed and process is not None and process.value in processes

            if offered(codes.DIALOG_INNBYGGER_EKONTAKT):
                message = _clinic_message(codes.DIALOG_INNBYGGER_EKONTAKT, sender=sender, patient=patient)
                _expect_apprec(run, party, f"e-kontakt the clinic starts {where}", message)
                copy = _journal_copy(sender=sender, patient=patient)
                _expect_apprec(run, party, f"shared journal copy {where}", copy)
            for function in (codes.DIALOG_INNBYGGER_EKONSULTASJON, codes.DIALOG_INNBYGGER_RESEPTFORNYELSE):
                if offered(function):
                    # An answer in a conversation the portal never started: it must be refused
                    # with an AppRec (status 2), not dropped or put on the error queue.
                    answer = _clinic_message(function, sender=sender, patient=patient, unknown_thread=True)
                    _expect_apprec(run, party, f"{function} answer to an unknown thread {where}", answer, (2,))
            if offered(codes.DIALOG_INNBYGGER_AVTALEUTSENDING):
                _pushed_appointment(run, party, sender=sender, receiver=receiver, patient=patient, where=where)
        first = clinic_party(service=offers[0][0])
        timed = run.check("AppRec for a message the portal never sent", "taken, no error message")
        stray = AppRec(
            msg_id=new_msg_id(),
            gen_date=now(),
            sender=first,
            receiver=receiver,
            status=1,
            original_msg_id=new_msg_id(),
            original_msg_type=codes.DIALOG_INNBYGGER_EKONTAKT,
            original_issue_date=now(),
        )
        party.publish(party.wire(apprec_build(stray), msg_id=stray.msg_id, subject=APPREC))
        error = party.error_for(stray.msg_id, QUIET_SECONDS)
        run.verdict(timed, error is None, "no error message" if error is None else f"error {error.error_condition}")
        _expect_errors(
            run, party, lambda: _clinic_message(codes.DIALOG_INNBYGGER_EKONTAKT, sender=first, patient=patient)
        )
    finally:
        party.close()
    return report


def _clinic_message(function: str, *, sender, patient: Patient, unknown_thread: bool = False) -> Message:
    notater = [dialogs_wire.notat(codes.TEMA_MELDING, text="Melding fra konformanstesten.")]
    prescriptions: list[Resept] = []
    if function == codes.DIALOG_INNBYGGER_RESEPTFORNYELSE:
        today = datetime.date.today()
        notater = [dialogs_wire.notat(codes.TEMA_RESEPT_FORNYET, text="Resepten er fornyet.")]
        prescriptions = [
            Resept(
                name="Ibux Tab 400 mg",
                prescribed_on=today,
                expires_on=today + datetime.timedelta(days=365),
                dosage="1 tablett ved behov",
                atc_code="M01AE01",
                atc_dn="Ibuprofen",
                quantity="30",
            )
        ]
    message: Message = dialogs_wire.new_message(
        msg_type=function,
        sender=sender,
        receiver=portal_party(),
        patient=patient,
        foresporsler=[]
        if unknown_thread
        else [
            dialogs_wire.foresporsel(
                codes.FORESP_DIALOG, subject="Konformanstest", text="Melding fra konformanstesten."
            )
        ],
        notater=notater if unknown_thread else [],
        prescriptions=prescriptions,
    )
    if unknown_thread:
        message.conversation_ref = message.parent_ref = new_msg_id()
    else:
        message.conversation_ref = message.msg_id
    return message


def _journal_copy(*, sender, patient: Patient) -> Message:
    return dialogs_wire.new_message(
        msg_type=codes.DIALOG_INNBYGGER_EKONTAKT,
        sender=sender,
        receiver=portal_party(),
        patient=patient,
        notater=[dialogs_wire.notat(codes.TEMA_JOURNALKOPI, text="Kopi av journalen din ligger vedlagt.")],
        attachments=[Attachment(mime_type=codes.MIME_PDF, data=MINIMAL_PDF, description="Journalkopi")],
    )


def _pushed_appointment(run: _Run, party: Party, *, sender, receiver, patient: Patient, where: str) -> None:
    """Avtale (pushed), then SvarAvbestilling for it: both must be taken with AppRec OK."""
    start = (datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=7)).replace(
        minute=0, second=0, microsecond=0
    )
    event = appointments_wire.AppointmentEvent(
        uid=f"conformance-{new_msg_id()}",
        sequence=0,
        last_modified=now(),
        start=start,
        end=start + datetime.timedelta(minutes=20),
        cancelled=False,
        title="Konformanstest",
        location="Legekontoret",
        clinician="",
        appointment_type=appointments_wire.APPOINTMENT_TYPE_DEFAULT,
        cancel_deadline=None,
        video_url="",
        request_id="",
        result="",
        comment="",
    )
    push = appointments_wire.appointment_message(
        action=appointments_wire.AVTALE, sender=sender, receiver=receiver, patient=patient, event=event, text="Ny time"
    )
    if _expect_apprec(run, party, f"pushed appointment (Avtale) {where}", push) is None:
        return
    cancelled = dataclasses.replace(event, sequence=1, cancelled=True, result=appointments_wire.RESULT_CONFIRMED)
    answer = appointments_wire.appointment_message(
        action=appointments_wire.SVAR_AVBESTILLING,
        sender=sender,
        receiver=receiver,
        patient=patient,
        event=cancelled,
        text="Timen er avbestilt",
    )
    _expect_apprec(run, party, f"cancellation (SvarAvbestilling) {where}", answer)


__all__ = [
    "DEFAULT_TIMEOUT",
    "Check",
    "ConformanceError",
    "Party",
    "Report",
    "epj_conformance",
    "portal_conformance",
]
