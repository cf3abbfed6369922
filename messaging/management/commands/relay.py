"""Operator commands for the relay: status, dead letters, transport errors, replay, raw receive, ping.

Each side keeps its relay records in its own store (messaging/relay/stores.py), and an id names
a row only within its store: the lists name each row with its side, "epj:12", and `replay` takes
that form (a bare id when only one side has a dead letter with it). `status`, `dead` and
`errors` show both sides unless `--side` names one.
"""

import json
import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from messaging.codec import apprec_parse
from messaging.models import Envelope, EnvelopeState, Side, TransportErrorMessage
from messaging.relay import (
    RelayRejected,
    RelayTimeout,
    dead_letters,
    envelope_replay,
    envelopes_replay_dead,
    relay_ping,
    relay_receive_stream,
    relay_status,
)
from messaging.relay.handover import dead_queue_replay, transport_queue_depths, wire_receive
from messaging.relay.inbound import APPLIED, DUPLICATE, REJECTED, UNUSABLE
from messaging.relay.selectors import transport_errors
from messaging.relay.stores import RELAY_SIDES, relay_db, store_side
from messaging.transport import TransportMessage

# `relay receive` exit codes.
EXIT_ACCEPTED, EXIT_REJECTED, EXIT_UNUSABLE, EXIT_RETRYING = 0, 1, 2, 3


