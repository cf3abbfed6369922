"""Notices say only that something new is waiting (DESIGN §7): never a tool name, a note, a
diagnosis or a medication, in e-mail or SMS."""

from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.db import transaction

from accounts.models import NotificationPreference
from messaging.models import Notice, NoticeState
from messaging.notifications import citizen_notify, notice_link, notification_channels, notification_channels_set
from messaging.sms import FileSmsBackend, SmsBackend
from tests.tools.conftest import SECRET_NOTE, SECRET_TOOL_NAME, approve_all, maker, reviewer, send, submit_tool  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db

FORBIDDEN = [SECRET_TOOL_NAME, SECRET_NOTE, "Søvnhjelpen", "metformin", "insomni", "Diabetes", "diabetes"]


def notices_send_pending():
    """What the portal worker does after commit: one attempt per queued notice (the task itself)."""
    from messaging.tasks import notice_send

    for notice_id in Notice.objects.filter(state=NoticeState.PENDING).values_list("pk", flat=True):
        notice_send(notice_id)


def sms_files():
    path = Path(settings.HN_SMS_FILE_PATH)
    return sorted(path.glob("*.sms")) if path.exists() else []


@pytest.fixture(autouse=True)
def clean_sms_dir():
    for path in sms_files():
        path.unlink()


@pytest.fixture
def both_channels(cast):
    for citizen in (cast.nora, cast.ole):
        person = citizen.person
        person.mobile, person.email = f"+47 4000000{person.pk}", f"{person.given_name.lower()}@post.test"
        person.save()
        notification_channels_set(person=person, email_enabled=True, sms_enabled=True)
    return cast


def all_notice_text():
    texts = [f"{m.subject}\n{m.body}\n{m.to}" for m in mail.outbox]
    texts += [p.read_text(encoding="utf-8") for p in sms_files()]
    return texts


def test_tool_dispatch_notice_carries_no_health_content(
    both_channels, maker, reviewer, django_capture_on_commit_callbacks
):
    cast = both_channels
    tool = approve_all(submit_tool(maker, name=SECRET_TOOL_NAME, purpose="Mot insomni ved diabetes."), reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        send(cast, tool, cast.nora.person, note=SECRET_NOTE)
        send(cast, tool, cast.emma, note=SECRET_NOTE)  # a child: her parents are told
    assert mail.outbox == [] and sms_files() == []  # queued, for the worker
    notices_send_pending()
    texts = all_notice_text()
    # Nora for herself + Nora and Ole for Emma; each by e-mail and SMS.
    assert len(mail.outbox) == 3 and len(sms_files()) == 3
    for text in texts:
        assert "Du har fått noe nytt på Helsenorge-portal" in text
        assert settings.SITE_URL in text
        for word in FORBIDDEN:
            assert word not in text, f"{word!r} leaked into a notice: {text!r}"
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [cast.nora.person.email, cast.nora.person.email, cast.ole.person.email]
    )


def test_default_is_sms_only(cast, django_capture_on_commit_callbacks):
    person = cast.nora.person
    person.mobile, person.email = "+47 40000001", "nora@post.test"
    person.save()
    assert not NotificationPreference.objects.filter(person=person).exists()
    channels = notification_channels(person=person)
    assert (channels.sms_enabled, channels.email_enabled) == (True, False)
    with django_capture_on_commit_callbacks(execute=True):
        citizen_notify(person=person, path="/verktoy/mine/")
    notices_send_pending()
    assert mail.outbox == [] and len(sms_files()) == 1
    assert sms_files()[0].read_text(encoding="utf-8").startswith("To: +47 40000001\n")


def test_nothing_is_sent_when_the_transaction_rolls_back(cast):
    person = cast.nora.person
    person.mobile = "+47 40000001"
    person.save()

    class Boom(Exception):
        pass

    with pytest.raises(Boom), transaction.atomic():
        citizen_notify(person=person, path="/verktoy/mine/")
        raise Boom
    notices_send_pending()
    assert sms_files() == [] and mail.outbox == [] and not Notice.objects.exists()


def test_no_contact_data_sends_nothing(cast, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        citizen_notify(person=cast.ulf.person, path="/verktoy/mine/")
    notices_send_pending()
    assert sms_files() == [] and mail.outbox == [] and not Notice.objects.exists()


@pytest.mark.parametrize("path", ["https://evil.example/", "//evil.example/x", "verktoy/"])
def test_notice_links_stay_on_our_site(path):
    with pytest.raises(ValueError):
        notice_link(path)


def test_one_channel_must_stay_on(cast):
    from django.db import IntegrityError

    with pytest.raises(IntegrityError), transaction.atomic():
        notification_channels_set(person=cast.nora.person, email_enabled=False, sms_enabled=False)
    assert not NotificationPreference.objects.exists()


def test_sms_backend_is_pluggable(settings, cast, django_capture_on_commit_callbacks):
    sent = []

    class Recording(SmsBackend):
        def send(self, *, to, text):
            sent.append((to, text))

    import sys
    import types

    module = types.ModuleType("recording_sms")
    module.Recording = Recording  # type: ignore[attr-defined]  # a module made here for the test
    sys.modules["recording_sms"] = module
    settings.HN_SMS_BACKEND = "recording_sms.Recording"
    person = cast.nora.person
    person.mobile = "+47 40000001"
    person.save()
    with django_capture_on_commit_callbacks(execute=True):
        citizen_notify(person=person, path="/verktoy/mine/")
    notices_send_pending()
    assert [to for to, _text in sent] == ["+47 40000001"] and sms_files() == []
    del sys.modules["recording_sms"]
    assert issubclass(FileSmsBackend, SmsBackend)
