"""`manage.py bench relay`: end-to-end relay throughput against the raw Celery task rate.

Method (docs/benchmarks.md):
1. One worker per side (started here unless --external-workers), same broker and database.
2. Yardstick: N no-op tasks sent one by one to the EPJ worker's queue, then a marker task;
   rate = N / (marker finished − first send). Every task costs one broker round trip.
3. Relay: N e-kontakt messages, each relay_send in its own transaction (as a citizen's send
   would be); rate = N / (last original marked delivered − first send). That covers: portal
   outbox → EPJ worker parses, checks, files the journal entry, writes the AppRec → portal
   worker applies the AppRec and marks the original delivered.
4. Latency: delivered_at − queued_at per message, p50/p95, at the maximum rate and again
   with sends paced at half the measured relay rate.
Bench rows use their own clinic (HER-ids 8149900/8149901) and are deleted afterwards.

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
import uuid
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Max, Min, Q

from accounts.models import Person
from accounts.nin import nin_generate
from clinics.models import HealthContact, Organisation, Process, Service, ServiceKind, ServiceProcess
from epj.desk.models import Case
from epj.models import JournalEntry
from epj.services import epj_patient_register
from messaging.codec import Patient
from messaging.models import Envelope, EnvelopeKind, EnvelopeState, InboxMessage
from messaging.relay.parties import clinic_party
from messaging.relay.probe import probe_ekontakt
from messaging.relay.services import relay_send
from messaging.relay.workers import worker_processes
from national.services import residents_load_from

BENCH_ORG_HER_ID = 8149900
BENCH_SERVICE_HER_ID = 8149901


def add_arguments(parser):
    parser.add_argument("--messages", type=int, default=1000, help="messages (and no-op tasks) per run")
    parser.add_argument(
        "--senders",
        type=int,
        default=4,
        help="concurrent sending threads (citizens sending at once), for both measurements",
    )
    parser.add_argument(
        "--external-workers",
        action="store_true",
        help="use workers that are already running instead of starting one per side",
    )
    parser.add_argument("--pool", default="prefork", help="worker pool for the workers started here")
    parser.add_argument("--concurrency", type=int, default=1, help="pool processes per worker started here")
    parser.add_argument("--no-half-rate", action="store_true", help="skip the latency run at half the maximum rate")
    parser.add_argument("--keep", action="store_true", help="keep the bench's envelopes and journal entries")


def _bench_clinic():
    """A clinic offering e-kontakt with one patient, in the register and in the EPJ (idempotent)."""
    with transaction.atomic():
        organisation, _ = Organisation.objects.get_or_create(
            her_id=BENCH_ORG_HER_ID, defaults={"name": "Benchmark-klinikken"}
        )
        service, _ = Service.objects.get_or_create(
            her_id=BENCH_SERVICE_HER_ID,
            defaults={"organisation": organisation, "name": "Benchmark-fastlege", "kind": ServiceKind.GP},
        )
        ServiceProcess.objects.get_or_create(service=service, process=Process.EKONTAKT)
        person, _ = Person.objects.get_or_create(
            nin=nin_generate(datetime.date(1970, 1, 1), female=True, serial=42),
            defaults={"given_name": "Bente", "family_name": "Benchmark", "birth_date": datetime.date(1970, 1, 1)},
        )
        HealthContact.objects.get_or_create(person=person, service=service)
        residents_load_from(people=[person])
        epj_patient_register(organisation=organisation, nin=person.nin)
    return service, Patient(nin=person.nin, given_name=person.given_name, family_name=person.family_name)


def _bench_rows():
    return Envelope.objects.filter(Q(receiver_her_id=BENCH_ORG_HER_ID) | Q(sender_her_id=BENCH_ORG_HER_ID))


def _cleanup():
    ids = list(_bench_rows().values_list("msg_id", flat=True))
    JournalEntry.objects.filter(organisation__her_id=BENCH_ORG_HER_ID).delete()
    Case.objects.filter(organisation__her_id=BENCH_ORG_HER_ID).delete()  # with their desk messages
    InboxMessage.objects.filter(msg_id__in=ids).delete()
    _bench_rows().delete()


def _in_threads(n: int, senders: int, send_one) -> None:
    """Call send_one(i) for i in range(n), spread over `senders` threads, each with its own
    database connection (closed at the end)."""

    def lane(k):
        try:
            for i in range(k, n, senders):
                send_one(i)
        finally:
            connection.close()

    threads = [threading.Thread(target=lane, args=(k,)) for k in range(senders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def _noop_rate(n: int, senders: int, progress) -> float:
    from helsenorge.celery import app

    key = f"bench-mark-{uuid.uuid4().hex}"
    started = time.time()
    sent = itertools.count(1)

    def send_one(i):
        app.send_task("bench.noop", queue="epj.async")
        progress("no-op sendt", next(sent), n)

    _in_threads(n, senders, send_one)
    app.send_task("bench.mark", args=(key,), queue="epj.async")
    deadline = time.monotonic() + max(120, n / 50)
    while (finished := cache.get(key)) is None:
        if time.monotonic() > deadline:
            raise RuntimeError("the no-op tasks did not finish: is an EPJ worker running?")
        time.sleep(0.01)
    return n / (finished - started)


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
        with transaction.atomic():
            relay_send(side="portal", message=messages[i])
        progress("sendt", next(sent), n)

    _in_threads(n, senders, send_one)
    send_seconds = time.time() - started
    rows = Envelope.objects.filter(side="portal", kind=EnvelopeKind.MESSAGE, msg_id__in=[m.msg_id for m in messages])
    # Polled 20 times a second while the workers run: by the primary keys the sends got, not by
    # the thousand MsgIds, so the poll itself costs the database next to nothing.
    first, last = rows.aggregate(first=Min("pk"), last=Max("pk")).values()
    polled = Envelope.objects.filter(
        pk__gte=first, pk__lte=last, side="portal", kind=EnvelopeKind.MESSAGE, receiver_her_id=BENCH_ORG_HER_ID
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
    return n / elapsed, latencies, send_seconds


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


RELAY_TABLES = (
    "messaging_envelope",
    "messaging_inboxmessage",
    "epj_journalentry",
    "epj_desk_case",
    "epj_desk_deskmessage",
)


def _vacuum(out=None) -> None:
    """PostgreSQL: VACUUM ANALYZE the relay's tables, as autovacuum keeps them in production.

    The outbox is a queue table: every message leaves four or five dead row versions behind,
    and without vacuum the claim's index scans wade through them (this machine's PostgreSQL
    runs with autovacuum off, and the bench would otherwise measure that)."""
    if not settings.IS_POSTGRES:
        return
    with connection.cursor() as cursor:
        if out is not None:
            cursor.execute("SHOW autovacuum")
            if cursor.fetchone()[0] == "off":
                out.write(
                    "PostgreSQL kjører uten autovacuum: benken kjører VACUUM ANALYZE på relétabellene "
                    "før hver fase, slik autovacuum ville holdt dem."
                )
        cursor.execute(f"VACUUM ANALYZE {', '.join(RELAY_TABLES)}")


def _percentile(values, p):
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1] if len(values) > 1 else values[0]


def run(command, *, messages, senders, external_workers, pool, concurrency, no_half_rate, keep, **_):
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
        f"Relé-benchmark: {messages} meldinger, {db} + {broker}, én arbeider per side "
        f"({concurrency} prosess(er) hver), {senders} avsendere."
    )
    service, patient = _bench_clinic()
    _cleanup()
    log_dir = Path(settings.VAR_DIR) / "bench"
    # The bench patient's fødselsnummer is synthetic (Tenor), as test data must be.
    env = dict(os.environ, PYTHONUNBUFFERED="1", HN_ALLOW_SYNTHETIC_NIN="true")
    if external_workers:
        return _measure(out, messages, senders, service, patient, progress, no_half_rate, keep, None)
    out.write("Starter én arbeider per side …")
    with worker_processes(env=env, log_dir=log_dir, pool=pool, concurrency=concurrency) as workers:
        return _measure(out, messages, senders, service, patient, progress, no_half_rate, keep, workers)


def _measure(out, messages, senders, service, patient, progress, no_half_rate, keep, workers):
    meter = _CpuMeter(workers)
    try:
        _vacuum(out)
        _relay_run(min(messages, 50), senders, service, patient, lambda *a: None)  # warm-up: connections, imports
        out.write("Rå Celery (no-op-oppgaver) …")
        _vacuum()
        before = meter.sample()
        noop = _noop_rate(messages, senders, progress)
        noop_cpu = meter.per_message_ms(before, meter.sample(), messages)
        out.write("Reléet ende til ende (portal → EPJ arkivert → AppRec → levert) …")
        _vacuum()
        before = meter.sample()
        relay_rate, latencies, send_seconds = _relay_run(messages, senders, service, patient, progress)
        relay_cpu = meter.per_message_ms(before, meter.sample(), messages)
        lines = [
            f"Relé:       {relay_rate:8.0f} meldinger/s",
            f"Celery:     {noop:8.0f} no-op-oppgaver/s",
            f"Forhold:    {relay_rate / noop:8.2f}",
            f"Sending alene: {messages / send_seconds:.0f} meldinger/s ({send_seconds:.1f} s)",
            f"Latens ved maks: p50 {_percentile(latencies, 50) * 1000:.0f} ms, "
            f"p95 {_percentile(latencies, 95) * 1000:.0f} ms",
        ]
        if relay_cpu:
            lines += [f"No-op: {noop_cpu}", f"Relé:  {relay_cpu}"]
        if not no_half_rate:
            out.write(f"Latens ved halv makshastighet ({relay_rate / 2:.0f}/s) …")
            _vacuum()
            _, half, _ = _relay_run(messages, senders, service, patient, progress, rate=relay_rate / 2)
            lines.append(
                f"Latens ved halv hastighet ({relay_rate / 2:.0f}/s): p50 {_percentile(half, 50) * 1000:.0f} ms, "
                f"p95 {_percentile(half, 95) * 1000:.0f} ms"
            )
        out.write("")
        for line in lines:
            out.write(line)
        return {"relay": relay_rate, "noop": noop, "latencies": latencies}
    finally:
        if not keep:
            _cleanup()
