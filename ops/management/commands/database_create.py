from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections


class Command(BaseCommand):
    help = (
        "Create a configured database on its PostgreSQL server when it does not exist yet (the "
        "national services' own store next to the portal's, docs/national.md); SQLite files are "
        "created on first use. Run before `migrate --database <alias>`."
    )

    def add_arguments(self, parser):
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS, help="The alias in DATABASES.")

    def handle(self, *args, database, **options):
        if database not in connections:
            raise CommandError(f"No database {database!r} is configured.")
        connection = connections[database]
        if connection.vendor != "postgresql":
            return
        name = connection.settings_dict["NAME"]
        with connection._nodb_cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cursor.fetchone() is not None:
                return
            cursor.execute(f"CREATE DATABASE {connection.ops.quote_name(name)}")
        self.stdout.write(f"Created the database {name} for {database!r}.")
