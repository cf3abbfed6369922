"""Seeding a database of national size for the scale benchmark (`manage.py seed_scale`).

Writes with bulk_create in batches, both sides of the system as they would look after years of
use: GP offices (one GP service each, one clinician with TOTP), citizens with a login and their
GP as health contact, the citizen's dialog threads and messages (portal side), and the clinic's
version of each thread as a desk case (EPJ side). Nothing passes through the relay: this is
bulk history, not traffic. Every row is synthetic: HER-ids from 70 000 000 up, national
identity numbers with +80 on the month (Tenor), e-mails at `scale.local`.

Lives in the dev-only bench package because it writes both sides' tables (DESIGN §2 keeps the
portal apps and the EPJ apart; only operators' tooling sees both).
"""

import datetime
import itertools
import random
import time
import uuid

from allauth.mfa.totp.internal.auth import TOTP
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from accounts.models import Person, User
from accounts.nin import nin_generate
from clinics.models import (
    HealthContact,
    Organisation,
    Process,
    Service,
    ServiceKind,
    ServiceProcess,
    StaffMembership,
    StaffRole,
)
from epj.desk.models import Case, CaseKind
from epj.models import Employment, StaffMember
from helsenorge.routers import NATIONAL_DB
from messaging.dialogs.models import DialogMessage, Kind, Thread

SCALE_DOMAIN = "scale.local"
SCALE_PASSWORD = "Skala-passord-2026"
SCALE_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
HER_ID_BASE = 70_000_000
CITIZENS_PER_CLINIC = 500
MESSAGES_PER_THREAD = 4
BATCH = 5_000
FIRST_BIRTH_DATE = datetime.date(1930, 1, 1)
DAYS = (datetime.date(1999, 12, 31) - FIRST_BIRTH_DATE).days


def citizen_email(n: int) -> str:
    return f"innbygger{n}@{SCALE_DOMAIN}"


def clinician_email(n: int) -> str:
    return f"lege{n}@{SCALE_DOMAIN}"


def _batches(rows, size=BATCH):
    iterator = iter(rows)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


class Progress:
    def __init__(self, write):
        self.write, self.started = write, time.monotonic()

    def __call__(self, what: str, done: int, total: int):
        elapsed = time.monotonic() - self.started
        self.write(f"{what}: {done}/{total} ({elapsed:.0f} s)")


