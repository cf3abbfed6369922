"""Demo data for the address register, staff and citizens (used by `manage.py seed_demo`).

Everything here is synthetic: HER-ids from a test range, national identity numbers with
+80 on the month (Skatteetaten/Tenor synthetic numbers), passwords and TOTP secrets that
are printed for the demo. Seeding is idempotent: records are looked up by natural keys.
"""

import base64
import datetime
import hashlib
from dataclasses import dataclass

from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.db import transaction

from accounts.models import ParentalResponsibility, Person, User
from accounts.nin import nin_generate
from clinics.models import (
    AppointmentLevel,
    HealthContact,
    Organisation,
    Process,
    Service,
    ServiceKind,
    ServiceProcess,
    StaffMembership,
    StaffRole,
)
from helsenorge.routers import NATIONAL_DB

DEMO_PASSWORD = "Demo-passord-2026"

P = Process
ORGANISATIONS: list[tuple[int, str, str, bool, list[tuple[int, str, str, int, dict[str, str | None]]]]] = [
    # (her_id, name, org_number, is_hospital, [services])
    (
        8140001,
        "Bakkehuset legekontor",
        "974600005",
        False,
        [
            (
                8140011,
                "Fastlege Kari Lege",
                ServiceKind.GP,
                2,
                {
                    P.EKONTAKT: None,
                    P.EKONSULTASJON: None,
                    P.RENEWAL: None,
                    P.APPOINTMENTS: AppointmentLevel.BOOK,
                    P.VIDEO: None,
                    P.JOURNAL_COPY: None,
                    P.TOOLS: None,
                },
            ),
            (
                8140012,
                "Fastlege Per Doktor",
                ServiceKind.GP,
                3,
                {
                    P.EKONTAKT: None,
                    P.EKONSULTASJON: None,
                    P.RENEWAL: None,
                    P.APPOINTMENTS: AppointmentLevel.BOOK,
                    P.TOOLS: None,
                },
            ),
        ],
    ),
    (
        8140100,
        "Nordby kommune",
        "974600013",
        False,
        [
            (
                8140101,
                "Hjemmesykepleien Nordby",
                ServiceKind.HOME_SERVICE,
                2,
                {P.EKONTAKT: None, P.APPOINTMENTS: AppointmentLevel.VIEW_CANCEL, P.VIDEO: None},
            ),
            (
                8140102,
                "Vaksinasjonskontoret Nordby",
                ServiceKind.OTHER_PRIMARY,
                5,
                {P.APPOINTMENTS: AppointmentLevel.BOOK},
            ),
        ],
    ),
    (
        8140200,
        "Innlandet sykehus (demo)",
        "974600021",
        True,
        [
            (
                8140201,
                "Medisinsk poliklinikk",
                ServiceKind.SPECIALIST,
                5,
                {
                    P.EKONTAKT: None,
                    P.APPOINTMENTS: AppointmentLevel.BOOK,
                    P.VIDEO: None,
                    P.JOURNAL_COPY: None,
                    P.DOCUMENTS: None,
                    P.TOOLS: None,
                },
            ),
            (
                8140202,
                "Laboratoriet",
                ServiceKind.SPECIALIST,
                5,
                {P.APPOINTMENTS: AppointmentLevel.BOOK, P.DOCUMENTS: None},
            ),
        ],
    ),
    (
        8140300,
        "Sentrum legesenter",
        "974600048",
        False,
        [
            (
                8140301,
                "Fastlege Ola Annen",
                ServiceKind.GP,
                2,
                {P.EKONTAKT: None, P.EKONSULTASJON: None, P.RENEWAL: None, P.APPOINTMENTS: AppointmentLevel.VIEW},
            ),
        ],
    ),
]


def demo_totp_secret(email: str) -> str:
    """A fixed, valid base32 TOTP secret per demo login, so the printed secrets stay the same."""
    return base64.b32encode(hashlib.sha256(f"helsenorge-demo:{email}".encode()).digest()[:20]).decode()


@dataclass(frozen=True)
class DemoStaff:
    email: str
    first_name: str
    last_name: str
    org_her_id: int
    role: str
    service_her_id: int | None

    @property
    def totp_secret(self) -> str:
        return demo_totp_secret(self.email)

    @property
    def nin(self) -> str:
        return personnel_nin(self.email)

    @property
    def hpr_number(self) -> str:
        """Clinicians carry an HPR number (HelseID's hpr_number claim); reception staff none."""
        if self.role != StaffRole.CLINICIAN:
            return ""
        return str(9_000_000 + int(hashlib.sha256(self.email.encode()).hexdigest()[:6], 16) % 999_999)


