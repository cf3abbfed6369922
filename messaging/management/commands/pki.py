"""The local test PKI: `pki init`, `pki rotate`, `pki show` (docs/cms.md).

`init` and `rotate` publish the public certificates (and the queue names) of every party they
touch to the address register: the register is where other parties find them.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from messaging.cms.pki import DEFAULT_VALID_DAYS, PkiError, default_pki_dir, pki_init, pki_rotate, pki_show
from messaging.relay.certificates import register_publish


class Command(BaseCommand):
    help = "Create, rotate and list the local test PKI (a CA and per-party signing and encryption certificates)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        init = sub.add_parser("init", help="create the CA and the parties' certificates that are missing")
        init.add_argument("--her-id", type=int, action="append", default=[], dest="her_ids", metavar="N")
        init.add_argument(
            "--force",
            action="store_true",
            help="new keys and certificates for the CA and every party in the directory",
        )
        rotate = sub.add_parser("rotate", help="new encryption certificate; the current one is kept as legacy")
        rotate.add_argument("--her-id", type=int, required=True, dest="her_id", metavar="N")
        show = sub.add_parser("show", help="list the CA and every party's certificates")
        for command in (init, rotate, show):
            command.add_argument("--dir", type=Path, default=None, help="PKI directory (default HN_PKI_DIR)")
        for command in (init, rotate):
            command.add_argument(
                "--days",
                type=int,
                default=DEFAULT_VALID_DAYS,
                help=f"validity of new party certificates in days (default {DEFAULT_VALID_DAYS})",
            )

    def handle(self, *args: object, action: str, **options: object) -> None:
        directory = options["dir"] or default_pki_dir()
        assert isinstance(directory, Path)
        try:
            getattr(self, f"do_{action}")(directory=directory, **options)
        except PkiError as exc:
            raise CommandError(str(exc)) from None

    def do_init(self, *, directory: Path, her_ids: list[int], days: int, force: bool, **_: object) -> None:
        result = pki_init(her_ids, directory=directory, valid_days=days, force=force)
        self.stdout.write(f"PKI in {result.directory}")
        self.stdout.write(f"  CA: {'created' if result.ca_created else 'kept'}")
        for her_id in result.created:
            self.stdout.write(f"  HER-id {her_id}: signing and encryption certificates created")
        for her_id in result.kept:
            self.stdout.write(f"  HER-id {her_id}: kept (use --force to replace)")
        for her_id in sorted({*result.created, *result.kept}):
            register_publish(her_id, directory=directory)
        if result.created or result.kept:
            self.stdout.write("  public certificates published to the address register")

    def do_rotate(self, *, directory: Path, her_id: int, days: int, **_: object) -> None:
        keys = pki_rotate(her_id, directory=directory, valid_days=days)
        register_publish(her_id, directory=directory)
        assert keys.legacy_encryption_cert is not None
        self.stdout.write(
            f"HER-id {her_id}: new encryption certificate serial {keys.encryption_cert.serial_number:x}; "
            f"serial {keys.legacy_encryption_cert.serial_number:x} kept as legacy for decryption; "
            "both published to the address register"
        )

    def do_show(self, *, directory: Path, **_: object) -> None:
        summary = pki_show(directory=directory)
        self.stdout.write(f"PKI in {summary.directory}")
        self.stdout.write(f"  CA  {summary.ca.subject}  until {summary.ca.not_after:%Y-%m-%d}")
        for party in summary.parties:
            self.stdout.write(f"  HER-id {party.her_id}")
            for cert in party.certificates:
                self.stdout.write(
                    f"    {cert.role:<18} serial {cert.serial_number:x}  "
                    f"{cert.not_before:%Y-%m-%d} .. {cert.not_after:%Y-%m-%d}  sha256 {cert.sha256_fingerprint[:23]}…"
                )