class Command(BaseCommand):
    help = "Inspect and repair the message relay (status, dead, errors, replay, receive, ping)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        status = sub.add_parser("status", help="counts by queue and state, oldest pending, stuck-worker warning")
        status.add_argument("--side", choices=Side.values, default=None, help="only this side's store (default both)")
        status.add_argument(
            "--threshold",
            type=float,
            default=None,
            help="seconds a due row may wait before a worker counts as stuck (default HN_RELAY_STALE_SECONDS)",
        )
        dead = sub.add_parser("dead", help="list dead letters with their reasons (as side:id)")
        dead.add_argument("--limit", type=int, default=100)
        dead.add_argument("--side", choices=Side.values, default=None, help="only this side's store (default both)")
        errors = sub.add_parser("errors", help="list transport error messages received on the _error queues")
        errors.add_argument("--limit", type=int, default=100)
        errors.add_argument("--side", choices=Side.values, default=None, help="only this side's store (default both)")
        errors.add_argument("--unfiled", action="store_true", help="only those that match no message we sent")
        replay = sub.add_parser("replay", help="give dead letters a fresh set of attempts")
        replay.add_argument(
            "id",
            nargs="?",
            help="the dead letter as `relay dead` names it, side:id (epj:12); a bare id when only one side "
            "has a dead letter with it",
        )
        replay.add_argument("--all", action="store_true")
        replay.add_argument(
            "--side", choices=Side.values, default=None, help="whose store the id is in; with --all, only that side"
        )
        replay.add_argument(
            "--queue", default=None, help="a transport dead-letter queue (<queue>_dead): move its messages back"
        )
        receive = sub.add_parser(
            "receive", help="feed a file through the inbound path; exit 0 accepted, 1 rejected, 2 unusable"
        )
        receive.add_argument("--side", required=True, choices=Side.values)
        receive.add_argument("file", help="the document, or - for standard input")
        receive.add_argument(
            "--from-her-id",
            type=int,
            default=None,
            help="level-1 HER-id of the party the file came from; a MsgHead claiming another sender is refused (S01)",
        )
        receive.add_argument(
            "--properties",
            default=None,
            help="the file is a CMS blob off the wire; this JSON file holds its AMQP properties "
            "(message_id, correlation_id, subject, to, reply_to, content_type, ttl_ms, application_properties)",
        )
        ping = sub.add_parser("ping", help="DIALOG_INNBYGGER_TEST round trip to a clinic")
        ping.add_argument("her_id", type=int)
        ping.add_argument("--timeout", type=float, default=None)

    def handle(self, *args, action, **options):
        return getattr(self, f"do_{action}")(**options)

    def do_status(self, *, threshold, side=None, **_):
        status = relay_status(threshold_seconds=threshold, side=side)
        if not status.counts:
            self.stdout.write("Ingen meldinger i reléet.")
        for queue in sorted(status.counts):
            states = ", ".join(f"{state} {n}" for state, n in sorted(status.counts[queue].items()))
            self.stdout.write(f"{queue:<14} {states}")
        if status.oldest_pending_seconds is None:
            self.stdout.write("Ingen ventende meldinger.")
        else:
            self.stdout.write(f"Eldste ventende: {status.oldest_pending_seconds:.1f} s i {status.oldest_pending_queue}")
        if status.stuck:
            self.stdout.write(
                self.style.ERROR(
                    f"ADVARSEL: en melding har ventet over {status.threshold_seconds:g} s i {status.oldest_pending_queue}: "
                    "arbeideren for køen kjører ikke eller har sluttet å hente (start den på nytt)."
                )
            )
        if status.dead:
            self.stdout.write(self.style.WARNING(f"{status.dead} døde meldinger: se `relay dead`."))
        if status.transport_errors:
            self.stdout.write(
                self.style.WARNING(
                    f"{status.transport_errors} transportfeil mottatt, {status.transport_errors_unfiled} "
                    "uten kjent melding: se `relay errors`."
                )
            )
        depths = transport_queue_depths()
        self.stdout.write(f"Køer i transporten ({settings.HN_TRANSPORT}), meldinger som venter:")
        for queue, depth in sorted(depths.items()):
            if depth or not queue.endswith("_dead"):
                self.stdout.write(f"  {queue:<40} {depth}")

    def do_dead(self, *, limit, side=None, **_):
        rows = dead_letters(limit=limit, side=side)
        dead_queues = {q: n for q, n in transport_queue_depths().items() if q.endswith("_dead") and n}
        for queue, depth in sorted(dead_queues.items()):
            self.stdout.write(f"{queue}: {depth} melding(er) i transportens dødkø (`relay replay --queue {queue}`)")
        if not rows and not dead_queues:
            self.stdout.write("Ingen døde meldinger.")
        for row in rows:
            kept = f" [ikke lagret, sha256 {row.payload_sha256}]" if row.payload_sha256 else ""
            self.stdout.write(
                f"{_label(row)} {row.queue} {row.msg_type or '(ukjent type)'} {row.msg_id} "
                f"forsøk {row.attempts}, død {row.dead_at:%Y-%m-%d %H:%M:%S}: {row.error_text}{kept}"
            )

    def do_errors(self, *, limit, unfiled, side=None, **_):
        rows = transport_errors(limit=limit, unfiled=unfiled, side=side)
        if not rows:
            self.stdout.write("Ingen transportfeil.")
        for row in rows:
            self.stdout.write(
                f"{_label(row)} {row.queue} {row.received_at:%Y-%m-%d %H:%M:%S} fra HER-id {row.from_her_id}: "
                f"{row.condition} for {row.original_msg_id or '(ingen originalMessageId)'} "
                f"[{row.get_outcome_display()}]: {row.description}"
            )

    def do_replay(self, *, id, all, queue=None, side=None, **_):
        if queue is not None:
            try:
                moved = dead_queue_replay(queue)
            except ValueError as error:
                raise CommandError(str(error)) from None
            self.stdout.write(self.style.SUCCESS(f"{moved} meldinger flyttet tilbake fra {queue}."))
            return
        if all == (id is not None):
            raise CommandError("Oppgi enten en ID (f.eks. epj:12) eller --all.")
        if all:
            total = len(dead_letters(limit=100000, side=side))
            self.stdout.write(f"Sender {total} døde meldinger på nytt …")
            self.stdout.write(self.style.SUCCESS(f"{envelopes_replay_dead(side=side)} lagt i kø igjen."))
            return
        side, pk = _dead_letter_named(id, side)
        if not envelope_replay(side=side, envelope_id=pk):
            raise CommandError(_not_replayable(side, pk))
        self.stdout.write(self.style.SUCCESS(f"{side}:{pk} lagt i kø igjen."))

    def do_receive(self, *, side, file, from_her_id=None, properties=None, **_):
        if properties is not None:
            return self._receive_wire(side=side, file=file, properties=properties)
        # Streamed: a document over HN_XML_MAX_BYTES is refused after reading at most limit + 1 bytes.
        if file == "-":
            receipt = relay_receive_stream(side=side, stream=sys.stdin.buffer, from_her_id=from_her_id)
        else:
            path = Path(file)
            if not path.is_file():
                raise CommandError(f"Finner ikke filen {file}.")
            with path.open("rb") as stream:
                receipt = relay_receive_stream(side=side, stream=stream, from_her_id=from_her_id)
        outcome = receipt.outcome
        if outcome is None:
            self.stderr.write(f"Midlertidig feil, prøves igjen av arbeiderne: {receipt.envelope.error_text}")
            sys.exit(EXIT_RETRYING)
        if outcome.outcome == UNUSABLE:
            self.stderr.write(
                f"Ubrukelig inndata, lagt til side som død melding {_label(receipt.envelope)}: {outcome.detail}"
            )
            sys.exit(EXIT_UNUSABLE)
        if outcome.outcome == APPLIED:
            self.stdout.write("Kvitteringen er registrert på den opprinnelige meldingen.")
            sys.exit(EXIT_ACCEPTED)
        if outcome.answer is None:  # a duplicate AppRec, or an answer already gone
            self.stdout.write("Allerede mottatt; ingenting gjort på nytt.")
            sys.exit(EXIT_ACCEPTED)
        self.stdout.write(bytes(outcome.answer.payload).decode("utf-8"))
        apprec = apprec_parse(bytes(outcome.answer.payload))
        errors = "; ".join(f"{e.code} {e.text}" for e in apprec.errors)
        note = " (allerede mottatt: samme kvittering som før)" if outcome.outcome == DUPLICATE else ""
        self.stderr.write(f"AppRec status {apprec.status}{note}{': ' + errors if errors else ''}")
        rejected = outcome.outcome == REJECTED or apprec.status == 2
        sys.exit(EXIT_REJECTED if rejected else EXIT_ACCEPTED)

    def _receive_wire(self, *, side, file, properties):
        try:
            props = json.loads(Path(properties).read_text())
            body = sys.stdin.buffer.read() if file == "-" else Path(file).read_bytes()
            message = TransportMessage(
                message_id=str(props.get("message_id", "")),
                correlation_id=str(props.get("correlation_id") or props.get("message_id", "")),
                subject=str(props.get("subject", "")),
                to=str(props.get("to", "")),
                reply_to=props.get("reply_to"),
                content_type=str(props.get("content_type", "")),
                ttl_ms=props.get("ttl_ms"),
                application_properties={str(k): str(v) for k, v in props.get("application_properties", {}).items()},
                body=body,
            )
        except (OSError, ValueError, TypeError, AttributeError) as error:
            raise CommandError(f"Kan ikke lese meldingen: {error}") from None
        receipt = wire_receive(message, side=side)
        if receipt.fault is not None:
            self.stderr.write(f"Transportfeil {receipt.fault.condition.value}: {receipt.fault.description}")
            sys.exit(EXIT_UNUSABLE)
        outcome = receipt.outcome
        if outcome is None:
            self.stderr.write("Midlertidig feil: meldingen ble ikke arkivert.")
            sys.exit(EXIT_RETRYING)
        if outcome.outcome == UNUSABLE:
            self.stderr.write(f"Ubrukelig inndata: {outcome.detail}")
            sys.exit(EXIT_UNUSABLE)
        if outcome.answer is None:
            self.stdout.write(
                "Mottatt." if outcome.outcome == APPLIED else "Allerede mottatt; ingenting gjort på nytt."
            )
            sys.exit(EXIT_ACCEPTED)
        self.stdout.write(bytes(outcome.answer.payload).decode("utf-8"))
        rejected = outcome.outcome == REJECTED
        sys.exit(EXIT_REJECTED if rejected else EXIT_ACCEPTED)

    def do_ping(self, *, her_id, timeout, **_):
        self.stdout.write(f"Sender kommunikasjonstest til HER-id {her_id} …")
        try:
            reply, seconds = relay_ping(her_id=her_id, timeout=timeout)
        except LookupError as error:
            raise CommandError(str(error)) from None
        except RelayTimeout as error:
            raise CommandError(f"Tidsavbrudd: {error}") from None
        except RelayRejected as error:
            raise CommandError(f"Avvist: {error}") from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Svar fra {reply.sender.sub_name or reply.sender.name} ({reply.sender.her_id}) på {seconds * 1000:.0f} ms."
            )
        )


