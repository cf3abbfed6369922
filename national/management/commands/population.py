"""`manage.py population load FILE` / `population export [--output FILE]`: the population register as JSON.

The file is a JSON list of residents: nin, given_name, family_name, birth_date (YYYY-MM-DD), and
optionally address_code, confidentiality ("", "7" or "6") and deceased. Loading creates or
updates by identity number; it never deletes.
"""

import datetime
import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from national.selectors import residents_export
from national.services import ResidentData, residents_load


class Command(BaseCommand):
    help = "Load or export the population register (JSON)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        load = sub.add_parser("load", help="create or update residents from a JSON file")
        load.add_argument("file", type=Path)
        export = sub.add_parser("export", help="write the register as JSON")
        export.add_argument("--output", type=Path)

    def handle(self, *args, action, **options):
        if action == "export":
            text = json.dumps(residents_export(), ensure_ascii=False, indent=1)
            if options["output"]:
                options["output"].write_text(text + "\n", encoding="utf-8")
            else:
                sys.stdout.write(text + "\n")
            return
        try:
            rows = json.loads(options["file"].read_text(encoding="utf-8"))
            residents = [
                ResidentData(
                    nin=str(row["nin"]),
                    given_name=str(row["given_name"]),
                    family_name=str(row["family_name"]),
                    birth_date=datetime.date.fromisoformat(str(row["birth_date"])),
                    address_code=str(row.get("address_code", "")),
                    confidentiality=str(row.get("confidentiality", "")),
                    deceased=bool(row.get("deceased", False)),
                )
                for row in rows
            ]
            created, updated = residents_load(residents=residents)
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise CommandError(f"population load: {error}") from error
        self.stdout.write(f"{created} created, {updated} updated.")
