"""Database routing: the national services keep their own store (DESIGN §2).

Every model of the `national` app lives in the `national` database and nothing else does; the
portal and the EPJ share `default`. Rows never relate across the two (the national models name
people and organisations by their identity numbers and HER-ids instead of foreign keys).
"""

NATIONAL_DB = "national"
NATIONAL_APP = "national"


class NationalRouter:
    def _db(self, model) -> str | None:
        return NATIONAL_DB if model._meta.app_label == NATIONAL_APP else None

    def db_for_read(self, model, **hints):
        return self._db(model)

    def db_for_write(self, model, **hints):
        return self._db(model)

    def allow_relation(self, obj1, obj2, **hints):
        national = {obj._meta.app_label == NATIONAL_APP for obj in (obj1, obj2)}
        return len(national) == 1

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        if app_label == NATIONAL_APP:
            return db == NATIONAL_DB
        return db != NATIONAL_DB
