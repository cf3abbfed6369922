"""`manage.py relay ...` and the Celery settings the relay's delivery guarantees rest on."""

from io import StringIO

import pytest
import yaml
from django.conf import settings
from django.core.management import CommandError, call_command

from epj.models import JournalEntry
from messaging.codec import message_build
from messaging.models import Envelope, EnvelopeState
from messaging.relay import clinic_party
from messaging.relay.probe import probe_ekontakt
from messaging.relay.stores import relay_db
from tests import factories as f
from tests.messaging.relay_support import gp_with_patient, patient_of, send
from tests.stores import relay_get


def run(*args) -> tuple[int | str | None, str, str]:
    out, err = StringIO(), StringIO()
    code: int | str | None = 0
    try:
        call_command("relay", *args, stdout=out, stderr=err)
    except SystemExit as exit_:
        code = exit_.code
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def clinic(db):
    return gp_with_patient()


def test_receive_accepted_prints_the_apprec_and_exits_0(clinic, tmp_path):
    service, nora = clinic
    path = tmp_path / "msg.xml"
    path.write_bytes(message_build(probe_ekontakt(receiver=clinic_party(service=service), patient=patient_of(nora))))
    code, out, err = run("receive", "--side", "epj", str(path))
    assert code == 0
    assert "AppRec" in out and "status 1" in err
    assert JournalEntry.objects.count() == 1


def test_receive_rejected_exits_1_with_the_code(clinic, tmp_path):
    service, _ = clinic
    path = tmp_path / "msg.xml"
    stranger = patient_of(f.PersonFactory())
    path.write_bytes(message_build(probe_ekontakt(receiver=clinic_party(service=service), patient=stranger)))
    code, out, err = run("receive", "--side", "epj", str(path))
    assert code == 1 and "E35" in err and "AppRec" in out
    assert not JournalEntry.objects.exists()


@pytest.mark.parametrize(
    "payload",
    [
        b"not xml at all",
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>',
        b"<MsgHead xmlns='http://www.kith.no/xmlstds/msghead/2006-05-24'><MsgInfo>",
    ],
)
def test_receive_unusable_input_exits_2_and_keeps_a_dead_letter(db, tmp_path, payload):
    path = tmp_path / "junk.xml"
    path.write_bytes(payload)
    code, _, err = run("receive", "--side", "epj", str(path))
    assert code == 2 and "død melding" in err
    # The operator's bytes were received for the EPJ: the dead letter is the receiver's row.
    dead = relay_get(Envelope, kept_by="epj", state=EnvelopeState.DEAD)
    assert bytes(dead.payload) == payload

    code, out, _ = run("dead")  # ids are per store: the row is named with its store's side
    assert f"epj:{dead.pk} " in out and "Uleselig" in out


def test_receive_missing_file_is_a_clear_error(db):
    with pytest.raises(CommandError, match="Finner ikke"):
        call_command("relay", "receive", "--side", "epj", "/nonexistent/file.xml")


def test_status_replay_and_dead(clinic, settings):
    settings.HN_RELAY_MAX_ATTEMPTS = 1
    service, nora = clinic
    code, out, _ = run("status")
    assert "Ingen meldinger" in out
    message = probe_ekontakt(receiver=clinic_party(service=service), patient=patient_of(nora))
    envelope = send(message)
    code, out, _ = run("status", "--threshold", "0")
    assert "epj.async" in out and "queued 1" in out and "ADVARSEL" in out

    outbox = Envelope.objects.using(relay_db("portal"))
    outbox.filter(pk=envelope.pk).update(state=EnvelopeState.DEAD, error_text="test")
    code, out, _ = run("replay", str(envelope.pk))
    assert code == 0 and "lagt i kø igjen" in out
    assert outbox.get(pk=envelope.pk).state == EnvelopeState.QUEUED
    with pytest.raises(CommandError):
        call_command("relay", "replay", str(envelope.pk), stdout=StringIO())  # no longer dead
    outbox.filter(pk=envelope.pk).update(state=EnvelopeState.DEAD)
    code, out, _ = run("replay", "--all")
    assert "1 lagt i kø igjen" in out


def test_ping_unknown_her_id_is_a_clear_error(db):
    with pytest.raises(CommandError, match="finnes ikke"):
        call_command("relay", "ping", "999", stdout=StringIO())


def test_celery_settings_keep_messages_through_worker_and_broker_loss():
    # A killed worker child must not lose its task, and one worker holds one task at a time.
    assert settings.CELERY_TASK_ACKS_LATE is True
    assert settings.CELERY_TASK_REJECT_ON_WORKER_LOST is True
    assert settings.CELERY_WORKER_PREFETCH_MULTIPLIER == 1
    # Every Celery countdown the relay uses stays far below Redis' visibility timeout.
    from messaging.relay.delivery import SHORT_WAKE_SECONDS

    if not settings.BROKER_IS_FILESYSTEM:
        assert settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] > 10 * SHORT_WAKE_SECONDS
    for side in ("portal", "epj"):  # each side's worker sweeps, so either runs on its own
        entry = settings.CELERY_BEAT_SCHEDULE[f"relay-sweep-{side}"]
        assert entry["task"] == "relay.sweep" and entry["options"]["queue"] == f"{side}.async"
        assert entry["schedule"] < settings.HN_RELAY_STALE_SECONDS
    # Production Redis keeps queued messages over a restart and never evicts kombu's keys.
    compose = yaml.safe_load((settings.BASE_DIR / "docker-compose.yml").read_text())
    command = " ".join(compose["services"]["redis"]["command"])
    assert "--appendonly yes" in command and "--maxmemory-policy noeviction" in command
