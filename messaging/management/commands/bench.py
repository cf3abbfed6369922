"""`manage.py bench <what> ...`: the project's benchmarks, one subcommand per area.

Pluggable: add a line to BENCHMARKS naming a module with `add_arguments(parser)` and
`run(command, **options)`; `run` prints its figures with command.stdout.write.
"""

import importlib

from django.core.management.base import BaseCommand, CommandError

BENCHMARKS = {
    "relay": "helsenorge.relay_bench",
    "booking": "appointments.bench",
    "scale": "helsenorge.bench_scale",
    "web": "helsenorge.bench_web",
}


class Command(BaseCommand):
    help = "Run a benchmark: " + ", ".join(sorted(BENCHMARKS))

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="benchmark", required=True)
        for name, module in sorted(BENCHMARKS.items()):
            bench = importlib.import_module(module)
            bench.add_arguments(sub.add_parser(name, help=(bench.__doc__ or "").strip().splitlines()[0]))

    def handle(self, *args, benchmark, **options):
        bench = importlib.import_module(BENCHMARKS[benchmark])
        try:
            bench.run(self, **options)
        except RuntimeError as error:
            raise CommandError(str(error)) from None
