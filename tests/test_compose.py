"""docker-compose.yml (and the Procfile `make run` uses) describe processes that exist in this project.

There is no Docker engine here, so instead of starting containers this reads the files and
checks each command against the code: the WSGI module imports, the Celery app is found the
way `celery -A` finds it, every queue a worker consumes is one the settings route to (and
every routed queue has a worker), manage.py commands exist, and every variable the app
containers set is read by the settings. The web and worker containers' commands and health checks are
run for real (gunicorn on a free port; celery workers on Redis), with the containers' environment.
"""

import os
import re
import shlex
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.core.management import get_commands

from tests.test_settings_env import SECRET, clean_environ

ROOT = Path(settings.BASE_DIR)
APP_SERVICES = ("web", "worker-portal", "worker-epj", "beat", "migrate")
WORKERS = ("worker-portal", "worker-epj")


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def procfile():
    entries = {}
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, command = line.split(":", 1)
            entries[name.strip()] = shlex.split(command)
    return entries


def interpolate(value, provided):
    """Compose's ${VAR}, ${VAR:-default} and ${VAR:?error} with `provided` as the shell environment."""

    def one(match):
        name, op, arg = match.group(1), match.group(2), match.group(3)
        if name in provided and provided[name] != "":
            return provided[name]
        if op == ":-":
            return arg
        if op == ":?":
            raise AssertionError(f"compose requires {name}: {arg}")
        return ""

    return re.sub(r"\$\{([A-Z0-9_]+)(?:(:-|:\?)([^}]*))?\}", one, str(value))


# What an operator's .env provides (see .env.example).
DOT_ENV = {
    "DJANGO_SECRET_KEY": SECRET,
    "POSTGRES_PASSWORD": "test-only-postgres-password",
    "RABBITMQ_PASSWORD": "test-only-rabbitmq-password",
}


def container_env(compose, service, provided=None):
    provided = {**DOT_ENV, **(provided or {})}
    env = compose["services"][service].get("environment", {})
    return {key: interpolate(value, provided) for key, value in env.items()}


def dockerfile_text():
    return (ROOT / "Dockerfile").read_text().replace("\\\n", " ")


def image_variables(schema_dir):
    """Our variables the Dockerfile sets with ENV, with the image's schema folder mapped to schema_dir."""
    found: dict[str, str] = {}
    for line in re.findall(r"^ENV (.*)$", dockerfile_text(), re.M):
        for word in shlex.split(line):
            key, value = word.split("=", 1)
            found[key] = value
    ours = {key: value for key, value in found.items() if key.startswith("HN_")}
    assert "HN_SCHEMA_DIR" in ours, "the image must say where its XSDs are"
    return {**ours, "HN_SCHEMA_DIR": str(schema_dir)}


@pytest.fixture
def image_env(production_schemas):
    return image_variables(production_schemas["HN_SCHEMA_DIR"])


def celery_args(command):
    """Options of a `celery -A app <sub> ...` command as a dict (flag -> value)."""
    assert command[:3] == ["celery", "-A", "helsenorge"] or command[0].endswith("celery"), command
    options, i = {}, 1
    while i < len(command):
        token = command[i]
        if token.startswith("-") and i + 1 < len(command) and not command[i + 1].startswith("-"):
            options[token] = command[i + 1]
            i += 2
        else:
            options.setdefault("positional", []).append(token)
            i += 1
    return options


# --- the stack's shape ----------------------------------------------------------------------


def test_services_health_checks_and_volumes(compose):
    services = compose["services"]
    for name in ("postgres", "redis", "web", *WORKERS, "beat"):
        assert name in services, name
    # Everything that serves or consumes has a health check; beat has no endpoint to ask.
    for name in ("postgres", "redis", "web", *WORKERS):
        assert services[name]["healthcheck"]["test"], name
    assert "pgdata:/var/lib/postgresql/data" in services["postgres"]["volumes"]
    assert "pgdata" in compose["volumes"]
    for name in APP_SERVICES:
        depends = services[name]["depends_on"]
        assert depends["postgres"]["condition"] == "service_healthy"
        assert depends["redis"]["condition"] == "service_healthy"
    # The app only starts once its tables exist.
    for name in ("web", *WORKERS, "beat"):
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully", name
    for name in WORKERS:
        assert services[name]["deploy"]["replicas"] >= 1


