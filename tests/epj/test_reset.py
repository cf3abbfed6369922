"""The EPJ is reset on its own while the portal keeps working (`manage.py epj reset`).

Everything outside the EPJ's store is counted before and after, table by table, so a reset that
touched a portal, register or national row fails here; then the portal keeps sending to the empty
EPJ (refused: it knows no patient) and to the re-seeded one (accepted).
"""

from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.representation import RELATION_SELF, Subject
from epj.desk.models import Case
from epj.maintenance import EPJ_APP_LABELS, epj_contents, epj_models
from epj.models import JournalEntry
from epj.timebooks.models import Timebook
from helsenorge.routers import PORTAL_DB, is_relay_model
from messaging.dialogs import services as dialogs
from messaging.dialogs.models import DialogMessage, Kind, ServiceArea
from tests.dialogs.conftest import clinic_data, sent  # noqa: F401 (fixtures)
from tests.timebooks.helpers import deliver_all, make_timebooks

pytestmark = pytest.mark.django_db(databases=["default", "national", "epj"])


def relay_model(model) -> bool:
    return is_relay_model(model._meta.app_label, model._meta.model_name)


def outside_the_epj() -> dict[str, object]:
    """Rows of every table that is not the EPJ's, and every relay record in the portal's store."""
    counts: dict[str, object] = {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models(include_auto_created=True)
        if model._meta.app_label not in EPJ_APP_LABELS and not relay_model(model)
    }
    for model in apps.get_models():
        if relay_model(model):  # each side keeps its own: the portal's rows are all in its store
            counts[f"{model._meta.label} (portal)"] = list(
                model._default_manager.using(PORTAL_DB).order_by("pk").values_list("pk", flat=True)
            )
    return counts


def e_kontakt(cast, text):
    nora = cast.nora.person
    subject = Subject(actor=nora, patient=nora, relation=RELATION_SELF, areas=frozenset(ServiceArea.values))
    thread = dialogs.dialog_send(
        subject=subject,
        service=cast.gp_service,
        kind=Kind.EKONTAKT,
        title=text,
        text=text,
    )
    deliver_all()
    return DialogMessage.objects.filter(thread=thread).get()


def test_reset_empties_the_epj_only_and_the_portal_keeps_sending(cast, sent):  # noqa: F811
    make_timebooks(cast)
    assert Case.objects.exists() and JournalEntry.objects.exists() and Timebook.objects.exists()
    before = outside_the_epj()
    held = epj_contents()
    assert held["epj_desk.Case"] >= 1 and held["relay: EPJ inbox (MsgIds received)"] >= 1

    out = StringIO()
    with pytest.raises(CommandError, match="Nothing deleted"):
        call_command("epj", "reset", stdout=out)
    assert "epj_desk.Case" in out.getvalue() and epj_contents() == held and outside_the_epj() == before

    call_command("epj", "reset", "--yes", stdout=StringIO())
    assert all(rows == 0 for rows in epj_contents().values()), epj_contents()
    assert all(model._default_manager.count() == 0 for model in epj_models())
    assert outside_the_epj() == before  # not one row of the portal, the register or the national store

    # The portal keeps working: the empty EPJ knows no patient and says so (E35) ...
    refused = e_kontakt(cast, "Etter nullstilling")
    assert refused.delivery == DialogMessage.Delivery.REJECTED and not Case.objects.exists()
    # ... and once its data is seeded again, it takes the same citizen's next message.
    call_command("epj", "reset", "--yes", "--seed", stdout=StringIO())
    accepted = e_kontakt(cast, "Etter ny start")
    assert accepted.delivery == DialogMessage.Delivery.DELIVERED
    assert Case.objects.get().subject == "Etter ny start"
