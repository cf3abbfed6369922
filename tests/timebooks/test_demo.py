from appointments.demo import seed_video
from appointments.models import Appointment, AppointmentStatus, DropInRoom
from appointments.tasks import appointment_reminders
from clinics.demo import seed_all
from epj.timebooks.demo import seed_timebooks
from epj.timebooks.models import Booking, ResourceKind, Slot, Timebook, TimebookKind
from ops.population import seed_epj_staff, seed_population
from tests.timebooks.helpers import deliver_all


def test_demo_timebooks_are_idempotent_and_pushed(db):
    seed_all()
    seed_population()  # as seed_demo does: the EPJ finds the demo's patients in the population register
    seed_epj_staff()  # and its clinicians in its own staff register
    first = seed_timebooks()
    assert first["timebooks"] == 8 and first["slots"] > 300
    kinds = set(Timebook.objects.values_list("kind", "resource_kind"))
    assert {
        (TimebookKind.TREATER, ResourceKind.NONE),
        (TimebookKind.RESOURCE, ResourceKind.LAB),
        (TimebookKind.RESOURCE, ResourceKind.COVID_TEST),
        (TimebookKind.RESOURCE, ResourceKind.COVID_VACCINE),
        (TimebookKind.RESOURCE, ResourceKind.VACCINATION),
    } <= kinds
    assert Slot.objects.filter(capacity__gt=1).exists() and Slot.objects.filter(appointment_type="video").exists()
    assert Slot.objects.filter(bookable_online=False).exists()
    counts = (Timebook.objects.count(), Slot.objects.count(), Booking.objects.count())
    assert seed_timebooks()["slots"] == 0
    assert (Timebook.objects.count(), Slot.objects.count(), Booking.objects.count()) == counts
    seed_video()
    seed_video()
    assert DropInRoom.objects.count() == 1
    deliver_all()
    assert Appointment.objects.filter(person__given_name="Nora", status=AppointmentStatus.CONFIRMED).count() == 2
    assert appointment_reminders() >= 0  # the beat task runs in-process as well
