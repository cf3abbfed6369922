"""`manage.py epj status`, `epj staff` and `epj reset`: the simulated EPJ as a system of its own.

`status` prints what the EPJ's store holds. `staff` brings the EPJ's staff register up to date
with the portal's staff memberships (who works where, in which role; idempotent; `--prune` also
ends the employments the portal no longer lists). `reset` empties it (epj/maintenance.py) while the
portal keeps running; `--seed` then fills it as `seed_demo` does for the EPJ (its patient
staff register from the portal's staff memberships, its patient registers from the health contacts, the desk's demo medications, timebooks and record notes).
Stopping and starting the EPJ is stopping and starting its worker (`worker-epj` in the Procfile
and docker-compose.yml); messages for it wait on its queues meanwhile.
"""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from epj.desk.demo import seed_desk_demo
from epj.maintenance import epj_contents, epj_reset
from epj.records.demo import seed_records
from epj.timebooks.demo import seed_timebooks
from ops.population import prune_epj_staff, seed_epj_patients, seed_epj_staff

# The EPJ's part of seed_demo, in seed_demo's order (ops/management/commands/seed_demo.py).
EPJ_SEEDERS = (seed_epj_staff, seed_epj_patients, seed_desk_demo, seed_timebooks, seed_records)


class Command(BaseCommand):
    help = "Show or reset the simulated EPJ's own data; the portal is not touched."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("status", help="rows in each of the EPJ's tables and EPJ-owned relay records")
        staff = sub.add_parser(
            "staff", help="employ the portal's clinic staff in the EPJ in the same roles (idempotent)"
        )
        staff.add_argument(
            "--prune", action="store_true", help="also end the employments the portal's staff list no longer has"
        )
        reset = sub.add_parser("reset", help="empty the EPJ's store (its tables and its relay records)")
        reset.add_argument("--yes", action="store_true", help="really empty it (without: show what would go)")
        reset.add_argument("--seed", action="store_true", help="then seed the EPJ's demo data again")

    def handle(self, *args: object, action: str, **options: object) -> None:
        if action == "status":
            self._table(epj_contents())
            return
        if action == "staff":
            self.stdout.write(f"The EPJ's staff register holds {seed_epj_staff()} employments from the portal's staff.")
            if options["prune"]:
                ended, kept = prune_epj_staff()
                self.stdout.write(f"Ended {ended} employments the portal's staff list no longer has.")
                if kept:
                    self.stdout.write(
                        self.style.WARNING(
                            f"Kept {kept}: a clinician's timebook still names them; give those timebooks "
                            "to someone else first."
                        )
                    )
            return
        if not options["yes"]:
            self._table(epj_contents())
            raise CommandError("Nothing deleted. Run `epj reset --yes` to empty the EPJ's store.")
        held = epj_reset()
        self.stdout.write(f"The EPJ's store is empty ({sum(held.values())} rows deleted; the portal is untouched).")
        if options["seed"]:
            for seeder in EPJ_SEEDERS:
                self.stdout.write(f"Seeding: {seeder.__module__}.{seeder.__name__} …")
                seeder()
            self.stdout.write(self.style.SUCCESS("The EPJ's demo data is back."))

    def _table(self, counts: dict[str, int]) -> None:
        width = max(len(name) for name in counts)
        for name, rows in counts.items():
            self.stdout.write(f"{name:<{width}}  {rows:>8}")
        self.stdout.write(f"{'total':<{width}}  {sum(counts.values()):>8}")
