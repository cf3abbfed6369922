"""Web load: locust against gunicorn + the configured database + real relay workers (`bench web`).

Method (docs/benchmarks.md, "Web load"), all in one run on the same machine:
1. Data: the demo register (seed_demo) plus `--users` × 10 bench citizens at the demo GP office
   (its timebooks serve the bookings), each with dialog threads, a session ready for locust,
   and a login password (one real PBKDF2 hash, shared).
2. gunicorn (gthread: `--workers` processes × `--threads` threads, DEBUG off, collected static)
   with load shedding at HN_MAX_CONCURRENT_REQUESTS per process, and one Celery worker per
   side for the messages the scenario sends.
3. Phases, each `--duration` seconds, each a headless locust run of bench/locustfile.py:
   a. capacity of the yardstick (a view reading one row by unique index), closed loop with
      `--limit` users (as many as one process admits, so nothing is shed), no think time;
      then the same view with a citizen's session (session, user and staff memberships read,
      no template): the floor every signed-in page stands on, and so the most it can reach;
   b. capacity of the inbox page, the same way: throughput ratio b / a;
   c. the citizen scenario at `--users` with 1–3 s think time: inbox, threads, booking, send —
      p50/p95 per page, errors;
   d. logins (the form, PBKDF2) at `--login-users`, apart from page views;
   e. spike: `--users` for 20 s, 10× for `--spike-seconds`, `--users` again for 60 s+; p95 per
      5 s window, sheds (503/429 + Retry-After), timeouts, and seconds after the spike until
      the window p95 is back within 1.5× the pre-spike p95.
"""

import csv
import importlib.util
import io
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
import uuid
from collections import defaultdict
from pathlib import Path

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.utils import timezone

from accounts.models import Person, User
from accounts.nin import nin_generate
from bench.scale import percentile
from clinics.models import HealthContact, Service
from epj.services import epj_relationship_register
from messaging.dialogs.models import DialogMessage, Kind, Thread
from messaging.relay.workers import worker_processes
from national.services import residents_load_from

BENCH_DOMAIN = "bench.local"
BENCH_PASSWORD = "Lasttest-passord-2026"
DEMO_GP_HER_ID = 8140011  # "Fastlege Kari Lege" in clinics/demo.py: offers e-kontakt and booking
THREADS_EACH = 3
SPIKE_FACTOR = 10
LOCUSTFILE = Path(__file__).with_name("locustfile.py")
TIMEOUT_MS = 29_000  # bench/locustfile.py gives up after 30 s


def add_arguments(parser):
    parser.add_argument("--users", type=int, default=50, help="concurrent citizens in the scenario")
    parser.add_argument("--duration", type=int, default=30, help="seconds per phase")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn processes")
    parser.add_argument("--threads", type=int, default=16, help="gunicorn threads per process")
    parser.add_argument("--limit", type=int, default=12, help="HN_MAX_CONCURRENT_REQUESTS per process")
    parser.add_argument("--login-users", type=int, default=4, help="concurrent users in the login phase")
    parser.add_argument("--spike-seconds", type=int, default=30)
    parser.add_argument("--no-spike", action="store_true")
    parser.add_argument("--port", type=int, default=0, help="gunicorn port (default: a free one)")


