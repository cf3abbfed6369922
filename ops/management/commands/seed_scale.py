"""`manage.py seed_scale --citizens 100000 --messages 1000000`: a national-size database for `bench scale`."""

from django.core.management.base import BaseCommand, CommandError

from bench.scale_data import seed_scale
from ops.population import population_from_persons


class Command(BaseCommand):
    help = "Seed synthetic citizens, clinics, dialog threads and messages in bulk (scale benchmark)."

    def add_arguments(self, parser):
        parser.add_argument("--citizens", type=int, default=100_000)
        parser.add_argument("--messages", type=int, default=1_000_000)
        parser.add_argument("--seed", type=int, default=2026, help="random seed (same numbers, same data)")

    def handle(self, *args, citizens, messages, seed, **options):
        if citizens < 1 or messages < 0:
            raise CommandError("--citizens må være minst 1 og --messages kan ikke være negativ.")
        try:
            written = seed_scale(citizens=citizens, messages=messages, seed=seed, write=self.stdout.write)
        except RuntimeError as error:
            raise CommandError(str(error)) from None
        created, _updated = population_from_persons()
        written["folkeregisteret"] = created
        self.stdout.write(self.style.SUCCESS("Ferdig: " + ", ".join(f"{k} {v}" for k, v in written.items())))
