"""`manage.py bench booking`: free-slot round trip and reservation-to-confirmed with N concurrent citizens.

Method (docs/benchmarks.md, "Booking"):
1. One worker per side (started here unless --external-workers), same broker and database.
2. Yardstick in the same run: `relay ping` (a DIALOG_INNBYGGER_TEST sync round trip), 20 times.
3. N citizens (bench persons with a health contact at the target service) each in their own
   thread and database connection, released together: HentLedigeTimer (timed: free-slot round
   trip), then ReserverAvtale for a random free slot, and the time until the portal's copy is
   confirmed or declined (reservation-to-confirmed: portal outbox → EPJ books → SvarAvtaleReservasjon
   → portal applies it). The lookup goes through the portal's shared free-slot lookup
   (HN_FREE_SLOTS_CACHE_SECONDS), as the booking page's does. Each thread opens its database and
   cache connections before the release (a web worker's are already open), and nobody reserves
   until every lookup is answered (a citizen reads the week before she picks a slot).
4. Afterwards the confirmed bench bookings are cancelled through AvbestillAvtale (unless --keep).
The EPJ needs slots at the target service (seed_demo's timebooks: Laboratoriet, HER-id 8140202).
The bench touches only the portal's side; the EPJ is reached through the relay as in production.
"""

import datetime
import os
import random
import statistics
import threading
import time
import uuid
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from accounts.models import Person
from accounts.nin import nin_generate
from appointments.models import Appointment, AppointmentStatus
from appointments.services import FreeSlotsUnavailable, appointment_cancel, appointment_reserve, free_slots_fetch
from clinics.models import HealthContact, Service
from messaging.relay import relay_ping
from messaging.relay.workers import worker_processes
from national.services import residents_load_from

DEFAULT_SERVICE_HER_ID = 8140202
PINGS = 20


def add_arguments(parser):
    parser.add_argument("--citizens", type=int, default=20, help="concurrent citizens booking at once")
    parser.add_argument(
        "--her-id",
        type=int,
        default=DEFAULT_SERVICE_HER_ID,
        help="the service to book at (needs free slots in the EPJ)",
    )
    parser.add_argument(
        "--external-workers",
        action="store_true",
        help="use workers that are already running instead of starting one per side",
    )
    parser.add_argument("--concurrency", type=int, default=4, help="processes per worker started here")
    parser.add_argument("--keep", action="store_true", help="keep the bench bookings instead of cancelling them")


def _percentile(values, p):
    if not values:
        return float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1] if len(values) > 1 else values[0]


def _ms(values, p):
    return f"{_percentile(values, p) * 1000:.0f} ms"


def _citizens(service, n):
    people = []
    for i in range(n):
        birth = datetime.date(1940, 1, 1) + datetime.timedelta(days=97 * i)
        person, _created = Person.objects.get_or_create(
            nin=nin_generate(birth, female=i % 2 == 0, serial=150 + i % 40),
            defaults={"given_name": f"Bench{i}", "family_name": "Innbygger", "birth_date": birth},
        )
        HealthContact.objects.get_or_create(person=person, service=service, defaults={"active": True})
        people.append(person)
    residents_load_from(people=people)
    return people


def _one_citizen(service, person, results, barrier):
    try:
        # A web worker's thread keeps its database and cache connections between requests
        # (DB_CONN_MAX_AGE); open them before the clock starts, so the lookup is timed as the
        # booking view sees it and not fifty connection set-ups at once.
        connection.ensure_connection()
        cache.get("hn:bench:warm-up")
        barrier.wait()
        started = time.monotonic()
        try:
            slots = free_slots_fetch(service=service, person=person)
        except FreeSlotsUnavailable as exc:
            results.append(("unavailable", time.monotonic() - started, None, str(exc)))
            return
        finally:
            lookup = time.monotonic() - started
            # A citizen reads the week before she picks a slot: nobody reserves until every lookup
            # is answered, so the lookups are not timed against the other citizens' reservations
            # (signing and sending, in this one bench process).
            barrier.wait()
        later = [s for s in slots if s.cancel_deadline is None or s.cancel_deadline > timezone.now()]
        if not later:
            results.append(("no-slots", lookup, None, ""))
            return
        slot = random.choice(later[:50])
        sent = time.monotonic()
        appointment = appointment_reserve(
            user=None, person=person, service=service, slot=slot, request_id=str(uuid.uuid4())
        )
        deadline = sent + 120
        while time.monotonic() < deadline:
            status = Appointment.objects.filter(pk=appointment.pk).values_list("status", flat=True).first()
            if status in (AppointmentStatus.CONFIRMED, AppointmentStatus.DECLINED):
                results.append((status, lookup, time.monotonic() - sent, ""))
                return
            time.sleep(0.01)
        results.append(("timeout", lookup, None, ""))
    finally:
        connection.close()