def seed_scale(*, citizens: int, messages: int, write=print, seed: int = 2026) -> dict:
    """Add `citizens` citizens and about `messages` dialog messages; returns row counts written.

    Idempotence: refuses to run twice into the same database (the scale rows are recognised by
    their e-mail domain); drop the database or pass fresh numbers through a new database.
    """
    if User.objects.filter(email=citizen_email(0)).exists():
        raise RuntimeError(f"The database already holds scale data ({citizen_email(0)}); use a fresh database.")
    rng = random.Random(seed)
    progress = Progress(write)
    clinics = max(1, citizens // CITIZENS_PER_CLINIC)
    services = _seed_clinics(clinics)
    progress("Legekontor", clinics, clinics)
    persons = _seed_citizens(citizens, services, rng, progress)
    threads = max(1, messages // MESSAGES_PER_THREAD)
    written = _seed_dialogs(threads, persons, rng, progress)
    return {"organisations": clinics, "citizens": len(persons), **written}


@transaction.atomic(using=NATIONAL_DB)  # the register's rows
@transaction.atomic  # the staff's logins and memberships, committed first inside it
def _seed_clinics(count: int) -> list[Service]:
    organisations = Organisation.objects.bulk_create(
        Organisation(her_id=HER_ID_BASE + 2 * i, name=f"Skala legekontor {i}") for i in range(count)
    )
    services = Service.objects.bulk_create(
        Service(organisation=org, her_id=org.her_id + 1, name=f"Fastlege Skala {i}", kind=ServiceKind.GP)
        for i, org in enumerate(organisations)
    )
    ServiceProcess.objects.bulk_create(
        ServiceProcess(service=service, process=process)
        for service in services
        for process in (Process.EKONTAKT, Process.EKONSULTASJON, Process.RENEWAL)
    )
    password = make_password(SCALE_PASSWORD)
    staff = User.objects.bulk_create(
        User(email=clinician_email(i), password=password, first_name="Lege", last_name=str(i), nin=_clinician_nin(i))
        for i in range(count)
    )
    StaffMembership.objects.bulk_create(
        StaffMembership(user=user, organisation=org, role=StaffRole.CLINICIAN, service=service)
        for user, org, service in zip(staff, organisations, services, strict=False)
    )
    members = StaffMember.objects.bulk_create(
        StaffMember(pid=user.nin, name=f"{user.first_name} {user.last_name}", email=user.email) for user in staff
    )
    Employment.objects.bulk_create(
        Employment(staff=member, organisation=org, role=StaffRole.CLINICIAN, service=service)
        for member, org, service in zip(members, organisations, services, strict=False)
    )
    for user in staff:  # staff must have TOTP to pass the MFA gate
        TOTP.activate(user, SCALE_TOTP_SECRET)
    return services


def _seed_citizens(count: int, services: list[Service], rng: random.Random, progress) -> list[tuple]:
    """Persons with a login and their GP; returns (person_id, nin, name, service) per citizen."""
    password = make_password(SCALE_PASSWORD)
    existing = set(Person.objects.values_list("nin", flat=True))
    made = []
    numbers = _synthetic_nins(existing)
    for chunk in _batches(range(count)):
        with transaction.atomic():
            people = []
            for n in chunk:
                birth, female, nin = next(numbers)
                people.append(
                    Person(
                        nin=nin,
                        given_name=rng.choice(GIVEN),
                        family_name=rng.choice(FAMILY),
                        birth_date=birth,
                        address_code=f"SKALA-{n}",
                    )
                )
            people = Person.objects.bulk_create(people)
            User.objects.bulk_create(
                User(email=citizen_email(n), password=password, person=person)
                for n, person in zip(chunk, people, strict=False)
            )
            contacts = []
            for n, person in zip(chunk, people, strict=False):
                service = services[n % len(services)]
                contacts.append(HealthContact(person=person, service=service))
                made.append((person.pk, person.nin, f"{person.given_name} {person.family_name}", service))
            HealthContact.objects.bulk_create(contacts)
        progress("Innbyggere", len(made), count)
    return made


def _clinician_nin(index: int) -> str:
    """The identity number HelseID vouches for the index-th scale clinician: a serial the citizens'
    numbers (serial 40 and up, `_synthetic_nins`) never use."""
    return nin_generate(FIRST_BIRTH_DATE + datetime.timedelta(days=index), female=index % 2 == 0, serial=30)


def _synthetic_nins(existing: set):
    """(birth date, female, nin) spread over 70 years of birth dates, skipping numbers in use."""
    for serial in itertools.count(40):
        for day in range(DAYS):
            birth = FIRST_BIRTH_DATE + datetime.timedelta(days=day)
            female = (day + serial) % 2 == 0
            nin = nin_generate(birth, female=female, serial=serial)
            if nin not in existing:
                yield birth, female, nin


def _seed_dialogs(count: int, persons: list[tuple], rng: random.Random, progress) -> dict:
    """`count` threads of MESSAGES_PER_THREAD messages each, spread over the last two years."""
    now = timezone.now()
    kinds = [Kind.EKONTAKT, Kind.EKONTAKT, Kind.EKONSULTASJON, Kind.RENEWAL]
    written = {"threads": 0, "messages": 0, "desk_cases": 0}
    for chunk in _batches(range(count), BATCH // MESSAGES_PER_THREAD * 2):
        with transaction.atomic():
            threads, cases, plans = [], [], []
            for _ in chunk:
                person_id, nin, name, service = persons[rng.randrange(len(persons))]
                started = now - datetime.timedelta(minutes=rng.randrange(2 * 365 * 24 * 60))
                kind = rng.choice(kinds)
                ref = str(uuid.uuid4())
                subject = rng.choice(SUBJECTS)
                last = started + datetime.timedelta(hours=MESSAGES_PER_THREAD)
                threads.append(
                    Thread(
                        person_id=person_id,
                        service=service,
                        kind=kind,
                        subject=subject,
                        conversation_ref=ref,
                        last_activity_at=last,
                    )
                )
                answered = rng.random() < 0.9
                cases.append(
                    Case(
                        organisation_id=service.organisation_id,
                        service=service,
                        kind=CaseKind(kind.value),
                        conversation_ref=ref,
                        subject=subject,
                        patient_nin=nin,
                        patient_name=name,
                        state=Case.State.ANSWERED if answered else Case.State.NEW,
                        waiting_since=None if answered else last,
                        due_at=last + datetime.timedelta(days=5),
                    )
                )
                plans.append((started, answered))
            threads = Thread.objects.bulk_create(threads)
            Case.objects.bulk_create(cases)
            messages = []
            for thread, (started, answered) in zip(threads, plans, strict=False):
                for i in range(MESSAGES_PER_THREAD):
                    inbound = i % 2 == 1  # the clinic answers every citizen message
                    messages.append(
                        DialogMessage(
                            thread=thread,
                            msg_id=str(uuid.uuid4()),
                            subject=thread.subject if i == 0 else "",
                            direction=DialogMessage.Direction.IN if inbound else DialogMessage.Direction.OUT,
                            text=rng.choice(TEXTS),
                            delivery=DialogMessage.Delivery.RECEIVED if inbound else DialogMessage.Delivery.DELIVERED,
                            read_at=started if inbound and answered else None,
                        )
                    )
            DialogMessage.objects.bulk_create(messages, batch_size=BATCH)
        written["threads"] += len(threads)
        written["desk_cases"] += len(cases)
        written["messages"] += len(messages)
        progress("Meldinger", written["messages"], count * MESSAGES_PER_THREAD)
    return written


# Names no demo persona has (demo seeders find their personas by name).
GIVEN = ["Sigrid", "Trond", "Hilde", "Geir", "Marit", "Knut", "Solveig", "Arne", "Tone", "Bjørn", "Aisha", "Yusuf"]
FAMILY = ["Skalastad", "Lastvik", "Mengdal", "Tallaksen", "Radmo", "Bulkestad", "Seedvik", "Volumsen"]
SUBJECTS = [
    "Spørsmål om prøvesvar",
    "Fornye resept",
    "Vondt i ryggen",
    "Endring av time",
    "Sykemelding",
    "Blodtrykksmåling",
    "Vaksine",
    "Henvisning",
]
TEXTS = [
    "Hei, jeg lurer på om prøvesvarene mine er kommet.",
    "Takk for svar.",
    "Kan jeg få time neste uke?",
    "Prøvesvarene er fine, ingen videre oppfølging nødvendig.",
    "Resepten er fornyet og ligger klar.",
]
