import datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail

from appointments.models import Appointment, AppointmentReminder, AppointmentStatus
from appointments.services import reminders_send
from messaging.notifications import notification_channels_set
from tests.messaging.test_notifications import notices_send_pending
from tests.timebooks.helpers import confirmed_appointment


def sms_texts():
    notices_send_pending()  # the portal worker's part
    path = Path(settings.HN_SMS_FILE_PATH)
    return [p.read_text(encoding="utf-8") for p in sorted(path.glob("*.sms"))] if path.exists() else []


@pytest.fixture
def nora(cast):
    person = cast.nora.person
    person.mobile, person.email = "+47 40000001", "nora@post.test"
    person.save()
    notification_channels_set(person=person, email_enabled=True, sms_enabled=True)
    for text in Path(settings.HN_SMS_FILE_PATH).glob("*.sms") if Path(settings.HN_SMS_FILE_PATH).exists() else []:
        text.unlink()
    return person


def test_reminder_goes_once_without_health_details(cast, nora, django_capture_on_commit_callbacks):
    appointment = confirmed_appointment(cast, hours_ahead=5)
    confirmed_appointment(cast, hours_ahead=48)  # outside the 24 h window
    confirmed_appointment(cast, hours_ahead=6, status=AppointmentStatus.CANCELLED)
    with django_capture_on_commit_callbacks(execute=True):
        assert reminders_send() == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert reminders_send() == 0  # beat ran again
    assert AppointmentReminder.objects.get().appointment == appointment
    texts = sms_texts() + [f"{m.subject}\n{m.body}" for m in mail.outbox]
    assert len(texts) == 2  # one SMS, one e-mail
    for text in texts:
        assert "Blodprøve" not in text and "kolesterol" not in text and cast.gp_service.name not in text
        assert f"/timer/{appointment.pk}/" in text


def test_moved_appointment_is_reminded_again(cast, nora, django_capture_on_commit_callbacks):
    appointment = confirmed_appointment(cast, hours_ahead=5)
    with django_capture_on_commit_callbacks(execute=True):
        assert reminders_send() == 1
    Appointment.objects.filter(pk=appointment.pk).update(
        start=appointment.start + datetime.timedelta(hours=2), end=appointment.end + datetime.timedelta(hours=2)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert reminders_send() == 1
        assert reminders_send() == 0
    assert AppointmentReminder.objects.count() == 1


def test_reminder_row_is_unique_per_appointment(cast):
    from django.db import IntegrityError, transaction

    appointment = confirmed_appointment(cast)
    AppointmentReminder.objects.create(appointment=appointment, for_start=appointment.start)
    with pytest.raises(IntegrityError), transaction.atomic():
        AppointmentReminder.objects.create(appointment=appointment, for_start=appointment.start)