def test_no_secret_or_password_has_a_default(compose):
    """Every secret comes from the operator's .env: compose stops, naming it, when one is missing,
    and .env.example lists each one without a value."""
    text = (ROOT / "docker-compose.yml").read_text()
    references = re.findall(r"\$\{([A-Z0-9_]+)(:-|:\?)?", text)
    secret = [(name, op) for name, op in references if re.search("PASSWORD|SECRET|TOKEN|KEY", name)]
    assert {name for name, _op in secret} == {"DJANGO_SECRET_KEY", "POSTGRES_PASSWORD", "RABBITMQ_PASSWORD"}
    assert all(op == ":?" for _name, op in secret), secret
    for name, services in (
        ("DJANGO_SECRET_KEY", ("postgres", "web")),
        ("POSTGRES_PASSWORD", ("postgres", "web")),
        ("RABBITMQ_PASSWORD", ("rabbitmq",)),
    ):
        with pytest.raises(AssertionError, match=f"compose requires {name}"):
            for service in services:
                container_env(compose, service, {name: ""})
    example = dict(
        line.split("=", 1) for line in (ROOT / ".env.example").read_text().splitlines() if re.match(r"^[A-Z_]+=", line)
    )
    assert example == {"DJANGO_SECRET_KEY": "", "POSTGRES_PASSWORD": "", "RABBITMQ_PASSWORD": ""}
    assert ".env" in (ROOT / ".gitignore").read_text().split()
    assert container_env(compose, "postgres")["POSTGRES_PASSWORD"] == DOT_ENV["POSTGRES_PASSWORD"]
    assert DOT_ENV["POSTGRES_PASSWORD"] in container_env(compose, "web")["DATABASE_URL"]


def test_redis_keeps_queued_messages(compose):
    command = " ".join(compose["services"]["redis"]["command"])
    assert "--appendonly yes" in command
    assert "--maxmemory-policy noeviction" in command
    assert any(v.endswith(":/data") for v in compose["services"]["redis"]["volumes"])


# --- each command refers to something that exists -----------------------------------------------


def test_web_command_serves_the_projects_wsgi_application(compose):
    command = compose["services"]["web"]["command"]
    assert command[0] == "gunicorn"
    module, attribute = command[1].split(":")
    assert (module, attribute) == ("helsenorge.wsgi", "application")
    import importlib

    assert callable(getattr(importlib.import_module(module), attribute))
    assert f"{module}.{attribute}" == settings.WSGI_APPLICATION


@pytest.mark.parametrize("service", [*WORKERS, "beat"])
def test_celery_commands_name_the_projects_app(compose, service):
    from celery import Celery
    from celery.app.utils import find_app

    command = compose["services"][service]["command"]
    assert command[:3] == ["celery", "-A", "helsenorge"]
    app = find_app(command[2])  # what `celery -A helsenorge` loads
    assert isinstance(app, Celery) and app.main == "helsenorge"
    assert command[3] in {"worker", "beat"}


def test_manage_py_commands_exist(compose):
    for name, service in compose["services"].items():
        command = service.get("command") or []
        if "manage.py" in command:
            assert command[command.index("manage.py") + 1] in get_commands(), name


def configured_queues():
    """Every queue a task can be sent to: the default queue, routes and the relay's per-side queues."""
    queues = {settings.CELERY_TASK_DEFAULT_QUEUE}
    queues |= {route["queue"] for route in getattr(settings, "CELERY_TASK_ROUTES", {}).values() if "queue" in route}
    queues |= set(getattr(settings, "RELAY_QUEUES", ()))
    queues |= {q if isinstance(q, str) else q.name for q in (getattr(settings, "CELERY_TASK_QUEUES", None) or ())}
    return queues


def worker_queues(commands):
    return {name: set(celery_args(command)["-Q"].split(",")) for name, command in commands.items()}


def compose_workers(compose):
    return {name: compose["services"][name]["command"] for name in WORKERS}


def procfile_workers():
    return {name: command for name, command in procfile().items() if name.startswith("worker")}


@pytest.mark.parametrize("source", ["docker-compose.yml", "Procfile"])
def test_worker_queues_are_the_configured_queues(compose, source):
    commands = compose_workers(compose) if source == "docker-compose.yml" else procfile_workers()
    queues = worker_queues(commands)
    consumed = set().union(*queues.values())
    assert consumed == configured_queues(), "a worker consumes an unknown queue, or a routed queue has no worker"
    # Each side's worker takes its own side's queues only (the portal and the EPJ never share a process).
    assert all(q.startswith("portal.") for q in queues[next(n for n in queues if "portal" in n)])
    assert all(q.startswith("epj.") for q in queues[next(n for n in queues if "epj" in n)])


