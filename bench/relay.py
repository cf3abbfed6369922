"""`manage.py bench relay`: the relay end to end over the national edge, against its yardsticks.

Method (docs/benchmarks.md, "Relay over the national edge"):
1. One worker per side (started here unless --external-workers), same broker and database: outbox
   rows are CMS signed and encrypted and published on the configured transport (AMQP 1.0 on
   RabbitMQ, or the embedded one).
2. Yardsticks, in the same run, on the same transport and a payload of the same size:
   a. the raw transport round trip: publish → receive → accept with the relay's own transport
      client on a scratch queue, no Django and no CMS; one message at a time, and in batches of
      the relay's batch size (publish_many / receive_many, as the relay's workers use them);
   b. the raw CMS rate: protect + unprotect of the bench's own MsgHead document, one process.
   A relay round trip costs two transport messages and two protected documents (the message and
   its AppRec), so the CMS yardstick counts as CMS rate / 2; the lower yardstick is
   min(transport round trips, CMS / 2).
3. Relay: N e-kontakt messages, each relay_send in its own transaction (as a citizen's send
   would be); rate = N / (last original marked delivered − first send). That covers: portal
   outbox → portal worker protects and publishes → EPJ worker consumes, unprotects, files the
   journal entry, writes the AppRec → EPJ worker protects and publishes it → portal worker
   consumes it and marks the original delivered.
4. Latency: delivered_at − queued_at per message, p50/p95, at the maximum rate and again
   with sends paced at half the measured relay rate.
Bench rows use their own clinic (HER-ids 8149900/8149901) and are deleted afterwards; its
queues are purged before and after. Each side's relay rows are in its own store
(messaging/relay/stores.py): the citizen's messages and the AppRecs' inbox rows in the portal's,
the EPJ's inbox rows and AppRecs in the EPJ's; the clean-up and VACUUM run per store.

It lives in the dev-only bench package, not in `messaging`, because it plays both sides at once
(it registers the bench patient in the EPJ and clears the EPJ's bench journal), which the
portal's own code may never do (import-linter contract).
"""

import datetime
import itertools
import os
import statistics
import threading
import time
from pathlib import Path

from django.conf import settings
from django.db import connections, transaction
from django.db.models import Max, Min, Q

from accounts.models import Person
from accounts.nin import nin_generate
from clinics.models import HealthContact, Organisation, Process, Service, ServiceKind, ServiceProcess
from epj.desk.models import Case
from epj.models import JournalEntry
from epj.services import epj_relationship_register
from helsenorge.routers import NATIONAL_DB
from messaging.cms.bench import protect_unprotect_rate
from messaging.cms.pki import pki_init
from messaging.cms.protection import protect
from messaging.codec import Patient, message_build
from messaging.models import Envelope, EnvelopeKind, EnvelopeState, InboxMessage, Side
from messaging.relay import edge
from messaging.relay.certificates import register_publish
from messaging.relay.parties import clinic_party
from messaging.relay.probe import probe_ekontakt
from messaging.relay.services import relay_send
from messaging.relay.stores import RELAY_SIDES, relay_db
from messaging.relay.workers import worker_processes
from messaging.transport.embedded import EmbeddedTransport
from messaging.transport.envelope import async_queue, dead_letter_queue, error_queue
from messaging.transport.yardstick import amqp_round_trip_rate
from national.services import residents_load_from

BENCH_ORG_HER_ID = 8149900
BENCH_SERVICE_HER_ID = 8149901


def add_arguments(parser):
    parser.add_argument("--messages", type=int, default=1000, help="messages per run")
    parser.add_argument(
        "--yardstick-seconds",
        type=float,
        default=5.0,
        help="how long each yardstick (raw transport round trips, raw CMS) runs",
    )
    parser.add_argument(
        "--senders",
        type=int,
        default=4,
        help="concurrent sending threads (citizens sending at once)",
    )
    parser.add_argument(
        "--external-workers",
        action="store_true",
        help="use workers that are already running instead of starting one per side",
    )
    parser.add_argument("--pool", default="prefork", help="worker pool for the workers started here")
    parser.add_argument(
        "--concurrency", type=int, default=2, help="pool processes per worker started here (docker-compose.yml runs 2)"
    )
    parser.add_argument("--no-half-rate", action="store_true", help="skip the latency run at half the maximum rate")
    parser.add_argument("--keep", action="store_true", help="keep the bench's envelopes and journal entries")


