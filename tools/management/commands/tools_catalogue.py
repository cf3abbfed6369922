import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from tools.catalogue_file import CatalogueFileError, catalogue_export, catalogue_import


class Command(BaseCommand):
    help = (
        "Export the tool catalogue to a JSON file, or import one. Import checks every row first and "
        "rejects the whole file, changing nothing, if any row is bad."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["export", "import"])
        parser.add_argument("file", help="JSON file to write (export; '-' for stdout) or read (import)")

    def handle(self, *args, action, file, **options):
        if action == "export":
            text = json.dumps(catalogue_export(), ensure_ascii=False, indent=2) + "\n"
            if file == "-":
                self.stdout.write(text, ending="")
            else:
                Path(file).write_text(text, encoding="utf-8")
                self.stdout.write(self.style.SUCCESS(f"Exported the catalogue to {file}."))
            return
        try:
            text = Path(file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"Cannot read {file}: {exc}") from None
        try:
            result = catalogue_import(text=text)
        except CatalogueFileError as exc:
            raise CommandError(f"{file} rejected; nothing was imported:\n  " + "\n  ".join(exc.errors)) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported {file}: {len(result.created)} created, {len(result.updated)} updated, "
                f"{len(result.unchanged)} unchanged."
            )
        )
