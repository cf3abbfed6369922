import json
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.models import Person
from accounts.nin import nin_parse
from journal.selectors import citizen_access_export


class Command(BaseCommand):
    help = (
        "Export, as JSON, what the access log and the staff audit trail hold about one citizen "
        "(a data-access request; docs/journal.md)."
    )

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="{export}")
        export = actions.add_parser("export", help="Write one citizen's access log and staff audit trail as JSON.")
        export.add_argument(
            "--citizen", required=True, metavar="NUMBER", help="The citizen's national identity number."
        )
        export.add_argument("--output", "-o", metavar="FILE", help="Write to FILE instead of standard output.")

    def handle(self, *args, action, citizen, output=None, **options):
        try:
            nin = nin_parse(citizen, allow_synthetic=settings.HN_ALLOW_SYNTHETIC_NIN).nin
        except ValidationError as exc:
            raise CommandError(f"Invalid national identity number: {' '.join(exc.messages)}") from None
        person = Person.objects.filter(nin=nin).first()
        if person is None:
            raise CommandError("No person with that national identity number is in the register; nothing was written.")
        # Progress goes to stderr so stdout stays a clean JSON document.
        document = citizen_access_export(person=person, progress=self.stderr.write)
        text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
        if output:
            Path(output).write_text(text, encoding="utf-8")
            self.stderr.write(f"Export written to {output}.")
        else:
            self.stdout.write(text, ending="")
