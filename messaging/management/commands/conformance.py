"""`manage.py conformance samples`: feed the real sample messages through the portal's inbound path."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from messaging.conformance import samples_check


class Command(BaseCommand):
    help = (
        "Register each real sample's parties and feed it through the portal's inbound path, printing "
        "accepted/rejected per file with the reason and whether PROVENANCE.md predicted it. Exit 1 when "
        "any verdict differs from the prediction. The parties stay registered (run it on a test database)."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        samples = sub.add_parser("samples", help="the MsgHead/AppRec samples in HN_SHARED_DIR/samples")
        samples.add_argument(
            "--dir", type=Path, default=None, help="the samples folder (default HN_SHARED_DIR/samples)"
        )

    def handle(self, *args, action, **options):
        folder = options["dir"] or Path(settings.HN_SHARED_DIR) / "samples"
        if not (folder / "PROVENANCE.md").is_file():
            raise CommandError(f"no PROVENANCE.md in {folder}; set HN_SHARED_DIR or pass --dir")
        results = samples_check(folder)
        surprises = 0
        for result in results:
            if result.is_receipt:
                verdict = f"read as a receipt ({result.reason})" if result.accepted else f"rejected {result.code}"
            else:
                verdict = "accepted" if result.accepted else f"rejected {result.code}".rstrip()
            expected = "accepted" if result.expected_accepted else "refused"
            mark = "ok" if result.as_predicted else "UNEXPECTED"
            surprises += not result.as_predicted
            reason = f" — {result.reason}" if result.reason and not result.accepted else ""
            level1, level2 = result.receiver
            self.stdout.write(
                f"{result.name}: {verdict}{reason} [to HER-id {level1}/{level2}; PROVENANCE: "
                f"{result.provenance or 'not listed'}; expected {expected}: {mark}]"
            )
        accepted = sum(r.accepted for r in results)
        self.stdout.write(f"{accepted} of {len(results)} accepted; {surprises} differ from PROVENANCE.md")
        if surprises:
            raise SystemExit(1)
