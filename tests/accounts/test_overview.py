"""The citizen's overview page ("Min side"): each section only as far as the representation covers it."""

import datetime
import itertools

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.representation import SESSION_KEY
from appointments.models import Appointment, AppointmentStatus
from clinics.models import HealthContact
from journal.models import JournalCopyRequest, JournalDocument
from messaging.dialogs.models import DialogMessage, Kind, PowerOfAttorney, ServiceArea, Thread
from tests import factories as f
from tests.conftest import login_as
from tools.models import TargetGroup, Tool, ToolDispatch, ToolKind, ToolStatus, Topic

_ids = itertools.count(1)


def _thread(person, service, kind, subject, direction):
    thread = Thread.objects.create(
        person=person,
        service=service,
        kind=kind,
        subject=subject,
        conversation_ref=f"conv-{next(_ids)}",
        last_activity_at=timezone.now(),
    )
    DialogMessage.objects.create(
        thread=thread,
        direction=direction,
        msg_id=f"msg-{next(_ids)}",
        text="Hemmelig innhold",
        delivery=DialogMessage.Delivery.RECEIVED
        if direction == DialogMessage.Direction.IN
        else DialogMessage.Delivery.DELIVERED,
    )
    return thread


def _tool(tag):
    return Tool.objects.create(
        slug=f"verktoy-{next(_ids)}",
        name=f"{tag} verktøy",
        maker="Pust AS",
        purpose="Trening",
        target_group=TargetGroup.ADULTS,
        topic=Topic.LUNGS,
        kind=ToolKind.APP,
        launch_url="https://pusteappen.example/start",
        privacy_url="https://pusteappen.example/personvern",
        evidence="Studie",
        status=ToolStatus.PUBLISHED,
        published_at=timezone.now(),
    )


def seed_person(person, service, tag, *, requested_by=None):
    """One of everything the overview shows, each named after `tag` so a page can be searched for it."""
    now = timezone.now()
    _thread(person, service, Kind.EKONTAKT, f"{tag} melding", DialogMessage.Direction.IN)
    _thread(person, service, Kind.RENEWAL, f"{tag} fornyelse", DialogMessage.Direction.OUT)
    _thread(person, service, Kind.EKONSULTASJON, f"{tag} konsultasjon", DialogMessage.Direction.OUT)
    start = now + datetime.timedelta(days=3)
    Appointment.objects.create(
        person=person,
        service=service,
        status=AppointmentStatus.CONFIRMED,
        title=f"{tag} time",
        start=start,
        end=start + datetime.timedelta(minutes=20),
        cancel_deadline=start - datetime.timedelta(hours=24),
    )
    JournalDocument.objects.create(
        person=person,
        organisation=service.organisation,
        service=service,
        source=JournalDocument.Source.PUSHED,
        title=f"{tag} dokument",
        filename="epikrise.pdf",
        mime_type="application/pdf",
        size=4,
        data=b"%PDF",
        msg_id=f"doc-{next(_ids)}",
    )
    JournalCopyRequest.objects.create(
        person=person,
        requested_by=requested_by or person,
        service=service,
        msg_id=f"copy-{next(_ids)}",
        state=JournalCopyRequest.State.DELIVERED,
    )
    ToolDispatch.objects.create(
        tool=_tool(tag), person=person, organisation=service.organisation, suitability_confirmed_at=now
    )


SECTIONS = {"melding", "fornyelse", "konsultasjon", "time", "dokument", "verktøy"}
DIGITAL_SECTIONS = {"melding", "fornyelse", "konsultasjon", "time", "verktøy"}
INSIGHT_SECTIONS = {"dokument"}


@pytest.fixture
def world(cast):
    seed_person(cast.nora.person, cast.gp_service, "NORA")
    seed_person(cast.emma, cast.gp_service, "EMMA", requested_by=cast.nora.person)
    seed_person(cast.jonas.person, cast.gp_service, "JONAS")
    seed_person(cast.ulf.person, cast.other_service, "ULF")
    insight = f.CitizenFactory(email="innsyn@test.local", person__given_name="Ingrid", person__age=50)
    digital = f.CitizenFactory(email="digital@test.local", person__given_name="Dag", person__age=50)
    PowerOfAttorney.objects.create(grantor=cast.ulf.person, holder=insight.person, area=ServiceArea.INSIGHT)
    PowerOfAttorney.objects.create(grantor=cast.ulf.person, holder=digital.person, area=ServiceArea.DIGITAL)
    cast.insight_proxy, cast.digital_proxy = insight, digital
    return cast


# persona: (user, acting for, tag whose data is shown, sections shown)
PERSONAS = {
    "nora for herself": ("nora", None, "NORA", SECTIONS),
    "nora for emma (8)": ("nora", "emma", "EMMA", SECTIONS),
    "jonas (14) for himself: no journal before 16": ("jonas", None, "JONAS", DIGITAL_SECTIONS),
    "proxy for ulf, insight only": ("insight_proxy", "ulf", "ULF", INSIGHT_SECTIONS),
    "proxy for ulf, digital services only": ("digital_proxy", "ulf", "ULF", DIGITAL_SECTIONS),
    "ulf for himself": ("ulf", None, "ULF", SECTIONS),
    "clinician": ("kari", None, None, set()),
    "anonymous": (None, None, None, set()),
}


