"""Video: links only from the video service the clinic picked among the approved; join shortly before; drop-in rooms."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from appointments.models import ClinicVideoService, DropInRoom, VideoService
from appointments.selectors import drop_in_open_now, join_available
from appointments.services import AppointmentRefused, drop_in_room_set
from epj.timebooks.models import AppointmentType
from epj.timebooks.services import desk_book
from tests.conftest import login_as
from tests.factories import StaffFactory
from tests.timebooks.helpers import confirmed_appointment, deliver_all, make_slot, make_timebooks


@pytest.fixture
def nhn(cast):
    video = VideoService.objects.create(name="Testvideo", url_prefix="https://video.example.no/")
    ClinicVideoService.objects.create(organisation=cast.gp_org, video_service=video)
    return video


def test_video_booking_carries_a_join_link_from_the_chosen_service(cast, nhn):
    treater, _lab = make_timebooks(cast)
    slot = make_slot(treater, kind=AppointmentType.VIDEO)
    booking = desk_book(slot=slot, patient_nin=cast.nora.person.nin, patient_name="Nora N", user=cast.reception)
    deliver_all()
    appointment = cast.nora.person.appointments.get()
    assert booking.video_url.startswith("https://video.example.no/rom/")
    assert appointment.appointment_type == "video" and appointment.video_url == booking.video_url


def test_link_from_an_unapproved_service_is_not_shown(cast, nhn):
    treater, _lab = make_timebooks(cast)
    nhn.approved = False
    nhn.save()
    desk_book(
        slot=make_slot(treater, kind=AppointmentType.VIDEO),
        patient_nin=cast.nora.person.nin,
        patient_name="Nora N",
        user=cast.reception,
    )
    deliver_all()
    assert cast.nora.person.appointments.get().video_url == ""


def test_join_button_appears_ten_minutes_before(client, cast):
    appointment = confirmed_appointment(
        cast, hours_ahead=1, appointment_type="video", video_url="https://video.example.no/rom/abc"
    )
    start = appointment.start
    assert not join_available(appointment, at=start - datetime.timedelta(minutes=11))
    assert join_available(appointment, at=start - datetime.timedelta(minutes=10))
    assert join_available(appointment, at=start + datetime.timedelta(minutes=5))
    page = login_as(client, cast.nora).get(reverse("appointments:detail", args=[appointment.pk])).content.decode()
    assert "Bli med i videotimen" not in page and "10 minutter før" in page
    soon = confirmed_appointment(
        cast, hours_ahead=0.1, appointment_type="video", video_url="https://video.example.no/rom/xyz"
    )
    page = client.get(reverse("appointments:detail", args=[soon.pk])).content.decode()
    assert "Bli med i videotimen" in page and "https://video.example.no/rom/xyz" in page


def test_drop_in_room_on_the_contact_page(client, cast, nhn):
    now = timezone.localtime()
    room = drop_in_room_set(
        service=cast.gp_service,
        title="Drop-in hos fastlegen",
        room_url="https://video.example.no/dropin/kari",
        active=True,
        openings=[(now.weekday(), datetime.time(0, 0), datetime.time(23, 59))],
    )
    contact = cast.nora.person.health_contacts.get()
    page = login_as(client, cast.nora).get(reverse("clinics:contact_detail", args=[contact.pk])).content.decode()
    assert "Drop-in hos fastlegen" in page and "https://video.example.no/dropin/kari" in page
    room.openings.update(weekday=(now.weekday() + 1) % 7)
    assert not drop_in_open_now(room)
    page = client.get(reverse("clinics:contact_detail", args=[contact.pk])).content.decode()
    assert "Drop-in hos fastlegen" in page and "stengt nå" in page and "dropin/kari" not in page


def test_drop_in_link_must_come_from_the_clinics_video_service(cast, nhn):
    with pytest.raises(AppointmentRefused, match="Testvideo"):
        drop_in_room_set(
            service=cast.gp_service, title="Rom", room_url="https://elsewhere.example/x", active=True, openings=[]
        )
    ClinicVideoService.objects.all().delete()
    with pytest.raises(AppointmentRefused, match="godkjent videotjeneste"):
        drop_in_room_set(
            service=cast.gp_service, title="Rom", room_url="https://video.example.no/x", active=True, openings=[]
        )
    assert not DropInRoom.objects.exists()


def test_clinic_admin_sets_up_a_drop_in_room(client, cast, nhn):
    client = login_as(client, cast.clinic_admin)
    url = reverse("appointments:clinic_video", args=[cast.gp_org.pk])
    prefix = f"r{cast.gp_service.pk}"
    response = client.post(
        url,
        {
            "form": "room",
            "service_id": cast.gp_service.pk,
            f"{prefix}-title": "Drop-in",
            f"{prefix}-room_url": "https://video.example.no/dropin/1",
            f"{prefix}-active": "on",
            f"{prefix}-weekdays": ["0", "2"],
            f"{prefix}-opens": "09:00",
            f"{prefix}-closes": "11:00",
        },
    )
    assert response.status_code == 302
    assert sorted(DropInRoom.objects.get().openings.values_list("weekday", flat=True)) == [0, 2]
    bad = client.post(
        url,
        {
            "form": "room",
            "service_id": cast.gp_service.pk,
            f"{prefix}-title": "Drop-in",
            f"{prefix}-room_url": "https://evil.example/x",
            f"{prefix}-weekdays": ["1"],
            f"{prefix}-opens": "09:00",
            f"{prefix}-closes": "08:00",
        },
    )
    assert bad.status_code == 200 and "Stengetid må være etter åpningstid" in bad.content.decode()
    assert DropInRoom.objects.get().room_url == "https://video.example.no/dropin/1"


def test_operator_approves_video_services_in_the_admin(client, cast):
    operator = StaffFactory(
        email="drift@test.local", totp_secret="JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", is_staff=True, is_superuser=True
    )
    client = login_as(client, operator)
    response = client.post(
        reverse("admin:appointments_videoservice_add"),
        {"name": "NHN Video", "url_prefix": "https://join.nhn.no/", "approved": "on"},
    )
    assert response.status_code == 302 and VideoService.objects.get().approved
    bad = client.post(
        reverse("admin:appointments_videoservice_add"),
        {"name": "Usikker", "url_prefix": "http://plain.example/", "approved": "on"},
    )
    assert bad.status_code == 200 and VideoService.objects.count() == 1
    clinic_admin = login_as(client, cast.clinic_admin)
    assert clinic_admin.get(reverse("admin:appointments_videoservice_changelist")).status_code in (302, 403)