def run(command, *, users, duration, workers, threads, limit, login_users, spike_seconds, no_spike, port, **_):
    if importlib.util.find_spec("locust") is None:
        raise RuntimeError(
            "bench web drives locust, a dev-only tool that is not installed here: "
            "install requirements-dev.txt (make install-dev)."
        )
    out = command.stdout
    work = Path(settings.VAR_DIR) / "bench" / f"web-{time.strftime('%Y%m%d-%H%M%S')}"
    work.mkdir(parents=True, exist_ok=True)
    db = "PostgreSQL" if settings.IS_POSTGRES else "SQLite"
    out.write(
        f"Web-benchmark: {db}, gunicorn {workers}×{threads} (grense {limit}/prosess), "
        f"{users} brukere, {duration} s per fase. Logger i {work}"
    )
    call_command("seed_demo", stdout=io.StringIO())
    profiles = _bench_citizens(users * SPIKE_FACTOR)
    users_file = work / "users.json"
    users_file.write_text(json.dumps(profiles))
    out.write(f"{len(profiles)} testinnbyggere klare.")
    port = port or _free_port()
    env = _server_env(limit)
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=settings.BASE_DIR, env=env, check=True
    )
    base = f"http://127.0.0.1:{port}"
    with worker_processes(env=env, log_dir=work), _gunicorn(env, port, workers, threads, work) as server:
        _wait_up(base, server)
        # Enough closed-loop users to keep both cores busy, never more than one process admits
        # (gunicorn does not spread connections evenly), so capacity is measured without sheds.
        admitted = limit
        phases = {}

        def phase(name, user_class, n, seconds, extra_env=None):
            log = work / f"{name}.csv"
            _locust(base, user_class, n, seconds, users_file, log, work / f"{name}.out", extra_env)
            phases[name] = _read_log(log)
            return phases[name]

        out.write("a) Målestokk: én rad via unik indeks …")
        yardstick = _summary(phase("yardstick", "MinimalViewUser", admitted, duration), duration)
        out.write("a2) Målestokken innlogget (økt, bruker, medlemskap; ingen mal) …")
        signed_in = _summary(phase("yardstick-signed-in", "SignedInMinimalViewUser", admitted, duration), duration)
        out.write("b) Innboksen, samme belastning …")
        inbox = _summary(phase("inbox", "InboxUser", admitted, duration), duration)
        out.write(f"c) Scenario: {users} innbyggere med tenketid …")
        scenario = phase("scenario", "CitizenUser", users, duration * 2)
        out.write(f"d) Innlogging ({login_users} samtidige) …")
        logins = _summary(phase("login", "LoginUser", login_users, duration), duration, "login: post")
        spike = None
        if not no_spike:
            after = max(75, duration * 2)
            out.write(f"e) Topp: {users} → {users * SPIKE_FACTOR} brukere i {spike_seconds} s → {users} i {after} s …")
            spike_rows = phase(
                "spike",
                "CitizenUser",
                users,
                20 + spike_seconds + after,
                extra_env={"HN_LOAD_SPIKE": f"20,{spike_seconds},{after}", "HN_LOAD_BASE": str(users)},
            )
            spike = (spike_rows, 20, spike_seconds)
    _report(out, yardstick, signed_in, inbox, scenario, duration * 2, logins, spike, users, admitted)


# --- data --------------------------------------------------------------------------------


def _bench_citizens(count: int) -> list[dict]:
    """Citizens bench0…bench{count-1} at the demo GP, with threads and a ready session (idempotent)."""
    service = Service.objects.select_related("organisation").get(her_id=DEMO_GP_HER_ID)
    password = make_password(BENCH_PASSWORD)
    now = timezone.now()
    profiles = []
    existing = {u.email: u for u in User.objects.filter(email__endswith=f"@{BENCH_DOMAIN}").select_related("person")}
    used = set(Person.objects.values_list("nin", flat=True))
    # Only operators log in with a password (citizens come through ID-porten): the login phase
    # measures that form, PBKDF2 included; a success lands on the TOTP step.
    operator_email = f"bench-drift@{BENCH_DOMAIN}"
    User.objects.update_or_create(email=operator_email, defaults={"password": password, "is_staff": True})
    for n in range(count):
        email = f"bench{n}@{BENCH_DOMAIN}"
        user = existing.get(email)
        if user is None:
            with transaction.atomic():
                person = Person.objects.create(
                    nin=_fresh_nin(n, used), given_name="Last", family_name=f"Test {n}", birth_date=_birth_of(n)
                )
                user = User.objects.create(email=email, password=password, person=person)
                HealthContact.objects.create(person=person, service=service)
                residents_load_from(people=[person])
                epj_relationship_register(service=service, nin=person.nin)
                for i in range(THREADS_EACH):
                    thread = Thread.objects.create(
                        person=person,
                        service=service,
                        kind=Kind.EKONTAKT,
                        subject=f"Tidligere samtale {i}",
                        conversation_ref=str(uuid.uuid4()),
                        last_activity_at=now,
                    )
                    DialogMessage.objects.create(
                        thread=thread,
                        direction=DialogMessage.Direction.OUT,
                        msg_id=str(uuid.uuid4()),
                        subject=thread.subject,
                        text="Hei",
                        delivery=DialogMessage.Delivery.DELIVERED,
                        written_by=person,
                    )
                    DialogMessage.objects.create(
                        thread=thread,
                        direction=DialogMessage.Direction.IN,
                        msg_id=str(uuid.uuid4()),
                        text="Svar fra legen",
                        delivery=DialogMessage.Delivery.RECEIVED,
                        author_name="Kari Lege",
                    )
        client = Client()
        client.force_login(user)
        contact = HealthContact.objects.get(person=user.person, service=service)
        profiles.append(
            {
                "email": email,
                "operator_email": operator_email,
                "password": BENCH_PASSWORD,
                "session": client.cookies["sessionid"].value,
                "contact_id": contact.pk,
                "service_id": service.pk,
                "her_id": service.organisation.her_id,
                "threads": list(Thread.objects.filter(person=user.person).values_list("pk", flat=True)),
            }
        )
    return profiles