def _person(cast, name):
    value = getattr(cast, name)
    return getattr(value, "person", value)


def _client_for(client, cast, who):
    user_name, acting_for, _tag, _sections = PERSONAS[who]
    if user_name is not None:
        login_as(client, getattr(cast, user_name))
    if acting_for is not None:
        session = client.session
        session[SESSION_KEY] = _person(cast, acting_for).pk
        session.save()
    return client


@pytest.mark.parametrize("who", PERSONAS)
def test_overview_shows_only_what_the_representation_covers(client, world, who):
    _user, _acting, tag, sections = PERSONAS[who]
    page = _client_for(client, world, who).get(reverse("home")).content.decode()
    shown = {(t, s) for t in ("NORA", "EMMA", "JONAS", "ULF") for s in SECTIONS if f"{t} {s}" in page}
    assert shown == {(tag, s) for s in sections}
    assert "Hemmelig innhold" not in page  # message text stays in the thread


@pytest.mark.parametrize("who", PERSONAS)
def test_overview_refuses_post_and_changes_nothing(client, world, who):
    models = (Thread, DialogMessage, Appointment, JournalDocument, JournalCopyRequest, ToolDispatch)
    before = [m.objects.count() for m in models] + [DialogMessage.objects.filter(read_at__isnull=False).count()]
    response = _client_for(client, world, who).post(reverse("home"), {"x": "1"})
    assert response.status_code == 405
    after = [m.objects.count() for m in models] + [DialogMessage.objects.filter(read_at__isnull=False).count()]
    assert after == before


def test_overview_links_on_and_shows_cancellation_deadline(client, world):
    appointment = Appointment.objects.get(title="NORA time")
    thread = Thread.objects.get(subject="NORA melding")
    page = login_as(client, world.nora).get(reverse("home")).content.decode()
    assert reverse("dialogs:thread", args=[thread.pk]) in page
    assert reverse("appointments:detail", args=[appointment.pk]) in page
    deadline = timezone.localtime(appointment.cancel_deadline)
    assert f"Avbestill innen {deadline.day}." in page
    assert reverse("journal:documents") in page and reverse("tools:mine") in page
    assert "Fastlege Kari Lege" in page  # health contacts stay reachable
    assert reverse("clinics:contact_list") in page


def test_overview_says_when_the_deadline_has_passed(client, world):
    appointment = Appointment.objects.get(title="NORA time")
    appointment.cancel_deadline = timezone.now() - datetime.timedelta(hours=1)
    appointment.save()
    page = login_as(client, world.nora).get(reverse("home")).content.decode()
    assert "Fristen for å avbestille på nett har gått ut." in page


def test_overview_proxy_is_told_what_is_not_covered(client, world):
    page = _client_for(client, world, "proxy for ulf, insight only").get(reverse("home")).content.decode()
    assert "Fullmakten din gjelder ikke:" in page
    assert str(ServiceArea.DIGITAL.label) in page
    contact = HealthContact.objects.get(person=world.ulf.person)
    assert reverse("clinics:contact_detail", args=[contact.pk]) not in page  # the grantor's contacts are not listed


def test_overview_empty_states_say_what_to_do(client, cast):
    citizen = f.CitizenFactory(email="ny@test.local", person__given_name="Ny", person__age=30)
    page = login_as(client, citizen).get(reverse("home")).content.decode()
    assert "Du har ingen uleste meldinger." in page
    assert "Du har ingen kommende timer." in page
    assert "Ingen nye dokumenter" in page
    assert "Ingen nye verktøy." in page
    assert "Ingenting venter på svar." in page
    assert "Du har ingen helsekontakter ennå." in page


def test_overview_answered_and_closed_requests_are_not_waiting(client, world):
    renewal = Thread.objects.get(subject="NORA fornyelse")
    DialogMessage.objects.create(
        thread=renewal,
        direction=DialogMessage.Direction.IN,
        msg_id="answer-1",
        outcome=DialogMessage.Outcome.RENEWED,
        delivery=DialogMessage.Delivery.RECEIVED,
    )
    Thread.objects.filter(subject="NORA konsultasjon").update(state=Thread.State.CLOSED)
    JournalCopyRequest.objects.filter(person=world.nora.person).update(state=JournalCopyRequest.State.FULFILLED)
    page = login_as(client, world.nora).get(reverse("home")).content.decode()
    assert "Reseptfornyelse: NORA fornyelse" not in page
    assert "E-konsultasjon: NORA konsultasjon" not in page
    assert "Journalkopi fra" not in page


def test_overview_query_count_is_bounded(client, world, django_assert_max_num_queries):
    for n in range(10):  # more of each must not cost more queries
        seed_person(world.nora.person, world.gp_service, f"EKSTRA{n}")
    login_as(client, world.nora)
    # The header also counts unread notices ("Varsler"). The register is read apart from the
    # portal's rows (clinics/selectors.py): one statement per list where a join did it (the
    # services of the unread and the waiting threads, of the appointments, the copy requests and
    # the health contacts; the documents' organisations and services; the tools' organisations),
    # 8 more than the 16 the joins took.
    with django_assert_max_num_queries(24):
        response = client.get(reverse("home"))
    assert response.status_code == 200
