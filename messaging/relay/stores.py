"""Which store holds a side's relay records (helsenorge/routers.py).

The portal and the EPJ each keep their own outbox, inbox of received MsgIds, transport errors and
queue kicks, in their own database, written in the same transaction as the change they carry. The
router refuses a query on those models that names no store, so every statement says whose rows it
means: `Envelope.objects.using(relay_db(side))`, `transaction.atomic(using=relay_db(side))`.

Whose rows are where:

- a side's outbox rows (`Envelope.side` = the sender: its messages, its AppRecs and sync
  replies, a sync caller's request row) are in the sender's store;
- a side's inbox rows and transport errors (`side` = the receiver) are in the receiver's store;
- what an operator feeds a side (`relay receive`, an oversize dead letter) is an Envelope with
  the other side as sender, kept in the *receiving* side's store: it is the receiver's record of
  what it was given, and the inbound path that files it writes there;
- the kick flags are in the store of the side whose worker runs the kicked task (kicks.py).

Ids are per store: "#12" may be a row in both, so operators name a row with its store's side,
"epj:12" (`manage.py relay`).
"""

from helsenorge.routers import EPJ_DB, PORTAL_DB
from messaging.models import Side

SIDE_STORES = {Side.PORTAL.value: PORTAL_DB, Side.EPJ.value: EPJ_DB}
# Both stores, in the order operators see them (the portal's first).
RELAY_SIDES: tuple[str, ...] = (Side.PORTAL.value, Side.EPJ.value)


def relay_db(side: str) -> str:
    """The database alias that holds `side`'s relay records."""
    try:
        return SIDE_STORES[side]
    except KeyError:
        raise ValueError(f"unknown relay side {side!r}; expected one of {sorted(SIDE_STORES)}") from None


def store_side(alias: str | None) -> str:
    """The side whose relay records the database `alias` holds (the inverse of `relay_db`)."""
    for side, db in SIDE_STORES.items():
        if db == alias:
            return side
    raise ValueError(f"the database {alias!r} holds no side's relay records")