def _birth_of(n: int):
    return timezone.localdate().replace(year=1950 + n % 40, month=1 + n % 12, day=1 + n % 28)


def _fresh_nin(n: int, used: set) -> str:
    birth = _birth_of(n)
    for serial in range(60, 200):
        nin = nin_generate(birth, female=n % 2 == 0, serial=serial)
        if nin not in used:
            used.add(nin)
            return nin
    raise RuntimeError(f"no free synthetic number for {birth}")


# --- processes ---------------------------------------------------------------------------


def _server_env(limit: int) -> dict:
    return dict(
        # The same key as this process: the sessions made here for locust must verify there.
        os.environ,
        PYTHONUNBUFFERED="1",
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY=settings.SECRET_KEY,
        # Production settings plus the yardstick URL, for gunicorn, collectstatic and the workers.
        DJANGO_SETTINGS_MODULE="bench.settings",
        HN_MAX_CONCURRENT_REQUESTS=str(limit),
        HN_ALLOW_SYNTHETIC_NIN="true",
        HN_VAR_DIR=str(settings.VAR_DIR),
        # Locust logs everyone in from 127.0.0.1; real citizens come from many addresses.
        HN_LOGIN_RATE="1000000/m/ip",
        HN_LOGIN_FAILED_RATE="1000000/m/ip",
        HN_LOG_LEVEL="WARNING",
    )