def personnel_nin(email: str) -> str:
    """A fixed synthetic identity number per demo staff login: what HelseID's TestID vouches for."""
    digest = int(hashlib.sha256(f"helsenorge-demo-nin:{email}".encode()).hexdigest()[:8], 16)
    born = datetime.date(1960, 1, 1) + datetime.timedelta(days=digest % (30 * 365))
    return nin_generate(born, female=bool(digest % 2), serial=digest % 97)


STAFF = [
    DemoStaff("kari.lege@bakkehuset.demo", "Kari", "Lege", 8140001, StaffRole.CLINICIAN, 8140011),
    DemoStaff("per.doktor@bakkehuset.demo", "Per", "Doktor", 8140001, StaffRole.CLINICIAN, 8140012),
    DemoStaff("resepsjon@bakkehuset.demo", "Rita", "Resepsjon", 8140001, StaffRole.RECEPTION, None),
    DemoStaff("admin@bakkehuset.demo", "Anne", "Admin", 8140001, StaffRole.CLINIC_ADMIN, None),
    DemoStaff("sykepleier@nordby.demo", "Siri", "Sykepleier", 8140100, StaffRole.CLINICIAN, 8140101),
    DemoStaff("vaksine@nordby.demo", "Vidar", "Vaksine", 8140100, StaffRole.RECEPTION, None),
    DemoStaff("poliklinikk@sykehuset.demo", "Hans", "Overlege", 8140200, StaffRole.CLINICIAN, 8140201),
    DemoStaff("lab@sykehuset.demo", "Lise", "Lab", 8140200, StaffRole.RECEPTION, None),
    DemoStaff("ola.annen@sentrum.demo", "Ola", "Annen", 8140300, StaffRole.CLINICIAN, 8140301),
]
REVIEWER = ("katalog@helsenorge.demo", "Kristin", "Katalog", demo_totp_secret("katalog@helsenorge.demo"))
OPERATOR = ("drift@helsenorge.demo", "Daniel", "Drift", demo_totp_secret("drift@helsenorge.demo"))


@dataclass(frozen=True)
class DemoCitizen:
    key: str
    given: str
    family: str
    birth: datetime.date
    female: bool
    address: str
    login: bool
    contacts: tuple  # service HER-ids (active)


CITIZENS = [
    DemoCitizen(
        "nora",
        "Nora",
        "Nordmann",
        datetime.date(1986, 4, 12),
        True,
        "NORDBY-1",
        True,
        (8140011, 8140101, 8140201, 8140202, 8140102),
    ),
    DemoCitizen("emma", "Emma", "Nordmann", datetime.date(2018, 5, 10), True, "NORDBY-1", False, (8140011,)),
    DemoCitizen("jonas", "Jonas", "Nordmann", datetime.date(2012, 3, 2), False, "NORDBY-1", True, (8140011,)),
    DemoCitizen("ole", "Ole", "Nordmann", datetime.date(1984, 9, 30), False, "NORDBY-1", True, (8140012,)),
    DemoCitizen("kari", "Kari", "Hansen", datetime.date(1979, 1, 22), True, "SENTRUM-7", True, (8140301,)),
    DemoCitizen("aslak", "Aslak", "Berg", datetime.date(1951, 11, 3), False, "NORDBY-9", True, (8140011, 8140101)),
]
_FILLER = [
    ("Ingrid", "Johansen", True),
    ("Lars", "Olsen", False),
    ("Sofie", "Larsen", True),
    ("Magnus", "Andersen", False),
    ("Thea", "Pedersen", True),
    ("Henrik", "Nilsen", False),
    ("Maja", "Kristiansen", True),
    ("Sindre", "Jensen", False),
    ("Ida", "Karlsen", True),
    ("Even", "Johnsen", False),
    ("Hanna", "Pettersen", True),
    ("Eirik", "Eriksen", False),
    ("Vilde", "Berg", True),
    ("Tobias", "Haugen", False),
    ("Selma", "Hagen", True),
    ("Jakob", "Johannessen", False),
]
for _i, (_given, _family, _female) in enumerate(_FILLER):
    CITIZENS.append(
        DemoCitizen(
            f"filler{_i}",
            _given,
            _family,
            datetime.date(1960 + _i * 2, (_i % 12) + 1, 10 + _i),
            _female,
            f"BY-{_i}",
            True,
            (8140011 if _i % 2 == 0 else 8140012, 8140201) if _i % 3 == 0 else (8140011 if _i % 2 == 0 else 8140012,),
        )
    )
PARENTS = [("nora", "emma"), ("ole", "emma"), ("nora", "jonas"), ("ole", "jonas")]


