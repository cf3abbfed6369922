"""The receipts for what the EPJ sends: each AppRec (or transport failure) filed against its record.

Every message the EPJ sends is recorded by the feature that sends it (a desk answer, a journal
copy, an appointment message), in a model with the `DeliveryTracked` fields. The routing table
(`epj/routes.py`) passes each AppRec to that feature's listener, which files it here by the
original's MsgId. A message the relay could not hand over at all never gets an AppRec: its
outbox row is dead-lettered, and `delivery_shown` reads that instead.
"""

from dataclasses import dataclass
from typing import TypeVar

from django.db import transaction
from django.db.models import Model, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from epj.models import Delivery, DeliveryTracked
from helsenorge.routers import EPJ_DB
from messaging.codec import AppRec, codes

_M = TypeVar("_M", bound=Model)


def apprec_reason(apprec: AppRec) -> str:
    """The receiver's reason for a rejection, as staff read it: code, official text and its detail."""
    parts = [f"{e.code} {e.text}".strip() + (f": {e.detail}" if e.detail else "") for e in apprec.errors]
    return "; ".join(parts)[:300] or _("Avvist uten oppgitt årsak.")


def apprec_delivery(apprec: AppRec) -> tuple[str, str]:
    """(delivery state, reason) for an AppRec: anything but OK (with or without part errors) is a rejection."""
    if apprec.status in (codes.STATUS_OK, codes.STATUS_OK_WITH_ERRORS):
        return Delivery.DELIVERED, ""
    return Delivery.REJECTED, apprec_reason(apprec)


@transaction.atomic(using=EPJ_DB, savepoint=False)
def apprec_file(rows: "QuerySet[_M]", apprec: AppRec) -> list[_M]:
    """File the AppRec on the sent records among `rows` whose MsgId it answers; returns them.

    Runs in the relay's receiving transaction on the EPJ's store (joined, no savepoint of its
    own; the rows are locked until it commits); the relay calls listeners once per original, so
    a redelivered AppRec changes nothing.
    """
    state, reason = apprec_delivery(apprec)
    sent = list(rows.select_for_update().filter(msg_id=apprec.original_msg_id))
    for row in sent:
        assert isinstance(row, DeliveryTracked)
        row.delivery, row.delivery_error, row.delivery_settled_at = state, reason, timezone.now()
        row.save(update_fields=["delivery", "delivery_error", "delivery_settled_at"])
    return sent


@dataclass(frozen=True)
class DeliveryShown:
    """How one sent record's delivery is shown to staff."""

    label: str
    tag: str  # the EPJ's tag modifier: neutral, info, success, danger
    reason: str = ""

    @property
    def failed(self) -> bool:
        return self.tag == "danger"


def transport_failure(*, msg_id: str) -> str:
    """Why the relay gave up handing the message over (it was dead-lettered), or "" when it did not."""
    from messaging.models import EnvelopeState, Side
    from messaging.relay import envelope_for

    envelope = envelope_for(msg_id, side=Side.EPJ)
    if envelope is None or envelope.state != EnvelopeState.DEAD:
        return ""
    return envelope.error_text[:300] or _("Meldingen kunne ikke leveres.")


def delivery_shown(record: DeliveryTracked) -> DeliveryShown | None:
    """The delivery of a sent record as staff see it; None for records with nothing sent."""
    msg_id = str(getattr(record, "msg_id", ""))
    if record.delivery == Delivery.REJECTED:
        return DeliveryShown(str(Delivery.REJECTED.label), "danger", record.delivery_error)
    if record.delivery == Delivery.DELIVERED:
        return DeliveryShown(str(Delivery.DELIVERED.label), "success")
    if record.delivery == Delivery.SENT:
        failure = transport_failure(msg_id=msg_id)
        if failure:
            return DeliveryShown(_("Kunne ikke leveres"), "danger", failure)
        return DeliveryShown(str(Delivery.SENT.label), "info")
    return None
