"""factory_boy factories for the shared persona cast and for ad-hoc rows."""

import datetime
import itertools
import uuid

import factory
from allauth.mfa.totp.internal.auth import TOTP

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
from epj.services import epj_relationship_register
from messaging.dialogs.models import DialogMessage
from national.services import residents_load_from
from ops.population import epj_employ_member

PASSWORD = "Test-passord-123"
_serial = itertools.count()
_her = itertools.count(9000001)


def birth_date_for_age(years: int, today: datetime.date | None = None) -> datetime.date:
    today = today or datetime.date.today()
    return datetime.date(today.year - years, 1, 1)


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    class Params:
        age = 40
        female = True

    given_name = factory.Faker("first_name", locale="no_NO")
    family_name = factory.Faker("last_name", locale="no_NO")
    birth_date = factory.LazyAttribute(lambda o: birth_date_for_age(o.age))
    nin = factory.LazyAttribute(lambda o: nin_generate(o.birth_date, female=o.female, serial=next(_serial) % 200))
    address_code = factory.Sequence(lambda n: f"ADDR-{n}")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        """The person is in the national population register too, as the operators' seeders keep it."""
        person = super()._create(model_class, *args, **kwargs)
        residents_load_from(people=[person])
        return person


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@test.local")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def totp_secret(obj, create, extracted, **kwargs):
        obj.save()
        if extracted:
            TOTP.activate(obj, extracted)


class CitizenFactory(UserFactory):
    person = factory.SubFactory(PersonFactory)


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    her_id = factory.LazyFunction(lambda: next(_her))
    name = factory.Sequence(lambda n: f"Legekontor {n}")


class ServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Service
        skip_postgeneration_save = True  # the hook writes other rows, never the service

    organisation = factory.SubFactory(OrganisationFactory)
    her_id = factory.LazyFunction(lambda: next(_her))
    name = factory.Sequence(lambda n: f"Fastlege {n}")
    kind = ServiceKind.GP

    @factory.post_generation
    def processes(obj, create, extracted, **kwargs):
        """processes={Process.EKONTAKT: None, Process.APPOINTMENTS: AppointmentLevel.BOOK}"""
        for process, level in (extracted or {}).items():
            ServiceProcess.objects.create(
                service=obj, process=process, appointment_level=level or AppointmentLevel.NONE
            )


class StaffFactory(UserFactory):
    """A staff user; pass membership=(organisation, role[, service]) to put them on the clinic's
    staff in both systems: the portal's membership (its clinic pages, the HelseID login) and the
    EPJ's own staff register (`epj.staff`). The identity number is what HelseID vouches for."""

    nin = factory.Sequence(
        lambda n: nin_generate(datetime.date(1960, 1, 1) + datetime.timedelta(days=n), female=bool(n % 2), serial=7)
    )

    @factory.post_generation
    def membership(obj, create, extracted, **kwargs):
        if extracted:
            organisation, role = extracted[0], extracted[1]
            service = extracted[2] if len(extracted) > 2 else None
            epj_employ_member(
                StaffMembership.objects.create(user=obj, organisation=organisation, role=role, service=service)
            )


def gp_service(organisation=None, **kwargs):
    processes = {
        Process.EKONTAKT: None,
        Process.EKONSULTASJON: None,
        Process.RENEWAL: None,
        Process.APPOINTMENTS: AppointmentLevel.BOOK,
        Process.VIDEO: None,
        Process.JOURNAL_COPY: None,
        Process.TOOLS: None,
    }
    extra = {"organisation": organisation} if organisation else {}
    return ServiceFactory(processes=processes, **extra, **kwargs)


def contact(person, service, active=True, epj=True):
    """A health contact the portal shows; with `epj` the clinic's own register has the patient too
    (as the operators' seeding copies it), otherwise only the portal knows the relationship."""
    made = HealthContact.objects.create(person=person, service=service, active=active)
    if epj:
        epj_relationship_register(service=service, nin=person.nin, active=active)
    return made


def clinic_answer(thread, *, text="Svar", read_at=None):
    """A message from the clinic in `thread`, as the relay files one; unread unless `read_at`."""
    return DialogMessage.objects.create(
        thread=thread,
        direction=DialogMessage.Direction.IN,
        msg_id=str(uuid.uuid4()),
        text=text,
        delivery=DialogMessage.Delivery.RECEIVED,
        author_name="Kari Lege",
        read_at=read_at,
    )


def parent_of(parent, child):
    return ParentalResponsibility.objects.create(parent=parent, child=child)


__all__ = [
    "PASSWORD",
    "PersonFactory",
    "UserFactory",
    "CitizenFactory",
    "OrganisationFactory",
    "ServiceFactory",
    "StaffFactory",
    "StaffRole",
    "gp_service",
    "contact",
    "parent_of",
    "clinic_answer",
    "birth_date_for_age",
]


def demo_seed_all():
    """The demo's register, people and staff (`clinics.demo.seed_all`), with the staff in the EPJ's
    own staff register too, as `seed_demo` does."""
    from clinics.demo import seed_all
    from ops.population import seed_epj_staff

    seeded = seed_all()
    seed_epj_staff()
    return seeded
