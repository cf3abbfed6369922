"""`manage.py conformance samples|epj|portal`: the conformance kit (docs/conformance.md).

`samples` feeds the real sample messages through the portal's inbound path; `epj` plays
Helsenorge against a record system's queues; `portal` plays a record system against the portal.
The last two talk only over the transport (ops/conformance.py).
"""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from messaging.conformance import samples_check
from ops.conformance import DEFAULT_TIMEOUT, ConformanceError, Report, epj_conformance, portal_conformance


class Command(BaseCommand):
    help = (
        "The conformance kit. 'samples': register each real sample's parties and feed it through the "
        "portal's inbound path (exit 1 when a verdict differs from PROVENANCE.md; run it on a test "
        "database). 'epj --her-id N': play Helsenorge against the EPJ of organisation N over its queues. "
        "'portal': play an EPJ against the portal. Both print a table of checks and exit 1 on any failure; "
        "the played party's own consumers must not run meanwhile (docs/conformance.md)."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        samples = sub.add_parser("samples", help="the MsgHead/AppRec samples in HN_SHARED_DIR/samples")
        samples.add_argument(
            "--dir", type=Path, default=None, help="the samples folder (default HN_SHARED_DIR/samples)"
        )
        epj = sub.add_parser("epj", help="play Helsenorge against an EPJ's queues")
        epj.add_argument("--her-id", type=int, required=True, help="the EPJ's organisation HER-id (level 1)")
        epj.add_argument(
            "--as-her-id",
            type=int,
            default=None,
            help="the HER-id the kit sends as (default HN_PORTAL_HER_ID); its queues are consumed by the kit",
        )
        portal = sub.add_parser("portal", help="play an EPJ against the portal's queues")
        portal.add_argument(
            "--as-her-id",
            type=int,
            default=None,
            help="the clinic organisation the kit plays (default: the first in the register with a service)",
        )
        for command in (epj, portal):
            command.add_argument("--patient", default=None, help="the test patient's identity number")
            command.add_argument(
                "--timeout",
                type=float,
                default=DEFAULT_TIMEOUT,
                help=f"seconds to wait for each answer (default {DEFAULT_TIMEOUT:g})",
            )

    def handle(self, *args, action, **options):
        if action == "samples":
            self.samples(options["dir"])
            return
        try:
            if action == "epj":
                report = epj_conformance(
                    her_id=options["her_id"],
                    as_her_id=options["as_her_id"],
                    patient_nin=options["patient"],
                    timeout=options["timeout"],
                )
            else:
                report = portal_conformance(
                    her_id=options["as_her_id"], patient_nin=options["patient"], timeout=options["timeout"]
                )
        except ConformanceError as error:
            raise CommandError(str(error)) from None
        self.table(report)
        if not report.ok:
            raise SystemExit(1)

    def table(self, report: Report) -> None:
        played = "Helsenorge" if report.role == "helsenorge" else "an EPJ"
        self.stdout.write(
            f"Conformance: HER-id {report.as_her_id} playing {played} against HER-id {report.her_id} "
            f"({settings.HN_TRANSPORT} transport)"
        )
        rows = [("result", "check", "expected", "got", "seconds")]
        rows += [("pass" if c.passed else "FAIL", c.name, c.expected, c.got, f"{c.seconds:.2f}") for c in report.checks]
        caps = (6, 64, 64, 100)  # the result, the check, what was expected, what came back
        widths = [min(max(len(row[i]) for row in rows), caps[i]) for i in range(4)]
        for row in rows:
            cells = [row[i][: widths[i]].ljust(widths[i]) for i in range(4)]
            self.stdout.write(" | ".join([*cells, row[4].rjust(7)]))
        failed = len(report.failed)
        self.stdout.write(f"{len(report.checks) - failed} of {len(report.checks)} checks passed; {failed} failed")

    def samples(self, folder: Path | None) -> None:
        folder = folder or Path(settings.HN_SHARED_DIR) / "samples"
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
