"""Database routing: three systems, three stores (DESIGN §2, docs/architecture.md).

- The national services (`national`) live in the `national` store, and so does the address
  register's directory: `clinics.Organisation`, `.Service`, `.ServiceAbsence` and
  `.ServiceProcess` (`REGISTER_MODELS`, routed by model: the rest of `clinics`, the portal's
  health contacts and the staff memberships, stays in the portal's store).
- The EPJ's apps (`epj`, `epj.*`, app labels `epj` and `epj_*`) live in the `epj` store.
- The relay's records (the outbox, the inbox of received MsgIds, transport errors and queue
  kicks) exist in both the portal's and the EPJ's store: each side keeps its own, in the same
  transaction as the change that made them. They have no store of their own, so a query on them
  must name its side's store (`messaging.relay.stores.relay_db`); one that names none raises
  instead of reading the portal's rows by accident.
- Everything else is the portal's (`default`).

Rows relate across stores only through `key_across_stores` (`one_across_stores`): the EPJ's rows
name a register entry or a staff user, the portal's rows name a register entry; no statement joins
across. `allow_relation` decides by model, not by store: the register's entries may be named by
the portal's and the EPJ's rows (and name each other), while the national services' own rows
(`national`) name everything by identifier (HER-id, identity number) and relate to nothing of
another app, the register's entries included, though these now share their store. The register's
rows are never deleted (withdrawn with `active` off; the admin refuses a delete), so a key to one
that does nothing on delete loses nothing.

Migrations: `allow_migrate` answers by model where the operation names one (`model_name`); an
operation of `clinics` that names none (a RunPython without hints) runs on the portal's store, so
one that touches the register's rows says so with `hints={"model_name": ...}`.
"""

from typing import Any

from django.db import models

NATIONAL_DB = "national"
EPJ_DB = "epj"
PORTAL_DB = "default"


def key_across_stores(to: str, **options: Any) -> Any:
    """A foreign key to a row in another store: no database constraint (the table is not in this
    database) and deleting the row there deletes or updates nothing here (Django's deletion
    collector would look for the referring rows in the deleted row's store). The key still reads
    its row, in a statement of its own."""
    return models.ForeignKey(to, on_delete=models.DO_NOTHING, db_constraint=False, **options)


def one_across_stores(to: str, **options: Any) -> Any:
    """`key_across_stores` for a one-to-one relation (a row here for at most one row there)."""
    return models.OneToOneField(to, on_delete=models.DO_NOTHING, db_constraint=False, **options)


REGISTER_APP = "clinics"
REGISTER_MODELS = frozenset({"organisation", "service", "serviceabsence", "serviceprocess"})

RELAY_APP = "messaging"
RELAY_MODELS = frozenset({"envelope", "inboxmessage", "transporterrormessage", "relayqueuekick"})


class RelayStoreUnnamed(LookupError):
    """A query on the relay's records named no store: both sides keep such rows."""


def is_register_model(app_label: str, model_name: str | None) -> bool:
    """One of the address register's directory models (in the national store; the rest of
    `clinics` is the portal's)."""
    return app_label == REGISTER_APP and model_name in REGISTER_MODELS


def system_store(app_label: str, model_name: str | None = None) -> str:
    """The store a model's table lives in (the relay's records excepted): by app, the register's
    directory models of `clinics` by model."""
    if app_label == "national" or is_register_model(app_label, model_name):
        return NATIONAL_DB
    if app_label == "epj" or app_label.startswith("epj_"):
        return EPJ_DB
    return PORTAL_DB


def is_relay_model(app_label: str, model_name: str | None) -> bool:
    return app_label == RELAY_APP and model_name in RELAY_MODELS


class StoreRouter:
    def _db(self, model, hints) -> str:
        if is_relay_model(model._meta.app_label, model._meta.model_name):
            instance = hints.get("instance")
            if instance is not None and instance._state.db:
                return instance._state.db
            raise RelayStoreUnnamed(
                f"{model.__name__}: the portal and the EPJ each keep their own; name the side's store "
                "(.using(relay_db(side)), messaging/relay/stores.py)."
            )
        return system_store(model._meta.app_label, model._meta.model_name)

    def db_for_read(self, model, **hints):
        return self._db(model, hints)

    def db_for_write(self, model, **hints):
        return self._db(model, hints)

    def allow_relation(self, obj1, obj2, **hints):
        # Across stores only through the foreign keys without a constraint (module docstring).
        # The register's directory rows relate to each other and are named by the portal's and
        # the EPJ's rows (a health contact, a staff membership, an appointment, an EPJ case...):
        # allowed. The national services' own rows (`national`) name everything by identifier, so
        # a relation between one of them and anything outside `national` stays refused, as before
        # the register moved in beside them.
        metas = [obj._meta for obj in (obj1, obj2)]
        if any(is_register_model(m.app_label, m.model_name) for m in metas):
            return not any(m.app_label == "national" for m in metas)
        national = {m.app_label == "national" for m in metas}
        return len(national) == 1

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        if is_relay_model(app_label, model_name):
            return db in (PORTAL_DB, EPJ_DB)
        return db == system_store(app_label, model_name)