def _bench_clinic():
    """A clinic offering e-kontakt with one patient, in the register and in the EPJ, and both
    parties' certificates in the PKI directory (idempotent)."""
    directory = Path(settings.HN_PKI_DIR)
    pki_init([settings.HN_PORTAL_HER_ID, BENCH_ORG_HER_ID], directory=directory)
    for her_id in (settings.HN_PORTAL_HER_ID, BENCH_ORG_HER_ID):
        register_publish(her_id, directory=directory)  # as `manage.py pki init` does
    with transaction.atomic(using=NATIONAL_DB):  # the register's rows
        organisation, _ = Organisation.objects.get_or_create(
            her_id=BENCH_ORG_HER_ID, defaults={"name": "Benchmark-klinikken"}
        )
        service, _ = Service.objects.get_or_create(
            her_id=BENCH_SERVICE_HER_ID,
            defaults={"organisation": organisation, "name": "Benchmark-fastlege", "kind": ServiceKind.GP},
        )
        ServiceProcess.objects.get_or_create(service=service, process=Process.EKONTAKT)
    with transaction.atomic():  # the portal's person and health contact
        person, _ = Person.objects.get_or_create(
            nin=nin_generate(datetime.date(1970, 1, 1), female=True, serial=42),
            defaults={"given_name": "Bente", "family_name": "Benchmark", "birth_date": datetime.date(1970, 1, 1)},
        )
        HealthContact.objects.get_or_create(person=person, service=service)
        residents_load_from(people=[person])
    # The EPJ's own patient register, in the EPJ's store: not part of the portal's transaction.
    epj_relationship_register(service=service, nin=person.nin)
    return service, Patient(nin=person.nin, given_name=person.given_name, family_name=person.family_name)


def _bench_rows(side: str):
    """The bench clinic's envelopes in `side`'s store (the portal's messages to it, its AppRecs)."""
    return Envelope.objects.using(relay_db(side)).filter(
        Q(receiver_her_id=BENCH_ORG_HER_ID) | Q(sender_her_id=BENCH_ORG_HER_ID)
    )


def _bench_queues() -> list[str]:
    queues = [async_queue(BENCH_ORG_HER_ID), error_queue(BENCH_ORG_HER_ID)]
    return queues + [dead_letter_queue(queue) for queue in queues]


def _purge_bench_queues() -> None:
    """Empty the bench clinic's own queues (never the portal's: on a shared broker other
    processes may use it)."""
    transport = edge.transport()
    if isinstance(transport, EmbeddedTransport):
        names = _bench_queues()
        transport.db.execute(f"DELETE FROM message WHERE queue IN ({','.join('?' * len(names))})", names)
    elif hasattr(transport, "purge_queues"):
        transport.purge_queues(_bench_queues())


def _cleanup():
    # A side's inbox holds the MsgIds of the other side's envelopes: every bench MsgId, both stores.
    ids = [msg_id for side in RELAY_SIDES for msg_id in _bench_rows(side).values_list("msg_id", flat=True)]
    organisation_ids = list(Organisation.objects.filter(her_id=BENCH_ORG_HER_ID).values_list("pk", flat=True))
    JournalEntry.objects.filter(organisation_id__in=organisation_ids).delete()
    Case.objects.filter(organisation_id__in=organisation_ids).delete()  # with their desk messages
    for side in RELAY_SIDES:
        InboxMessage.objects.using(relay_db(side)).filter(msg_id__in=ids).delete()
        _bench_rows(side).delete()


