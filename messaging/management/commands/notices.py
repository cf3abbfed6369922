"""Operator commands for the notice outbox: status, failed notices, replay."""

from django.core.management.base import BaseCommand, CommandError

from messaging.notifications import notice_replay, notices_failed, notices_replay_failed, notices_status


class Command(BaseCommand):
    help = "Inspect and repair the notice outbox (status, failed, replay)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("status", help="notices by channel and state, age of the oldest pending one")
        failed = sub.add_parser("failed", help="notices that used all their attempts, with the last error")
        failed.add_argument("--limit", type=int, default=100)
        replay = sub.add_parser("replay", help="give failed notices a fresh set of attempts")
        replay.add_argument("id", nargs="?", type=int)
        replay.add_argument("--all", action="store_true")

    def handle(self, *args, action, **options):
        return getattr(self, f"do_{action}")(**options)

    def do_status(self, **_):
        status = notices_status()
        if not status.counts:
            self.stdout.write("Ingen varsler.")
        for channel in sorted(status.counts):
            states = ", ".join(f"{state} {n}" for state, n in sorted(status.counts[channel].items()))
            self.stdout.write(f"{channel:<6} {states}")
        if status.oldest_pending_seconds is not None:
            self.stdout.write(f"Eldste ventende: {status.oldest_pending_seconds:.0f} s")
        failed = sum(states.get("failed", 0) for states in status.counts.values())
        if failed:
            self.stdout.write(self.style.WARNING(f"{failed} feilede varsler: se `notices failed`."))

    def do_failed(self, *, limit, **_):
        rows = list(notices_failed(limit=limit))
        if not rows:
            self.stdout.write("Ingen feilede varsler.")
        for row in rows:
            self.stdout.write(
                f"#{row.pk} {row.channel} person {row.person_id} forsøk {row.attempts}, "
                f"feilet {row.failed_at:%Y-%m-%d %H:%M:%S}: {row.last_error}"
            )

    def do_replay(self, *, id, all, **_):
        if all == (id is not None):
            raise CommandError("Oppgi enten en ID eller --all.")
        if all:
            self.stdout.write(self.style.SUCCESS(f"{notices_replay_failed()} varsler lagt i kø igjen."))
            return
        if not notice_replay(notice_id=id):
            raise CommandError(f"#{id} er ikke et feilet varsel.")
        self.stdout.write(self.style.SUCCESS(f"#{id} lagt i kø igjen."))