def _label(row: Envelope | TransportErrorMessage) -> str:
    """How operators name a relay row: the side whose store holds it, and its id there ("epj:12")."""
    return f"{store_side(row._state.db)}:{row.pk}"


def _dead_letter_named(ref: str, side: str | None) -> tuple[str, int]:
    """(side, id) of the dead letter `ref` names: "epj:12", or "12" with --side or when only one
    side's store has a dead letter #12."""
    named, sep, number = ref.strip().lstrip("#").rpartition(":")
    if sep and named not in Side.values:
        raise CommandError(f"Ukjent side «{named}» i {ref}: bruk portal:<id> eller epj:<id>.")
    if not number.isdigit():
        raise CommandError(f"«{ref}» er ingen ID: bruk side:id slik `relay dead` viser den (f.eks. epj:12).")
    pk = int(number)
    if named and side and named != side:
        raise CommandError(f"{ref} og --side {side} sier hver sin side.")
    if named or side:
        return named or str(side), pk
    dead = [
        each
        for each in RELAY_SIDES
        if Envelope.objects.using(relay_db(each)).filter(pk=pk, state=EnvelopeState.DEAD).exists()
    ]
    if len(dead) > 1:
        raise CommandError(
            f"Både portalen og EPJ har en død melding #{pk} (ID-ene er per side): "
            f"oppgi {' eller '.join(f'{each}:{pk}' for each in dead)}."
        )
    if not dead:
        raise CommandError(f"Ingen av sidene har en død melding #{pk} (se `relay dead`).")
    return dead[0], pk


def _not_replayable(side: str, pk: int) -> str:
    """Why `side`'s row #pk cannot be replayed, in an operator's words."""
    row = Envelope.objects.using(relay_db(side)).filter(pk=pk).first()
    label = f"{side}:{pk}"
    if row is None or row.state != EnvelopeState.DEAD:
        return f"{label} er ikke en død melding (se `relay dead`)."
    if row.payload_sha256:
        return f"{label} ble avvist for størrelsen og innholdet ble aldri lagret: det er ingenting å sende på nytt."
    if row.side != side:
        return (
            f"{label} er et dokument {side} fikk fra en operatør (`relay receive`), ikke en melding {side} sendte: "
            "lever filen på nytt med `relay receive`."
        )
    return f"{label} er ikke en død melding med innhold som kan sendes på nytt."
