"""Desk state changes racing on PostgreSQL: a case closed at the same moment is never reassigned.

SQLite serialises every writer (and ignores row locks), so these tests skip there and run in
CI's PostgreSQL pass, each thread on its own database connection.
"""

import threading

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connections, transaction

from accounts.representation import RELATION_SELF, Subject
from epj.desk.models import Case
from epj.desk.services import case_assign, case_claim, case_close, case_reply
from epj.staff import staff_id
from helsenorge.routers import EPJ_DB
from messaging.dialogs import services
from messaging.dialogs.models import Kind, ServiceArea
from tests.dialogs.conftest import deliver_all
from tests.timebooks.test_concurrency import race

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not settings.IS_POSTGRES, reason="needs PostgreSQL (real row locks and concurrent writers)"),
]


def _new_case(cast, title) -> Case:
    nora = cast.nora.person
    me = Subject(actor=nora, patient=nora, relation=RELATION_SELF, areas=frozenset(ServiceArea.values))
    services.dialog_send(subject=me, service=cast.gp_service, kind=Kind.EKONTAKT, title=title, text="Hei")
    deliver_all()
    return Case.objects.get(subject=title)


def test_assign_waiting_on_an_uncommitted_close_sees_it_and_refuses(clinic_data):
    cast = clinic_data
    case = _new_case(cast, "Lukkes nå")
    stale = Case.objects.get(pk=case.pk)  # what the assigning page read: open, waiting
    closed_not_committed = threading.Event()
    outcome: dict[str, str | ValidationError] = {}

    def close():
        try:
            with transaction.atomic(using=EPJ_DB):  # the case's row is locked in the EPJ's store
                case_close(case=case, user=cast.kari)
                closed_not_committed.set()
                # Hold the transaction open while the assign runs into the row.
                threading.Event().wait(0.5)
        finally:
            connections.close_all()

    def assign():
        try:
            closed_not_committed.wait(10)
            case_assign(case=stale, assignee_id=staff_id(cast.kari), user=cast.kari)
            outcome["assign"] = "done"
        except ValidationError as exc:
            outcome["assign"] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=close), threading.Thread(target=assign)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert isinstance(outcome["assign"], ValidationError) and "avsluttet" in str(outcome["assign"])
    case.refresh_from_db()
    assert case.state == Case.State.CLOSED and case.closed_at is not None and case.assignee_id is None


@pytest.mark.parametrize("rounds", [6])
def test_close_racing_assign_claim_and_reply_always_ends_closed(clinic_data, rounds):
    cast = clinic_data
    for n in range(rounds):
        case = _new_case(cast, f"Kappløp {n}")
        actions = [
            lambda c=case: case_close(case=c, user=cast.kari),
            lambda c=case: case_assign(case=c, assignee_id=staff_id(cast.kari), user=cast.kari),
            lambda c=case: case_claim(case=c, user=cast.kari),
            lambda c=case: case_reply(case=c, user=cast.kari, text="Svar"),
        ]
        results = race(len(actions), lambda i, actions=actions: actions[i]())
        unexpected = [r for r in results if isinstance(r, Exception) and not isinstance(r, ValidationError)]
        assert not unexpected, unexpected
        assert not isinstance(results[0], Exception)  # nothing blocks a close
        case.refresh_from_db()
        # Whatever ran before the close, nothing after it reopened or reassigned the case.
        assert case.state == Case.State.CLOSED, (n, results)
        assert case.waiting_since is None and case.due_at is None
