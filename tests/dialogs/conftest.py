"""Fixtures for the dialog tests: the EPJ's patient list and medications, and relay helpers.

The relay runs in-process here (the same delivery functions the workers run, called
directly); tests/e2e/test_dialogs_browser.py drives the same flows on real workers.
"""

import threading
import time
from decimal import Decimal

import pytest
from django.db import connection, transaction

from epj.demo import seed_epj_patients
from epj.desk.models import Medication, Tariff
from messaging.relay.delivery import relay_deliver_due


def deliver_all():
    """Run both sides' async deliveries until nothing moves (what the two workers do)."""
    while relay_deliver_due(side="epj", channel="async") + relay_deliver_due(side="portal", channel="async"):
        pass


@pytest.fixture
def clinic_data(cast):
    """The EPJ knows its list patients; Nora and Emma have medications on file."""
    seed_epj_patients()
    Medication.objects.create(organisation=cast.gp_org, patient_nin=cast.nora.person.nin,
                              name="Levaxin 50 mikrog tabletter", dosage="1 tablett om morgenen")
    Medication.objects.create(organisation=cast.gp_org, patient_nin=cast.emma.nin,
                              name="Flixotide 50 mikrog/dose", dosage="1 dose morgen og kveld")
    assert Tariff.objects.get(code="2ae").copayment == Decimal("170.00")
    return cast


class SyncServer:
    """Answers the EPJ's synchronous queue from a thread, the way the EPJ worker does."""

    def __init__(self):
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        try:
            while not self._stop.is_set():
                if not relay_deliver_due(side="epj", channel="sync"):
                    time.sleep(0.01)
        finally:
            connection.close()

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=10)


@pytest.fixture
def epj_sync(transactional_db):
    """The clinic answers compose-info requests (needs committed rows: a transactional database)."""
    with SyncServer() as server:
        yield server


def committed(fn, *args, **kwargs):
    with transaction.atomic():
        return fn(*args, **kwargs)