def citizen_email(citizen: DemoCitizen) -> str:
    return (
        f"{citizen.given.lower()}.{citizen.family.lower()}@innbygger.demo".replace("ø", "o")
        .replace("å", "a")
        .replace("æ", "ae")
    )


def _ensure_totp(user, secret):
    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(user, secret)


def _no_password(user):
    Authenticator.objects.filter(user=user).delete()
    if user.has_usable_password():
        user.set_unusable_password()
        user.save(update_fields=["password"])


def _ensure_user(email, first, last, **extra):
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email=email, password=DEMO_PASSWORD, first_name=first, last_name=last, **extra)
    else:
        for field, value in extra.items():
            setattr(user, field, value)
        user.save()
    return user


@transaction.atomic(using=NATIONAL_DB)
def seed_register():
    services = {}
    for her_id, name, org_number, is_hospital, service_rows in ORGANISATIONS:
        org, _ = Organisation.objects.update_or_create(
            her_id=her_id, defaults={"name": name, "org_number": org_number, "is_hospital": is_hospital}
        )
        for s_her, s_name, kind, days, processes in service_rows:
            service, created = Service.objects.update_or_create(
                her_id=s_her, defaults={"organisation": org, "name": s_name, "kind": kind, "response_days": days}
            )
            if created:
                for process, level in processes.items():
                    ServiceProcess.objects.get_or_create(
                        service=service,
                        process=process,
                        defaults={"appointment_level": level or AppointmentLevel.NONE},
                    )
            services[s_her] = service
    return services


@transaction.atomic
def seed_people(services):
    persons = {}
    for serial, citizen in enumerate(CITIZENS):
        nin = nin_generate(citizen.birth, female=citizen.female, serial=serial % 7)
        person, _ = Person.objects.update_or_create(
            nin=nin,
            defaults={
                "given_name": citizen.given,
                "family_name": citizen.family,
                "birth_date": citizen.birth,
                "address_code": citizen.address,
                "mobile": f"+47 9{serial:07d}",
                "email": citizen_email(citizen),
            },
        )
        persons[citizen.key] = person
        for her in citizen.contacts:
            HealthContact.objects.get_or_create(person=person, service=services[her], defaults={"active": True})
        if citizen.login:
            # Citizens log in through ID-porten (the local TestID offers everyone in the register);
            # the row exists ahead so the demo's data can refer to it.
            user = _ensure_user(citizen_email(citizen), citizen.given, citizen.family)
            _no_password(user)
            if user.person_id != person.pk:
                user.person = person
                user.save(update_fields=["person"])
    for parent, child in PARENTS:
        ParentalResponsibility.objects.get_or_create(parent=persons[parent], child=persons[child])
    # Kari Hansen was on Bakkehuset's list before she moved: an inactive contact.
    HealthContact.objects.get_or_create(person=persons["kari"], service=services[8140012], defaults={"active": False})
    return persons


@transaction.atomic
def seed_staff(services):
    # Staff and the reviewer log in through HelseID (the local TestID picks them by identity
    # number): no password, no authenticator of their own. Only the operator has both.
    for staff in STAFF:
        user = _ensure_user(staff.email, staff.first_name, staff.last_name, nin=staff.nin)
        _no_password(user)
        org = Organisation.objects.get(her_id=staff.org_her_id)
        StaffMembership.objects.update_or_create(
            user=user,
            organisation=org,
            defaults={
                "role": staff.role,
                "service": services.get(staff.service_her_id),
                "hpr_number": staff.hpr_number,
            },
        )
    email, first, last, _secret = REVIEWER
    _no_password(_ensure_user(email, first, last, is_catalogue_reviewer=True, nin=personnel_nin(email)))
    email, first, last, secret = OPERATOR
    _ensure_totp(_ensure_user(email, first, last, is_staff=True, is_superuser=True), secret)


def seed_all():
    services = seed_register()
    persons = seed_people(services)
    seed_staff(services)
    return services, persons


def demo_logins():
    """Rows of (who, how to log in) for the banner."""
    rows = [
        (f"{c.given} {c.family} (innbygger)", "ID-porten: velg personen på TestID-siden")
        for c in CITIZENS[:6]
        if c.login
    ]
    rows += [(f"{s.first_name} {s.last_name} ({s.role})", "HelseID: velg personen på TestID-siden") for s in STAFF]
    rows.append((f"{REVIEWER[1]} {REVIEWER[2]} (katalogvurderer)", "HelseID: velg personen på TestID-siden"))
    rows.append((f"{OPERATOR[1]} {OPERATOR[2]} (drift)", f"{OPERATOR[0]} + passord + TOTP {OPERATOR[3]}"))
    rows.append(("Petra Produsent (verktøyprodusent)", "ID-porten: velg personen på TestID-siden"))
    return rows