def test_beat_tasks_go_to_a_consumed_queue(compose):
    consumed = set().union(*worker_queues(compose_workers(compose)).values())
    routes = getattr(settings, "CELERY_TASK_ROUTES", {})
    for entry in getattr(settings, "CELERY_BEAT_SCHEDULE", {}).values():
        queue = entry.get("options", {}).get("queue") or routes.get(entry["task"], {}).get(
            "queue", settings.CELERY_TASK_DEFAULT_QUEUE
        )
        assert queue in consumed, entry["task"]


def test_worker_health_checks_ping_their_own_node(compose):
    for name in WORKERS:
        service = compose["services"][name]
        node_prefix = celery_args(service["command"])["-n"].split("@")[0]
        check = " ".join(service["healthcheck"]["test"][1:])
        assert "celery -A helsenorge inspect ping" in check
        # $$ is compose's escape for a literal $, so the shell sees $HOSTNAME (= celery's %h in a container).
        assert f"-d {node_prefix}@$$HOSTNAME" in check


# --- the environment the app containers get ---------------------------------------------------


def variables_read_by_settings():
    """Names passed to the env_* readers or os.environ in the settings package."""
    names = set()
    for path in (ROOT / "helsenorge").glob("*.py"):
        text = path.read_text()
        names |= set(re.findall(r"env_\w+\(\s*[\"']([A-Z][A-Z0-9_]+)[\"']", text))
        names |= set(re.findall(r"os\.environ(?:\.get|\.setdefault)?[\(\[]\s*[\"']([A-Z][A-Z0-9_]+)[\"']", text))
    return names


@pytest.mark.parametrize("service", APP_SERVICES)
def test_every_variable_the_containers_set_is_read_by_settings(compose, service):
    unread = set(container_env(compose, service)) - variables_read_by_settings()
    assert not unread, f"{service} sets variables nothing reads: {sorted(unread)}"


def run_manage(env, *args):
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        capture_output=True,
        text=True,
        env={**clean_environ(), **env},
        cwd=ROOT,
        timeout=120,
    )