def _measure(out, service, citizens, keep):
    pings = []
    for _ in range(PINGS):
        _reply, seconds = relay_ping(her_id=service.her_id)
        pings.append(seconds)
    people = _citizens(service, citizens)
    results: list[tuple[str, float, float | None, str]] = []
    barrier = threading.Barrier(citizens, timeout=120)
    threads = [threading.Thread(target=_one_citizen, args=(service, p, results, barrier)) for p in people]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(300)
    elapsed = time.monotonic() - started
    lookups = [r[1] for r in results if r[0] not in ("unavailable",)]
    confirmations = [r[2] for r in results if r[2] is not None]
    outcome = {
        k: sum(1 for r in results if r[0] == k)
        for k in (AppointmentStatus.CONFIRMED, AppointmentStatus.DECLINED, "unavailable", "no-slots", "timeout")
    }
    lines = [
        f"Relay ping (sync, {PINGS}×):        p50 {_ms(pings, 50)}, p95 {_ms(pings, 95)}",
        # The fastest is about the one lookup that asked the EPJ; the rest waited for its answer.
        f"Ledige timer (sync, {len(lookups)}×):     p50 {_ms(lookups, 50)}, p95 {_ms(lookups, 95)}, "
        f"raskeste {min(lookups, default=float('nan')) * 1000:.0f} ms",
        f"Reservasjon → svar ({len(confirmations)}×):  p50 {_ms(confirmations, 50)}, p95 {_ms(confirmations, 95)}",
        f"Utfall: {outcome[AppointmentStatus.CONFIRMED]} bekreftet, {outcome[AppointmentStatus.DECLINED]} avvist (tatt), "
        f"{outcome['unavailable']} uten svar på ledige timer, {outcome['no-slots']} uten ledige timer, "
        f"{outcome['timeout']} uten svar på reservasjonen; {elapsed:.1f} s totalt",
    ]
    out.write("")
    for line in lines:
        out.write(line)
    if not keep:
        _cancel_bench_bookings(service, people)
    return {"ping": pings, "lookup": lookups, "confirm": confirmations, "outcome": outcome}


def _cancel_bench_bookings(service, people):
    for appointment in Appointment.objects.filter(
        service=service, person__in=people, status=AppointmentStatus.CONFIRMED
    ):
        try:
            appointment_cancel(user=None, appointment=appointment)
        except Exception:  # past the deadline: the bench leaves it, as a citizen would have to
            continue


def run(command, *, citizens, her_id, external_workers, concurrency, keep, **_):
    out = command.stdout
    if citizens < 1:
        raise RuntimeError("--citizens must be at least 1")
    service = Service.objects.select_related("organisation").filter(her_id=her_id).first()
    if service is None:
        raise RuntimeError(f"no service with HER-id {her_id}; run `manage.py seed_demo` first")
    db = "PostgreSQL" if settings.IS_POSTGRES else "SQLite"
    broker = settings.CELERY_BROKER_URL.split("://")[0]
    out.write(f"Timebestilling-benchmark: {citizens} samtidige innbyggere mot {service.name}, {db} + {broker}.")
    if external_workers:
        return _measure(out, service, citizens, keep)
    out.write(f"Starter én arbeider per side ({concurrency} prosesser hver) …")
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    with worker_processes(env=env, log_dir=Path(settings.VAR_DIR) / "bench", concurrency=concurrency):
        return _measure(out, service, citizens, keep)
