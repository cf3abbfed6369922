"""`manage.py bench <what> ...`: the project's benchmarks, one subcommand per area.

Each driver in the dev-only `bench` package has `add_arguments(parser)` and `run(command, **options)`;
`run` prints its figures with command.stdout.write and raises RuntimeError when it cannot run
(for example `bench web` without locust, a dev-only tool).
"""

from django.core.management.base import BaseCommand, CommandError

from bench import booking, relay, scale, web

BENCHMARKS = {"booking": booking, "relay": relay, "scale": scale, "web": web}


class Command(BaseCommand):
    help = "Run a benchmark: " + ", ".join(sorted(BENCHMARKS))

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="benchmark", required=True)
        for name, driver in sorted(BENCHMARKS.items()):
            driver.add_arguments(sub.add_parser(name, help=(driver.__doc__ or "").strip().splitlines()[0]))

    def handle(self, *args, benchmark, **options):
        try:
            BENCHMARKS[benchmark].run(self, **options)
        except RuntimeError as error:
            raise CommandError(str(error)) from None
