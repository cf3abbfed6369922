# Two commands on a fresh machine (only Python >= 3.11, make and a shell):
#   make run   - venv, runtime install, migrate, demo data, then web + workers + beat (Ctrl-C stops all)
#   make test  - venv, runtime + dev install, then the whole test suite
# and for contributors:
#   make lint  - ruff (lint and format), mypy, the migration check and the import boundaries
#   make lock  - re-pin requirements.txt (runtime) and requirements-dev.txt from pyproject.toml
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# One stamp per requirement set: runtime for `make run`, dev (runtime + tools) for tests and lint.
RUNTIME_STAMP := $(VENV)/.installed-runtime
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: run test lint install install-dev migrate seed lock clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit("Python >= 3.11 is required, found " + sys.version.split()[0]) if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(RUNTIME_STAMP): requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements.txt
	@touch $@

$(DEV_STAMP): requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	@touch $@ $(RUNTIME_STAMP)

install: $(RUNTIME_STAMP)

install-dev: $(DEV_STAMP)

migrate: install
	$(BIN)/python manage.py migrate --noinput

# The demo asks for debug and synthetic identity numbers explicitly (both are off by default);
# prerequisites (migrate) inherit these, and a value set in the shell wins.
migrate run seed: export DJANGO_DEBUG ?= true
migrate run seed: export HN_ALLOW_SYNTHETIC_NIN ?= true

seed: migrate
	$(BIN)/python manage.py seed_demo

run: seed
	@echo "Starting web (http://127.0.0.1:8000/), a worker per side and beat. Ctrl-C stops them all."
	-@$(BIN)/honcho -f Procfile start -p 8000

test: install-dev
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The same checks as .ci/run and .pre-commit-config.yaml; stops at the first that fails.
lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .
	$(BIN)/python manage.py makemigrations --check --dry-run --settings=helsenorge.test_settings
	$(BIN)/lint-imports

lock:
	PYTHON=$(PYTHON) .ci/lock

clean:
	rm -rf $(VENV) var staticfiles
