"""Which store holds a side's relay records (helsenorge/routers.py).

The portal and the EPJ each keep their own outbox, inbox of received MsgIds, transport errors and
queue kicks, in their own database, written in the same transaction as the change they carry. The
router refuses a query on those models that names no store, so every statement says whose rows it
means: `Envelope.objects.using(relay_db(side))`, `transaction.atomic(using=relay_db(side))`.
"""

from helsenorge.routers import EPJ_DB, PORTAL_DB
from messaging.models import Side

SIDE_STORES = {Side.PORTAL.value: PORTAL_DB, Side.EPJ.value: EPJ_DB}


def relay_db(side: str) -> str:
    """The database alias that holds `side`'s relay records."""
    try:
        return SIDE_STORES[side]
    except KeyError:
        raise ValueError(f"unknown relay side {side!r}; expected one of {sorted(SIDE_STORES)}") from None