def _in_threads(n: int, senders: int, send_one) -> None:
    """Call send_one(i) for i in range(n), spread over `senders` threads, each with its own
    database connections (closed at the end)."""

    def lane(k):
        try:
            for i in range(k, n, senders):
                send_one(i)
        finally:
            connections.close_all()  # this thread's own

    threads = [threading.Thread(target=lane, args=(k,)) for k in range(senders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def _relay_run(n: int, senders: int, service, patient, progress, *, rate: float | None = None):
    """Send n messages (paced at `rate`/s when given); (messages/s, latencies in s)."""
    receiver = clinic_party(service=service)
    messages = [probe_ekontakt(receiver=receiver, patient=patient, subject=f"Bench {i}") for i in range(n)]
    sent = itertools.count(1)
    started = time.time()

    def send_one(i):
        if rate:
            wait = started + i / rate - time.time()
            if wait > 0:
                time.sleep(wait)
        with transaction.atomic(using=relay_db(Side.PORTAL)):
            relay_send(side=Side.PORTAL, message=messages[i])
        progress("sendt", next(sent), n)

    _in_threads(n, senders, send_one)
    send_seconds = time.time() - started
    msg_ids = [m.msg_id for m in messages]
    rows = _rows_of(msg_ids)
    # Polled 20 times a second while the workers run: by the primary keys the sends got, not by
    # the thousand MsgIds, so the poll itself costs the database next to nothing.
    first, last = rows.aggregate(first=Min("pk"), last=Max("pk")).values()
    polled = Envelope.objects.using(relay_db(Side.PORTAL)).filter(
        pk__gte=first, pk__lte=last, side=Side.PORTAL, kind=EnvelopeKind.MESSAGE, receiver_her_id=BENCH_ORG_HER_ID
    )
    deadline = time.monotonic() + max(120, n / 20)
    settled = [EnvelopeState.DELIVERED, EnvelopeState.REJECTED, EnvelopeState.DEAD]
    while (done := polled.filter(state__in=settled).count()) < n:
        progress("levert", done, n)
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {done} of {n} messages settled: are both workers running?")
        time.sleep(0.05)
    progress("levert", n, n)
    bad = rows.exclude(state=EnvelopeState.DELIVERED)
    if (first := bad.first()) is not None:
        raise RuntimeError(
            f"{bad.count()} messages were not delivered; the first is {first.state}: "
            f"{first.error_text or '-'} (`relay status`, `relay dead`)"
        )
    # Every row is delivered here (checked just above), so each has its delivery time.
    timings = [(queued, delivered) for queued, delivered in rows.values_list("queued_at", "delivered_at") if delivered]
    last = max(delivered for _, delivered in timings)
    elapsed = last.timestamp() - started
    latencies = sorted((delivered - queued).total_seconds() for queued, delivered in timings)
    # Where the time goes, only for a paced run (at full speed it is mostly queueing).
    return n / elapsed, latencies, send_seconds, _stages(msg_ids) if rate else ""


def _stages(msg_ids: list[str]) -> str:
    """Where the time of a round trip goes, p50/p95 per stage, from the rows' own timestamps:
    the portal's outbox row (queued, on the broker, AppRec applied), the EPJ's inbox row (filed)
    and the EPJ's AppRec row (written, on the broker). Both sides' clocks are this machine's."""
    portal = {
        m: (q, s, d) for m, q, s, d in _rows_of(msg_ids).values_list("msg_id", "queued_at", "sent_at", "delivered_at")
    }
    epj = relay_db(Side.EPJ)
    filed = dict(
        InboxMessage.objects.using(epj).filter(side=Side.EPJ, msg_id__in=msg_ids).values_list("msg_id", "received_at")
    )
    apprecs = {
        original: (q, s)
        for original, q, s in Envelope.objects.using(epj)
        .filter(side=Side.EPJ, kind=EnvelopeKind.APPREC, original_msg_id__in=msg_ids)
        .values_list("original_msg_id", "queued_at", "sent_at")
    }
    stages: dict[str, list[float]] = {
        "portal → megler": [],
        "→ EPJ arkivert": [],
        "AppRec → megler": [],
        "→ levert": [],
    }
    for msg_id, (queued, sent, delivered) in portal.items():
        if msg_id not in filed or msg_id not in apprecs or None in (sent, delivered, apprecs[msg_id][1]):
            continue
        written, on_wire = apprecs[msg_id]
        for name, (start, end) in zip(
            stages, ((queued, sent), (sent, filed[msg_id]), (written, on_wire), (on_wire, delivered)), strict=True
        ):
            stages[name].append((end - start).total_seconds())
    return " · ".join(
        f"{name} {_percentile(values, 50) * 1000:.0f}/{_percentile(values, 95) * 1000:.0f}"
        for name, values in stages.items()
        if values
    )


def _rows_of(msg_ids: list[str]):
    """The citizens' messages: the portal's outbox rows, in its store."""
    return Envelope.objects.using(relay_db(Side.PORTAL)).filter(
        side=Side.PORTAL, kind=EnvelopeKind.MESSAGE, msg_id__in=msg_ids
    )


class _CpuMeter:
    """CPU seconds used during a phase: by this process (the senders), by each worker's process
    group, and by the whole machine (the rest is PostgreSQL, Redis and anything else running).
    Linux /proc only; elsewhere it reports nothing."""

    def __init__(self, workers):
        self.workers = workers
        self.tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100

    def _pids(self, name):
        return [self.workers.procs[name].pid, *self.workers.child_pids(name)]

    def _proc_seconds(self, pid, *, reaped: bool = False) -> float:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        used = int(fields[11]) + int(fields[12])  # utime + stime
        if reaped:  # + the children it has waited for (cutime + cstime)
            used += int(fields[13]) + int(fields[14])
        return used / self.tick

    def _server_seconds(self, name: str) -> float:
        """A server's CPU: every live process named `name`, plus what its exited children used
        (a PostgreSQL backend whose connection closed is accounted to the postmaster)."""
        total = 0.0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                text = stat.read_text()
            except OSError:
                continue
            comm = text[text.find("(") + 1 : text.rfind(")")]
            if comm.startswith(name):
                parent = int(text.rsplit(")", 1)[1].split()[1])
                parent_comm = Path(f"/proc/{parent}/comm").read_text().strip() if parent > 1 else ""
                total += self._proc_seconds(stat.parent.name, reaped=not parent_comm.startswith(name))
        return total

    def _machine_seconds(self) -> float:
        values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        return (sum(values) - values[3] - values[4]) / self.tick  # all but idle and iowait

    def sample(self) -> dict:
        if not Path("/proc/stat").exists():
            return {}
        sample = {"senders": time.process_time(), "machine": self._machine_seconds()}
        if self.workers is not None:
            for name in self.workers.procs:
                sample[name] = sum(self._proc_seconds(pid) for pid in self._pids(name))
        if settings.IS_POSTGRES:
            sample["PostgreSQL"] = self._server_seconds("postgres")
        if settings.CELERY_BROKER_URL.startswith("redis") or settings.REDIS_URL:
            sample["Redis"] = self._server_seconds("redis-server")
        if settings.HN_TRANSPORT == "amqp":
            sample["RabbitMQ"] = self._server_seconds("beam.smp")
        return sample

    @staticmethod
    def per_message_ms(before: dict, after: dict, n: int) -> str:
        if not before:
            return ""
        used = {k: after[k] - before[k] for k in before}
        parts = [f"{k} {used[k] / n * 1000:.2f}" for k in before if k != "machine"]
        rest = used["machine"] - sum(v for k, v in used.items() if k != "machine")
        parts.append(f"resten (andre prosesser) {rest / n * 1000:.2f}")
        return f"CPU ms per melding: {', '.join(parts)}; hele maskinen {used['machine'] / n * 1000:.2f}"


# The tables a run writes, per side's store: each side's relay records, and the EPJ's filing.
RELAY_TABLES = {
    Side.PORTAL: ("messaging_envelope", "messaging_inboxmessage"),
    Side.EPJ: (
        "messaging_envelope",
        "messaging_inboxmessage",
        "epj_journalentry",
        "epj_desk_case",
        "epj_desk_deskmessage",
    ),
}


def _vacuum(out=None) -> None:
    """PostgreSQL: VACUUM ANALYZE the relay's tables in each side's store, as autovacuum keeps
    them in production.

    The outbox is a queue table: every message leaves four or five dead row versions behind,
    and without vacuum the claim's index scans wade through them (this machine's PostgreSQL
    runs with autovacuum off, and the bench would otherwise measure that)."""
    for side, tables in RELAY_TABLES.items():
        store = connections[relay_db(side)]
        if store.vendor != "postgresql":
            continue
        with store.cursor() as cursor:
            if out is not None:
                cursor.execute("SHOW autovacuum")
                if cursor.fetchone()[0] == "off":
                    out.write(
                        f"PostgreSQL ({store.settings_dict['NAME']}) kjører uten autovacuum: benken kjører "
                        "VACUUM ANALYZE på relétabellene før hver fase, slik autovacuum ville holdt dem."
                    )
            cursor.execute(f"VACUUM ANALYZE {', '.join(tables)}")


def _percentile(values, p):
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1] if len(values) > 1 else values[0]


def run(
    command,
    *,
    messages,
    senders,
    yardstick_seconds,
    external_workers,
    pool,
    concurrency,
    no_half_rate,
    keep,
    **_,
):
    out = command.stdout

    last_shown: dict[str, int] = {}

    def progress(what, done, total):
        step = max(total // 10, 1)
        if done == total or done // step != last_shown.get(what, -1):
            last_shown[what] = done // step
            out.write(f"  {what}: {done}/{total}")

    db = "PostgreSQL" if settings.IS_POSTGRES else "SQLite"
    broker = settings.CELERY_BROKER_URL.split("://")[0]
    out.write(
        f"Relé-benchmark over den nasjonale kanten: {messages} meldinger, {_transport_label()}, CMS, "
        f"{db}, Celery på {broker}, én arbeider per side ({concurrency} prosess(er) hver), {senders} avsendere."
    )
    if os.path.exists("/proc/loadavg"):
        out.write(f"Belastning (load average 1/5/15 min) ved start: {_load()}")
    service, patient = _bench_clinic()
    _cleanup()
    _purge_bench_queues()
    log_dir = Path(settings.VAR_DIR) / "bench"
    # The bench patient's fødselsnummer is synthetic (Tenor), as test data must be.
    env = dict(os.environ, PYTHONUNBUFFERED="1", HN_ALLOW_SYNTHETIC_NIN="true")
    args = (out, messages, senders, yardstick_seconds, service, patient, progress, no_half_rate, keep)
    try:
        if external_workers:
            return _measure(*args, None)
        out.write("Starter én arbeider per side …")
        with worker_processes(env=env, log_dir=log_dir, pool=pool, concurrency=concurrency) as workers:
            return _measure(*args, workers)
    finally:
        edge.transport_reset()


def _transport_label() -> str:
    if settings.HN_TRANSPORT == "amqp":
        return "AMQP 1.0 (RabbitMQ)"
    return "innebygd transport (SQLite, ingen meldingsmegler)"


def _load() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def _sample_sizes(service, patient) -> tuple[bytes, int]:
    """A bench message's MsgHead document, and the size of its CMS blob on the wire."""
    message = probe_ekontakt(receiver=clinic_party(service=service), patient=patient, subject="Bench 0")
    payload = message_build(message)
    sender, receiver = edge.own_keys(settings.HN_PORTAL_HER_ID), edge.public_certs(BENCH_ORG_HER_ID)
    blob = protect(
        payload,
        signer_cert=sender.signing_cert,
        signer_key=sender.signing_key,
        recipient_cert=receiver.encryption_cert,
    )
    return payload, len(blob)


def _measure(out, messages, senders, yardstick_seconds, service, patient, progress, no_half_rate, keep, workers):
    meter = _CpuMeter(workers)
    batch = settings.HN_RELAY_BATCH_SIZE
    try:
        _vacuum(out)
        _relay_run(min(messages, 50), senders, service, patient, lambda *a: None)  # warm-up: connections, imports
        payload, blob_size = _sample_sizes(service, patient)
        transport_name = "AMQP" if settings.HN_TRANSPORT == "amqp" else "Innebygd transport"
        out.write(
            f"Målestokker ({yardstick_seconds:g} s hver; MsgHead {len(payload)} byte, CMS-blob {blob_size} byte) …"
        )
        single = amqp_round_trip_rate(yardstick_seconds, blob_size, batch=1)
        batched = amqp_round_trip_rate(yardstick_seconds, blob_size, batch=min(batch, max(messages, 1)))
        cms = protect_unprotect_rate(yardstick_seconds, payload=payload)
        transport_rate = max(single, batched)
        lower = min(transport_rate, cms / 2)
        out.write("Reléet ende til ende (innbygger sender → EPJ arkivert → AppRec tilbake → levert) …")
        _vacuum()
        before = meter.sample()
        relay_rate, latencies, send_seconds, _at_max = _relay_run(messages, senders, service, patient, progress)
        relay_cpu = meter.per_message_ms(before, meter.sample(), messages)
        lines = [
            f"Relé ende til ende: {relay_rate:8.0f} meldinger/s (rundturer: melding + AppRec)",
            f"{transport_name} rå rundtur (publiser → motta → bekreft, uten Django og CMS, {blob_size} byte):",
            f"  én om gangen:     {single:8.0f} meldinger/s",
            f"  i bunter à {min(batch, max(messages, 1))}: {batched:8.0f} meldinger/s",
            f"CMS rå (signer+krypter, dekrypter+verifiser, én prosess): {cms:8.0f} dokumenter/s "
            f"= {cms / 2:.0f} rundturer/s (to dokumenter per rundtur)",
            f"Laveste målestokk: {lower:8.0f} rundturer/s "
            f"({'CMS / 2' if cms / 2 <= transport_rate else transport_name})",
            f"Forhold ende til ende / laveste målestokk: {relay_rate / lower:.2f}",
            f"Sending alene: {messages / send_seconds:.0f} meldinger/s ({send_seconds:.1f} s)",
            f"Latens ved maks: p50 {_percentile(latencies, 50) * 1000:.0f} ms, "
            f"p95 {_percentile(latencies, 95) * 1000:.0f} ms",
        ]
        if relay_cpu:
            lines.append(f"Relé:  {relay_cpu}")
        half_latencies = None
        if not no_half_rate:
            out.write(f"Latens ved halv makshastighet ({relay_rate / 2:.0f}/s) …")
            _vacuum()
            _, half_latencies, _, stages = _relay_run(
                messages, senders, service, patient, progress, rate=relay_rate / 2
            )
            lines.append(
                f"Latens ved halv hastighet ({relay_rate / 2:.0f}/s): "
                f"p50 {_percentile(half_latencies, 50) * 1000:.0f} ms, "
                f"p95 {_percentile(half_latencies, 95) * 1000:.0f} ms"
            )
            lines.append(f"  etapper, p50/p95 ms: {stages}")
        if os.path.exists("/proc/loadavg"):
            lines.append(f"Belastning (load average 1/5/15 min) ved slutt: {_load()}")
        out.write("")
        for line in lines:
            out.write(line)
        return {
            "relay": relay_rate,
            "transport_single": single,
            "transport_batched": batched,
            "cms": cms,
            "lower": lower,
            "latencies": latencies,
            "half_latencies": half_latencies,
        }
    finally:
        if not keep:
            _cleanup()
            _purge_bench_queues()
