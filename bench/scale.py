"""Citizen inbox and clinic desk inbox latency on the current database (`manage.py bench scale`).

Method (docs/benchmarks.md, "Scale"): in one process, through Django's full request stack
(middleware, sessions, templates; no network), GET the citizen inbox (`/meldinger/`) as random
seeded citizens and the desk inbox (`/klinikk/<org>/saker/`) as random seeded clinicians,
`--requests` times each after a warm-up, and print p50/p95 and queries per page. The same run
measures the health view (`/helse/`, one SELECT) as a yardstick, so a figure taken on a busy
machine can be compared as a ratio. Run it on a small and on a large database seeded by
`manage.py seed_scale` with the same citizens-to-messages ratio and compare.
"""

import contextlib
import random
import statistics
import time
from dataclasses import dataclass

from django.db import connection, connections
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import User
from bench.scale_data import SCALE_DOMAIN
from clinics.models import StaffMembership


def add_arguments(parser):
    parser.add_argument("--requests", type=int, default=300, help="requests per page kind")
    parser.add_argument("--users", type=int, default=100, help="distinct citizens / clinicians to sample")
    parser.add_argument("--seed", type=int, default=7)


@dataclass
class Figures:
    name: str
    p50_ms: float
    p95_ms: float
    queries: float

    per_store: dict[str, float]

    def line(self) -> str:
        stores = ", ".join(f"{alias} {count:.1f}" for alias, count in self.per_store.items())
        return (
            f"{self.name:<22} p50 {self.p50_ms:7.1f} ms   p95 {self.p95_ms:7.1f} ms   "
            f"{self.queries:4.1f} queries/page ({stores})"
        )


def percentile(values, fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def _measure(name: str, requests: list[tuple[User | None, str]]) -> Figures:
    clients: dict[int | None, Client] = {}
    timings: list[float] = []
    queries: dict[str, list[int]] = {alias: [] for alias in connections}  # every store the page reads
    for user, url in requests[: min(20, len(requests))]:  # warm-up: connections, template cache
        _client_for(clients, user).get(url)
    for user, url in requests:
        client = _client_for(clients, user)
        with contextlib.ExitStack() as stack:
            captured = {alias: stack.enter_context(CaptureQueriesContext(connections[alias])) for alias in queries}
            started = time.perf_counter()
            response = client.get(url)
            timings.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"{url} as {user} answered {response.status_code}")
        for alias, statements in captured.items():
            queries[alias].append(len(statements))
    per_store = {alias: statistics.mean(counts) for alias, counts in queries.items()}
    return Figures(name, statistics.median(timings), percentile(timings, 0.95), sum(per_store.values()), per_store)


def _measure_in_portal(name: str, visits):
    """The EPJ's desk page measured through this process, as the test suite reaches it (its own
    process, epj/site/, serves it the same way with its own login in front)."""
    with override_settings(HN_EPJ_IN_PORTAL=True):
        return _measure(name, visits)


def _client_for(clients: dict, user) -> Client:
    key = user.pk if user else None
    if key not in clients:
        clients[key] = Client()
        if user:
            clients[key].force_login(user)
    return clients[key]


def run(command, *, requests: int, users: int, seed: int, **_):
    rng = random.Random(seed)
    citizens = list(
        User.objects.filter(email__endswith=f"@{SCALE_DOMAIN}", person__dialog_threads__isnull=False)
        .distinct()
        .order_by("pk")[: users * 20]
    )
    memberships = list(
        StaffMembership.objects.filter(user__email__endswith=f"@{SCALE_DOMAIN}")
        .select_related("user")
        .order_by("pk")[: users * 20]
    )
    if not citizens or not memberships:
        raise RuntimeError("No scale data here: run `manage.py seed_scale` first.")
    citizens = rng.sample(citizens, min(users, len(citizens)))
    memberships = rng.sample(memberships, min(users, len(memberships)))
    inbox, health = reverse("dialogs:inbox"), reverse("health")
    from messaging.dialogs.models import DialogMessage  # counts for the report only

    command.stdout.write(
        f"Database: {connection.vendor} {connection.settings_dict['NAME']}, "
        f"{DialogMessage.objects.count()} dialog messages, {User.objects.count()} users"
    )
    figures = [
        _measure("health (yardstick)", [(None, health)] * requests),
        _measure("citizen inbox", [(rng.choice(citizens), inbox) for _ in range(requests)]),
        _measure_in_portal(
            "clinic desk inbox",
            [
                (m.user, reverse("desk:cases", args=[m.organisation_id]))
                for m in (rng.choice(memberships) for _ in range(requests))
            ],
        ),
    ]
    for figure in figures:
        command.stdout.write(figure.line())
    yardstick = figures[0].p95_ms
    for figure in figures[1:]:
        command.stdout.write(f"{figure.name} p95 / health p95 = {figure.p95_ms / yardstick:.1f}")
