"""The requirement files: the Docker image installs the runtime only, and the runtime is complete.

requirements.txt pins what the web, the workers and beat need; requirements-dev.txt adds the
test, load-test and lint tools on top (`-r requirements.txt`). These checks read the Dockerfile
the way `docker build` runs it, follow every `-r` include, and compare the pins with
pyproject.toml and with what the application's code imports.
"""

import ast
import fnmatch
import re
import shlex
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from django.conf import settings
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(settings.BASE_DIR)

# Test runners, browsers, load generators, linters, type checkers and what only they pull in.
DEV_ONLY = (
    "pytest*",
    "playwright",
    "axe-*",
    "locust*",
    "hypothesis",
    "ruff",
    "mypy*",
    "django-stubs*",
    "types-*",
    "factory-boy",
    "faker",
    "import-linter",
    "grimp",
    "gevent*",
    "greenlet",
    "flask*",
    "werkzeug",
    "pre-commit",
    "virtualenv",
    "pyyaml",
    "execnet",
)
# Packages of this repository that are not part of the application (import-linter keeps the
# application from importing them).
DEV_PACKAGES = {"tests", "bench"}


def pins(path: Path, seen: frozenset = frozenset()) -> dict[str, str]:
    """{canonical name: version} of a requirements file, following `-r` includes."""
    path = path.resolve()
    assert path not in seen, f"{path.name} includes itself"
    found: dict[str, str] = {}
    for number, raw in enumerate(path.read_text().splitlines(), 1):
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith(("-r ", "--requirement ")):
            included = pins(path.parent / line.split(None, 1)[1], seen | {path})
            assert not set(found) & set(included), f"{path.name}: pinned twice: {set(found) & set(included)}"
            found.update(included)
            continue
        assert not line.startswith("-"), f"{path.name}:{number}: unexpected option {line!r}"
        requirement = Requirement(line)
        specifier = str(requirement.specifier)
        assert specifier.startswith("==") and "," not in specifier, f"{path.name}:{number}: not an exact pin: {line}"
        name = canonicalize_name(requirement.name)
        assert name not in found, f"{path.name}:{number}: {name} pinned twice"
        found[name] = specifier[2:]
    return found


def image_installs() -> dict[str, str]:
    """Every package the Dockerfile's `pip install` steps install, with their pins."""
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    installed: dict[str, str] = {}
    steps = [step for step in re.findall(r"^RUN (.*)$", text, re.M) if "pip install" in step]
    assert steps, "the Dockerfile installs nothing with pip"
    for step in steps:
        for command in re.split(r"&&|;", step):
            words = shlex.split(command)
            if "install" not in words or not any(w.endswith("pip") or w == "pip" for w in words):
                continue
            args = words[words.index("install") + 1 :]
            i = 0
            while i < len(args):
                if args[i] in ("-r", "--requirement"):
                    installed.update(pins(ROOT / args[i + 1]))
                    i += 2
                elif args[i].startswith("-"):
                    i += 1
                else:  # a package named on the command line
                    installed[canonicalize_name(Requirement(args[i]).name)] = ""
                    i += 1
    return installed


def test_the_image_installs_no_test_load_test_or_lint_tool():
    installed = image_installs()
    assert {"django", "gunicorn", "celery", "psycopg"} <= set(installed), sorted(installed)
    dev = sorted(name for name in installed if any(fnmatch.fnmatch(name, p) for p in DEV_ONLY))
    assert not dev, f"the Docker image would install dev-only packages: {dev}"


def test_the_dev_requirements_add_the_tools_to_the_runtime():
    runtime, dev = pins(ROOT / "requirements.txt"), pins(ROOT / "requirements-dev.txt")
    assert runtime.items() <= dev.items(), "requirements-dev.txt must include requirements.txt"
    for tool in ("pytest", "pytest-django", "pytest-xdist", "playwright", "locust", "ruff", "mypy", "import-linter"):
        assert tool in dev, tool
    # The control for the image check: the same patterns do find the tools in the dev set.
    assert any(fnmatch.fnmatch(name, "pytest*") for name in dev)


