"""`manage.py moved_tables`: the old tables an installation made before the move keeps in the
portal's store (their rows copied to the national store by migration) are shown, and dropped only
all together and only once every row is in the national store."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connections

from clinics.models import Organisation, Service
from helsenorge.storecopy import table_rows_copy
from ops.moved_tables import SameDatabase, moved_tables

pytestmark = pytest.mark.django_db(transaction=True)


def _run(*args) -> str:
    out = StringIO()
    call_command("moved_tables", *args, stdout=out)
    return out.getvalue()


def test_old_tables_are_shown_and_dropped_all_together_once_copied(cast):
    portal, national = connections["default"], connections["national"]
    assert "No old tables left" in _run("--drop", "--yes")  # a new installation has none
    with pytest.raises(SameDatabase):
        moved_tables(portal, portal)  # one database: its "old" tables are the live register

    # An installation made before the move: the old tables in the portal's store, rows copied.
    tables = [Organisation._meta.db_table, Service._meta.db_table]
    with portal.schema_editor() as editor:
        editor.create_model(Organisation)
        editor.create_model(Service)
    try:
        for table in tables:
            table_rows_copy(national, portal, table, table)
        services = Service.objects.count()
        shown = _run()
        assert f"clinics_service                {services:>8} rows  copied" in shown
        assert "--drop --yes" in shown and set(tables) <= set(portal.introspection.table_names())

        # A row the national store lacks: nothing is dropped, and the command says which.
        with portal.cursor() as cursor:
            cursor.execute(
                "UPDATE clinics_service SET id = id + 100000 WHERE id = (SELECT MIN(id) FROM clinics_service)"
            )
        with pytest.raises(CommandError, match=r"Nothing dropped: clinics_service \(1 rows not in clinics_service\)"):
            _run("--drop", "--yes")
        with pytest.raises(CommandError, match="Add --yes"):
            _run("--drop")
        assert set(tables) <= set(portal.introspection.table_names())
        with portal.cursor() as cursor:
            cursor.execute("UPDATE clinics_service SET id = id - 100000 WHERE id > 100000")

        assert "Dropped 2 old tables" in _run("--drop", "--yes")
        assert not set(tables) & set(portal.introspection.table_names())
        # The national store's register is untouched.
        assert Service.objects.count() == services and Organisation.objects.filter(pk=cast.gp_org.pk).exists()
    finally:
        with portal.cursor() as cursor:
            for table in reversed(tables):
                cursor.execute(f"DROP TABLE IF EXISTS {table}")