class _gunicorn:
    def __init__(self, env, port, workers, threads, work):
        self.args = [
            sys.executable,
            "-m",
            "gunicorn",
            "helsenorge.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--worker-class",
            "gthread",
            "--backlog",
            "2048",
            "--timeout",
            "60",
            "--log-level",
            "warning",
            # Longer than a user's think time: else the server closes idle connections
            # just as the client reuses them (connection reset, counted as an error).
            "--keep-alive",
            "30",
        ]
        self.env, self.log = env, work / "gunicorn.log"

    def __enter__(self):
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(
                self.args,
                env=self.env,
                cwd=settings.BASE_DIR,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    def __exit__(self, *exc):
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_up(base: str, server) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            break
        try:
            with urllib.request.urlopen(f"{base}/helse/", timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"gunicorn did not come up: {server.log.read_text(errors='replace')[-2000:]}")


def _locust(base, user_class, users, seconds, users_file, log, out, extra_env=None):
    env = dict(os.environ, HN_LOAD_USERS=str(users_file), HN_LOAD_LOG=str(log), **(extra_env or {}))
    args = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(LOCUSTFILE),
        "--headless",
        "--host",
        base,
        "--only-summary",
        "--stop-timeout",
        "10",
        user_class,
    ]
    if "HN_LOAD_SPIKE" not in env:
        # Arrive over about 5 s (a closed-loop capacity run starts at once); the spike shape
        # sets its own rate.
        rate = users if user_class in ("MinimalViewUser", "InboxUser") else max(users // 5, 1)
        args += ["--users", str(users), "--spawn-rate", str(rate), "--run-time", f"{seconds}s"]
    with open(out, "wb") as sink:
        subprocess.run(
            args,
            env=env,
            cwd=settings.BASE_DIR,
            stdout=sink,
            stderr=subprocess.STDOUT,
            timeout=seconds + 180,
            check=False,
        )


# --- figures -----------------------------------------------------------------------------


def _read_log(path: Path) -> list[tuple]:
    """(start, name, ms, status, retry_after, failed) per request."""
    if not path.exists():
        raise RuntimeError(f"locust wrote no request log ({path}); see {path.with_suffix('.out')}")
    with open(path) as f:
        return [(float(r[0]), r[1], float(r[2]), int(r[3]), r[4], r[5] == "1") for r in csv.reader(f) if len(r) == 6]


def _timed_out(row) -> bool:
    return row[3] == 0 and row[2] >= TIMEOUT_MS


def _is_shed(row) -> bool:
    return row[3] in (429, 503) and bool(row[4])


def _summary(rows, seconds, name=None) -> dict:
    """p50/p95 and throughput of answered requests (sheds and failures counted apart)."""
    rows = [r for r in rows if name is None or r[1] == name]
    served = [r for r in rows if not r[5] and not _is_shed(r)]
    times = [r[2] for r in served]
    return {
        "n": len(rows),
        "ok": len(served),
        "shed": sum(_is_shed(r) for r in rows),
        "errors": sum(r[5] for r in rows),
        "timeouts": sum(_timed_out(r) for r in rows),
        "no_answer": sum(r[3] == 0 for r in rows),
        "p50": statistics.median(times) if times else float("nan"),
        "p95": percentile(times, 0.95) if times else float("nan"),
        "rps": len(served) / seconds,
    }


def _line(label, s) -> str:
    return (
        f"  {label:<24} p50 {s['p50']:7.1f} ms  p95 {s['p95']:7.1f} ms  {s['rps']:6.1f}/s  "
        f"n={s['n']} shed={s['shed']} feil={s['errors']} (uten svar {s['no_answer']}, tidsavbrudd {s['timeouts']})"
    )


def _report(out, yardstick, signed_in, inbox, scenario, scenario_seconds, logins, spike, users, admitted):
    out.write("")
    out.write(f"Kapasitet (lukket sløyfe, {admitted} samtidige, ingen tenketid):")
    out.write(_line("målestokk (én rad)", yardstick))
    out.write(_line("målestokk, innlogget", signed_in))
    out.write(_line("innboks", inbox))
    if yardstick["rps"]:
        out.write(f"  innboks / målestokk gjennomstrømning = {inbox['rps'] / yardstick['rps']:.2f}")
        # The most any signed-in page can reach against the anonymous yardstick in this run.
        out.write(f"  innlogget målestokk / målestokk = {signed_in['rps'] / yardstick['rps']:.2f}")
    else:
        out.write("  (målestokken svarte ikke)")
    out.write(f"Scenario, {users} innbyggere med 1–3 s tenketid:")
    names = sorted({r[1] for r in scenario})
    for name in names:
        out.write(_line(name, _summary(scenario, scenario_seconds, name)))
    total = _summary(scenario, scenario_seconds)
    out.write(_line("alle sider", total))
    out.write("Innlogging (skjema + PBKDF2), målt for seg:")
    out.write(_line("innlogging (post)", logins))
    if spike:
        _spike_report(out, *spike)


def _spike_report(out, rows, before, spike_seconds, window=5.0):
    start = min(r[0] for r in rows)
    spike_start, spike_end = start + before, start + before + spike_seconds
    pages = [r for r in rows if r[1] in ("inbox", "thread")]
    buckets = defaultdict(list)
    for r in pages:
        buckets[int((r[0] - start) // window)].append(r)
    # Pre-spike p95 from its steady part (after the users' first 5 s of arriving).
    baseline = [r[2] for r in pages if start + 5 <= r[0] < spike_start and not r[5] and not _is_shed(r)]
    base_p95 = percentile(baseline, 0.95) if baseline else float("nan")
    out.write(f"Topp (innboks + samtale), p95 per {window:g} s-vindu (pre-topp p95 {base_p95:.1f} ms):")
    recovered_at = None
    for index in sorted(buckets):
        group = buckets[index]
        served = [r[2] for r in group if not r[5] and not _is_shed(r)]
        p95 = percentile(served, 0.95) if served else float("nan")
        t = index * window
        phase = "før" if start + t < spike_start else ("TOPP" if start + t < spike_end else "etter")
        out.write(
            f"  t={t:5.0f} s {phase:<5} n={len(group):4d} p95 {p95:7.1f} ms shed={sum(map(_is_shed, group)):4d} "
            f"feil={sum(r[5] for r in group)}"
        )
        if phase == "etter" and recovered_at is None and served and p95 <= 1.5 * base_p95:
            recovered_at = start + t - spike_end
    shed = [r for r in rows if _is_shed(r)]
    timeouts = sum(_timed_out(r) for r in rows)
    no_answer = sum(r[3] == 0 for r in rows)
    errors = sum(r[5] for r in rows)
    out.write(
        f"  avvist med 503/429 + Retry-After: {len(shed)}; feil: {errors} "
        f"(uten svar {no_answer}, av dem tidsavbrudd {timeouts})"
    )
    if recovered_at is None:
        out.write("  p95 kom IKKE tilbake til ≤ 1,5 × pre-topp i måleperioden")
    else:
        out.write(f"  p95 tilbake til ≤ 1,5 × pre-topp {max(recovered_at, 0):.0f} s etter toppen")
