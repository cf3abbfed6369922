# Two commands on a fresh machine (only Python >= 3.11, make and a shell):
#   make run   - venv, install, migrate, demo data, then web + workers + beat (Ctrl-C stops all)
#   make test  - venv, install, then the whole test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test install migrate seed lock clean

$(STAMP): requirements.txt
	@$(PYTHON) -c 'import sys; sys.exit("Python >= 3.11 is required, found " + sys.version.split()[0]) if sys.version_info < (3, 11) else None'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	@touch $(STAMP)

install: $(STAMP)

migrate: install
	$(BIN)/python manage.py migrate --noinput

# The demo asks for debug and synthetic identity numbers explicitly (both are off by default);
# prerequisites (migrate) inherit these, and a value set in the shell wins.
run seed: export DJANGO_DEBUG ?= true
run seed: export HN_ALLOW_SYNTHETIC_NIN ?= true

seed: migrate
	$(BIN)/python manage.py seed_demo

run: seed
	@echo "Starting web (http://127.0.0.1:8000/), a worker per side and beat. Ctrl-C stops them all."
	-@$(BIN)/honcho -f Procfile start -p 8000

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lock:
	$(BIN)/python -m pip freeze --exclude pip --exclude setuptools > requirements.txt

clean:
	rm -rf $(VENV) var staticfiles