def project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def closure(roots: list[str]) -> set[str]:
    """The installed distributions `roots` need, extras and environment markers applied."""
    needed: dict[str, set[str]] = {}
    todo = [Requirement(r) for r in roots]
    while todo:
        requirement = todo.pop()
        if requirement.marker and not requirement.marker.evaluate({"extra": ""}):
            continue
        name = canonicalize_name(requirement.name)
        if name in needed and set(requirement.extras) <= needed[name]:
            continue
        extras = needed.setdefault(name, set())
        extras |= set(requirement.extras)
        for dependency in metadata.requires(requirement.name) or []:
            dep = Requirement(dependency)
            if dep.marker and not any(dep.marker.evaluate({"extra": e}) for e in extras | {""}):
                continue
            dep.marker = None
            todo.append(dep)
    return set(needed)


def test_requirements_pin_exactly_the_runtime_and_everything_it_pulls_in():
    runtime = set(pins(ROOT / "requirements.txt"))
    needed = closure(project()["dependencies"])
    assert not needed - runtime, f"needed at run time but not pinned in requirements.txt: {sorted(needed - runtime)}"
    assert not runtime - needed, f"pinned in requirements.txt but nothing needs it: {sorted(runtime - needed)}"


def test_every_dev_root_is_pinned_in_the_dev_requirements():
    dev = pins(ROOT / "requirements-dev.txt")
    for root in project()["optional-dependencies"]["dev"]:
        requirement = Requirement(root)
        name = canonicalize_name(requirement.name)
        assert name in dev, f"{root} (pyproject dev) is not pinned in requirements-dev.txt"
        assert requirement.specifier.contains(dev[name]), f"{root}: requirements-dev.txt pins {dev[name]}"


def application_modules():
    """Python files that run in production: the project package, the installed apps and manage.py."""
    local = {p.name for p in ROOT.iterdir() if (p / "__init__.py").exists()}
    packages = {app.split(".")[0] for app in settings.INSTALLED_APPS} & local | {"helsenorge"}
    assert not packages & DEV_PACKAGES
    yield ROOT / "manage.py"
    for package in sorted(packages):
        yield from sorted((ROOT / package).rglob("*.py"))


def imported_top_level_names(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_the_application_imports_nothing_the_runtime_requirements_lack():
    # The AMQP 1.0 client is runtime too, pinned apart because it builds from source (the image
    # installs both files).
    runtime = set(pins(ROOT / "requirements.txt")) | set(pins(ROOT / "requirements-amqp.txt"))
    # Where the AMQP client is not installed (it needs a compiler) its import name still maps.
    providers = {"proton": ["python-qpid-proton"], **metadata.packages_distributions()}
    local = {p.name for p in ROOT.iterdir() if p.is_dir() or p.suffix == ".py"} | {"manage"}
    missing: dict[str, list[str]] = {}
    for path in application_modules():
        for name in imported_top_level_names(path) - set(sys.stdlib_module_names) - local:
            distributions = {canonicalize_name(d) for d in providers.get(name, [])}
            if not distributions & runtime:
                missing.setdefault(name, []).append(str(path.relative_to(ROOT)))
    assert not missing, f"imported by the application but not in requirements.txt: {missing}"


@pytest.mark.parametrize("name", ["requirements.txt", "requirements-dev.txt"])
def test_the_pins_are_installed_here(name):
    """The suite runs on the pinned versions (a stale venv would test something else)."""
    wrong = {}
    for package, version in pins(ROOT / name).items():
        try:
            installed = metadata.version(package)
        except metadata.PackageNotFoundError:
            installed = None
        if installed != version:
            wrong[package] = (version, installed)
    assert not wrong, f"pinned (wanted, installed): {wrong}"