def test_container_environment_passes_the_deploy_check(compose, tmp_path, image_env):
    env = {
        **image_env,
        **container_env(compose, "web"),
        "HN_VAR_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "helsenorge.settings",
    }
    result = run_manage(env, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
    # The worker health checks use remote control, which the settings switch on for Redis.
    shown = run_manage(
        env,
        "shell",
        "--no-imports",
        "-c",
        "from django.conf import settings as s; print(s.CELERY_WORKER_ENABLE_REMOTE_CONTROL)",
    )
    assert shown.stdout.strip() == "True", shown.stderr


def build_steps():
    steps = re.findall(r"^RUN (.*manage\.py.*)$", dockerfile_text(), re.M)
    assert steps
    for step in steps:
        words = shlex.split(step)
        env = dict(w.split("=", 1) for w in words[: words.index("python")])
        command = words[words.index("manage.py") + 1]
        assert command in get_commands()
        yield step, env


def test_image_build_steps_run(tmp_path, image_env):
    """The Dockerfile's `manage.py` build steps start with the variables the Dockerfile gives them."""
    for step, env in build_steps():
        result = run_manage({**image_env, **env, "HN_VAR_DIR": str(tmp_path)}, "check")
        assert result.returncode == 0, f"{step}: {result.stderr.strip().splitlines()[-1:]}"


def test_image_takes_the_xsds_from_the_schemas_build_context(compose):
    """The XSDs come from a build context outside the repository, land where HN_SCHEMA_DIR points."""
    text = dockerfile_text()
    target = re.search(r"^COPY --from=schemas \S+ (\S+)$", text, re.M)
    assert target, "the Dockerfile copies the XSDs from the `schemas` build context"
    assert re.search(r"^FROM scratch AS schemas$", text, re.M), "an empty default stage, so a build without them fails"
    assert image_variables("x")["HN_REQUIRE_SCHEMAS"] == "true"
    env_line = re.search(r"^ENV .*HN_SCHEMA_DIR=(\S+)", text, re.M)
    assert env_line and env_line.group(1).rstrip("/") == target.group(1).rstrip("/")
    contexts = compose["x-app"]["build"]["additional_contexts"]
    assert interpolate(contexts["schemas"], {}) == "../shared/schemas"
    tracked = subprocess.run(["git", "ls-files", "*.xsd"], cwd=ROOT, capture_output=True, text=True)
    assert tracked.returncode != 0 or not tracked.stdout.strip(), "third-party XSDs never go into the repository"


def test_image_build_without_the_schemas_context_stops_naming_hn_schema_dir(tmp_path):
    """Built without `--build-context schemas=…` the image has an empty schema folder: the build step refuses."""
    empty = tmp_path / "hn-schemas"
    empty.mkdir()
    for _step, env in build_steps():
        result = run_manage({**image_variables(empty), **env, "HN_VAR_DIR": str(tmp_path / "var")}, "check")
        assert result.returncode != 0
        last = result.stderr.strip().splitlines()[-1]
        assert last.startswith("django.core.exceptions.ImproperlyConfigured: HN_SCHEMA_DIR="), last
        assert str(empty) in last


# --- the web container's command and health check, run for real ----------------------------------


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_web_command_and_health_check_work_with_production_settings(compose, tmp_path, image_env):
    service = compose["services"]["web"]
    port = free_port()
    env = {**clean_environ(), **image_env, **container_env(compose, "web")}
    # Only the database host differs from the container: local SQLite files stand in for `postgres`.
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        NATIONAL_DATABASE_URL=f"sqlite:///{tmp_path / 'national.sqlite3'}",
        HN_VAR_DIR=str(tmp_path / "var"),
        DJANGO_SETTINGS_MODULE="helsenorge.settings",
    )
    command = [part.replace("0.0.0.0:8000", f"127.0.0.1:{port}") for part in service["command"]]
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    server = subprocess.Popen(
        [gunicorn, *command[1:]], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert server.poll() is None, server.stderr.read()
                assert time.monotonic() < deadline, "gunicorn did not start listening"
                time.sleep(0.2)
        kind, *check = service["healthcheck"]["test"]
        assert kind == "CMD"
        check = [sys.executable if part == "python" else part.replace(":8000/", f":{port}/") for part in check]
        # Like Docker: the container is healthy once a check passes within `retries` attempts (a
        # busy machine may still be booting gunicorn's workers on the first).
        for _attempt in range(service["healthcheck"]["retries"]):
            result = subprocess.run(check, env=env, capture_output=True, text=True, timeout=30)
            if result.returncode == 0:
                break
            assert server.poll() is None, server.stderr.read()
        assert result.returncode == 0, result.stderr
        # The control: a plain request without the proxy's headers is redirected to HTTPS, so the
        # check above passed because it speaks like the proxy, not because security is off.
        request = urllib.request.Request(f"http://127.0.0.1:{port}/helse/", headers={"Host": "localhost"})
        opener = urllib.request.build_opener(NoRedirect)
        with pytest.raises(urllib.error.HTTPError) as exc:
            opener.open(request, timeout=10)
        assert exc.value.code == 301 and exc.value.headers["Location"].startswith("https://")
    finally:
        server.terminate()
        server.wait(timeout=30)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


# --- a worker container's command and health check, run for real on Redis -----------------------------


def redis_for_workers():
    """The broker the suite runs on when it is Redis; otherwise a local Redis (CI has one on both passes)."""
    from tests.conftest import require_or_skip

    url = settings.CELERY_BROKER_URL
    if not url.startswith("redis"):
        url = os.environ.get("HN_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
        reachable = True
    except redis.exceptions.RedisError:
        reachable = False
    require_or_skip(reachable, f"no Redis at {url} for the worker health check (set HN_TEST_REDIS_URL)")
    return url


@pytest.mark.parametrize("service", WORKERS)
def test_worker_command_and_health_check_work_on_redis(compose, tmp_path, service, image_env):
    broker = redis_for_workers()
    spec = compose["services"][service]
    hostname = f"test-{os.getpid()}-{service}"  # unique, so no other worker on this broker answers
    env = {**clean_environ(), **image_env, **container_env(compose, service)}
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        NATIONAL_DATABASE_URL=f"sqlite:///{tmp_path / 'national.sqlite3'}",
        HN_VAR_DIR=str(tmp_path / "var"),
        CELERY_BROKER_URL=broker,
        REDIS_URL=broker,
        DJANGO_SETTINGS_MODULE="helsenorge.settings",
        HOSTNAME=hostname,
    )
    celery = str(Path(sys.executable).with_name("celery"))
    command = [celery if part == "celery" else part.replace("%h", hostname) for part in spec["command"]]
    worker = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        kind, check = spec["healthcheck"]["test"]
        assert kind == "CMD-SHELL"
        # Compose turns $$ into $; the container's shell then expands $HOSTNAME.
        check = check.replace("$$", "$").replace("celery ", f"{celery} ", 1)
        deadline = time.monotonic() + 90
        while True:
            result = subprocess.run(["sh", "-c", check], env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)
            if result.returncode == 0:
                break
            assert worker.poll() is None, worker.stderr.read()[-3000:]
            assert time.monotonic() < deadline, f"worker never answered its health check: {result.stdout}"
            time.sleep(1)
        assert f"{celery_args(spec['command'])['-n'].split('@')[0]}@{hostname}" in result.stdout
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
