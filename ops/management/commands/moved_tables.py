from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections

from helsenorge.routers import NATIONAL_DB
from ops.moved_tables import CopyIncomplete, SameDatabase, moved_tables, moved_tables_drop


class Command(BaseCommand):
    help = (
        "Show the old tables the national services' store took over from the portal's (their rows "
        "were copied by migration); with --drop --yes, drop them once every row is there (ops/moved_tables.py)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--drop", action="store_true", help="drop the old tables (all or none)")
        parser.add_argument("--yes", action="store_true", help="really drop them (without: show what would go)")

    def handle(self, *args, drop: bool, yes: bool, **options):
        portal, national = connections[DEFAULT_DB_ALIAS], connections[NATIONAL_DB]
        try:
            tables = moved_tables(portal, national)
        except SameDatabase as error:
            raise CommandError(f"Nothing to do: {error}, so the old tables are the live ones.") from error
        if not tables:
            self.stdout.write("No old tables left in the portal's database.")
            return
        for table in tables:
            state = "copied" if table.droppable else f"{table.missing} rows NOT in {table.new}"
            self.stdout.write(f"{table.old:<30} {table.rows:>8} rows  {state}")
        if not drop:
            self.stdout.write("Run `moved_tables --drop --yes` to drop them once every row is copied.")
            return
        if not yes:
            raise CommandError("Nothing dropped. Add --yes to drop them.")
        try:
            dropped = moved_tables_drop(portal, national)
        except CopyIncomplete as error:
            raise CommandError(f"Nothing dropped: {error}.") from error
        self.stdout.write(f"Dropped {len(dropped)} old tables from the portal's database.")
