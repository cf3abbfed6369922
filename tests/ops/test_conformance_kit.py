"""The conformance kit against the simulated EPJ and the portal, each run by real Celery workers.

The kit plays the other party over the configured transport (embedded, or RabbitMQ with
HN_TRANSPORT=amqp): only the tested side's worker runs, because the kit consumes the played
party's queues itself. The tested side takes messages from a foreign publisher at its beat
sweep, so beat runs with a short sweep.
"""

import contextlib
import re
from io import StringIO

import pytest
from django.core.management import call_command

from clinics.models import Process
from messaging.transport import get_transport
from messaging.transport.envelope import async_queue, sync_queue
from tests import factories as f
from tests.messaging.test_transport import amqp_url
from tests.timebooks.helpers import make_slot, make_timebooks
from tests.workers import celery_workers

pytestmark = [pytest.mark.workers, pytest.mark.django_db(transaction=True)]

ENV = {"HN_RELAY_SWEEP_SECONDS": "0.5"}


@pytest.fixture(params=["embedded", "amqp"])
def transport_env(request, settings) -> dict:
    """The transport the kit and the workers share: the embedded one, and RabbitMQ when HN_AMQP_URL is set."""
    if request.param == "amqp":
        url = amqp_url()
        settings.HN_TRANSPORT = "amqp"
        return {**ENV, "HN_TRANSPORT": "amqp", "HN_AMQP_URL": url}
    settings.HN_TRANSPORT = "embedded"
    return {**ENV, "HN_TRANSPORT": "embedded"}


@contextlib.contextmanager
def epj_with_sweeper(env: dict):
    """The EPJ alone (its worker and beat, no portal worker): its own sweep wakes its consumers
    for what a foreign publisher put on its queues."""
    with celery_workers(sides=("epj",), beat=True, env=env):
        yield


def conformance(*args: str) -> tuple[int, str]:
    out = StringIO()
    try:
        call_command("conformance", *args, stdout=out)
    except SystemExit as exit:
        code = int(exit.code or 0)
    else:
        code = 0
    print(out.getvalue())  # the table, shown with -rP or on failure
    return code, out.getvalue()


def passed(check: str, out: str) -> bool:
    return re.search(rf"^pass +\| {re.escape(check)}", out, re.M) is not None


def failed(check: str, out: str) -> bool:
    return re.search(rf"^FAIL +\| {re.escape(check)}", out, re.M) is not None


@pytest.fixture
def clinic(cast):
    treater, _lab = make_timebooks(cast)
    make_slot(treater, hours_ahead=72)
    return cast


def test_the_kit_plays_helsenorge_against_the_simulated_epj(clinic, django_db_setup, transport_env):
    with epj_with_sweeper(transport_env):
        code, out = conformance("epj", "--her-id", str(clinic.gp_org.her_id), "--timeout", "30")
    assert code == 0, out
    for check in (
        "communication test (sync)",
        "DIALOG_INNBYGGER_EKONTAKT to",
        "DIALOG_INNBYGGER_EKONSULTASJON to",
        "DIALOG_INNBYGGER_RESEPTFORNYELSE to",
        "journal copy request to",
        "free-slot lookup (sync)",
        "reservation (ReserverAvtale)",
        "reservation answer from",
        "AppRec for DIALOG_INNBYGGER_TIMERESERVASJON",
        "cancellation (AvbestillAvtale)",
        "broken: bad header field",
        "broken: spoofed sender",
        "broken: not XML",
        "broken: unknown function",
        "broken: unverifiable signature",
    ):
        assert passed(check, out), f"{check!r} missing or failed:\n{out}"
    assert "FAIL" not in out


def test_the_kit_plays_an_epj_against_the_portal(clinic, django_db_setup, transport_env):
    with celery_workers(sides=("portal",), beat=True, env=transport_env):
        code, out = conformance("portal", "--as-her-id", str(clinic.gp_org.her_id), "--timeout", "30")
    assert code == 0, out
    for check in (
        "e-kontakt the clinic starts",
        "shared journal copy",
        "DIALOG_INNBYGGER_EKONSULTASJON answer to an unknown thread",
        "DIALOG_INNBYGGER_RESEPTFORNYELSE answer to an unknown thread",
        "pushed appointment (Avtale)",
        "cancellation (SvarAvbestilling)",
        "AppRec for a message the portal never sent",
        "broken: bad header field",
        "broken: spoofed sender",
        "broken: not XML",
        "broken: unknown function",
        "broken: unverifiable signature",
    ):
        assert passed(check, out), f"{check!r} missing or failed:\n{out}"


def test_an_epj_that_does_not_answer_fails_the_kit(django_db_setup, db, transport_env):
    # A clinic offering only e-kontakt, and no EPJ worker consuming its queues.
    service = f.ServiceFactory(processes={Process.EKONTAKT: None})
    f.contact(f.PersonFactory(), service)
    her_id = service.organisation.her_id
    try:
        code, out = conformance("epj", "--her-id", str(her_id), "--timeout", "1")
    finally:
        # Nobody consumes this clinic's queues: what the kit left there goes with them.
        with get_transport() as transport:
            transport.delete_queues([async_queue(her_id), sync_queue(her_id)])
    assert code == 1, out
    assert failed("DIALOG_INNBYGGER_EKONTAKT to", out)
    assert "no AppRec" in out
    assert failed("broken: not XML", out)
    assert "0 of " in out
