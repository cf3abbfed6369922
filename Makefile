# Two commands on a fresh machine (only Python >= 3.11, make and a shell):
#   make run   - venv, runtime install, migrate, collectstatic, demo data, then web + workers + beat
#                (debug off, as in production; PORT=8123 make run for another port; Ctrl-C stops all)
#   make test  - venv, runtime + dev install, then the whole test suite
# and for contributors:
#   make lint  - ruff (lint and format), mypy, the migration check and the import boundaries
#   make lock  - re-pin requirements.txt (runtime) and requirements-dev.txt from pyproject.toml
PYTHON ?= python3
# Test processes (pytest-xdist); the suite mostly waits on worker processes, brokers and a browser.
TEST_JOBS ?= 2
VENV ?= .venv
BIN := $(VENV)/bin
# One stamp per requirement set: runtime for `make run`, dev (runtime + tools) for tests and lint.
RUNTIME_STAMP := $(VENV)/.installed-runtime
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: run epj test lint install install-dev migrate static seed lock clean

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

# The demo runs as production does, with debug off (the project's own error pages, hashed static
# files served by WhiteNoise), and asks explicitly for what only a demo may have: synthetic
# identity numbers, the local ID-porten/HelseID stand-in under /testid/ (its keys made under
# var/oidc/) and a secret key kept under var/ (made once, never committed). The schema
# requirement follows ../shared: a clone without the official XSDs still starts (validation is
# then skipped, as the start-up log says). Prerequisites inherit these; a value set in the shell wins.
PORT ?= 8000
EPJ_PORT ?= $(shell expr $(PORT) + 1)
SHARED_DIR := $(or $(HN_SHARED_DIR),../shared)
DEMO_SECRET_KEY := var/dev-secret-key
DEMO_TARGETS := migrate static seed run epj
$(DEMO_TARGETS): export DJANGO_DEBUG ?= false
$(DEMO_TARGETS): export HN_ALLOW_SYNTHETIC_NIN ?= true
$(DEMO_TARGETS): export HN_TEST_IDP ?= true
$(DEMO_TARGETS): export DJANGO_SECRET_KEY ?= $(shell cat $(DEMO_SECRET_KEY) 2>/dev/null)
$(DEMO_TARGETS): export DJANGO_ALLOWED_HOSTS ?= 127.0.0.1,localhost,[::1]
$(DEMO_TARGETS): export HN_SITE_URL ?= http://127.0.0.1:$(PORT)
$(DEMO_TARGETS): export HN_EPJ_PORT ?= $(EPJ_PORT)
$(DEMO_TARGETS): export HN_EPJ_ORIGIN ?= http://127.0.0.1:$(EPJ_PORT)
$(DEMO_TARGETS): export HN_REQUIRE_SCHEMAS ?= $(if $(wildcard $(SHARED_DIR)/schemas),true,false)

$(DEMO_SECRET_KEY): | $(BIN)/python
	@mkdir -p $(@D)
	@$(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(64))' > $@
	@chmod 600 $@

# Three stores: the portal's, the national services' and the EPJ's own (docs/architecture.md).
migrate: install $(DEMO_SECRET_KEY)
	$(BIN)/python manage.py database_create --database national
	$(BIN)/python manage.py database_create --database epj
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py migrate --database national --noinput
	$(BIN)/python manage.py migrate --database epj --noinput

static: install $(DEMO_SECRET_KEY)
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0

seed: migrate static
	$(BIN)/python manage.py seed_demo

# PROCESSES picks some of the Procfile's processes, e.g. everything but the EPJ's worker
# (PROCESSES="web worker-portal beat"); `make epj` then runs the EPJ's worker on its own, so the
# EPJ can be stopped and started while the portal runs (docs/architecture.md, "The EPJ on its own").
PROCESSES ?=
EVERY_PROCESS = the portal (http://127.0.0.1:$(PORT)/), the EPJ (http://127.0.0.1:$(EPJ_PORT)/), a worker per side and beat

run: seed
	@echo "Starting $(or $(PROCESSES),$(EVERY_PROCESS)). Ctrl-C stops them all."
	@echo "Log in at http://127.0.0.1:$(PORT)/konto/login/: citizens with ID-porten, the operator drift@helsenorge.demo with the password form and TOTP. Clinic staff log in to the EPJ at http://127.0.0.1:$(EPJ_PORT)/ with HelseID (the local TestID page lists whom to pick)."
	-@$(BIN)/honcho -f Procfile start -p $(PORT) $(PROCESSES)

epj: migrate
	@echo "Starting the EPJ on its own: its worker and its web process (http://127.0.0.1:$(EPJ_PORT)/). Ctrl-C stops them; the portal keeps running and its messages wait on the EPJ's queues."
	-@$(BIN)/honcho -f Procfile start worker-epj epj-web

test: install-dev
	$(BIN)/python -m pytest -n $(TEST_JOBS) --dist loadfile -m "not serial" $(PYTEST_ARGS)
	$(BIN)/python -m pytest -m serial $(PYTEST_ARGS) || [ $$? -eq 5 ]

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
