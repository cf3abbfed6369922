import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from clinics.register_file import RegisterImportError, register_export_text, register_import


class Command(BaseCommand):
    help = (
        "Export or import the address register as JSON (format: docs/register-format.md). "
        "Import creates or updates by HER-id, checks every row first and changes nothing when any row is bad."
    )

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="{export,import}")
        export = actions.add_parser("export", help="Write the whole register as JSON.")
        export.add_argument("--output", "-o", metavar="FILE", help="Write to FILE instead of standard output.")
        load = actions.add_parser("import", help="Create or update organisations and services from a JSON file.")
        load.add_argument("file", metavar="FILE", help="The register file ('-' reads standard input).")
        load.add_argument("--dry-run", action="store_true", help="Check and report, but change nothing.")

    def handle(self, *args, action, **options):
        if action == "export":
            self.export(options.get("output"))
        else:
            self.load(options["file"], options["dry_run"])

    def export(self, output):
        text = register_export_text()
        if output:
            Path(output).write_text(text, encoding="utf-8")
            self.stderr.write(f"Register written to {output}.")
        else:
            self.stdout.write(text, ending="")

    def load(self, name, dry_run):
        raw = sys.stdin.buffer.read() if name == "-" else self.read_bytes(name)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = raw.count(b"\n", 0, exc.start) + 1
            raise CommandError(f"{name}:{line}: the file is not UTF-8 ({exc.reason}); nothing was changed.") from None
        try:
            report = register_import(text=text, dry_run=dry_run)
        except RegisterImportError as exc:
            for error in exc.errors:
                self.stderr.write(f"{name}:{error.line}: {error.message}")
            raise CommandError(f"Import refused: {len(exc.errors)} error(s) in {name}; nothing was changed.") from None
        orgs, services = report.organisations, report.services
        summary = (
            f"organisations: {orgs['created']} created, {orgs['updated']} updated, {orgs['unchanged']} unchanged; "
            f"services: {services['created']} created, {services['updated']} updated, "
            f"{services['unchanged']} unchanged."
        )
        if dry_run:
            self.stdout.write(f"Dry run, nothing was changed. The file is valid and would give {summary}")
        else:
            self.stdout.write(self.style.SUCCESS(f"Imported {name}: {summary}"))

    def read_bytes(self, name):
        try:
            return Path(name).read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {name}: {exc.strerror}.") from None
