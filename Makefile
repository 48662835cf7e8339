# Tongban — the two commands: `make run` and `make test`.
# Needs only GNU make and Python 3.11 (`python3.11`, else `python3`).

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3 2>/dev/null)
VENV := .venv
PY := $(VENV)/bin/python
TONGBAN := $(VENV)/bin/tongban
STAMP := $(VENV)/.installed
PORT ?= 8000
#: Extra arguments for pytest, e.g. make test PYTEST_ARGS="-k calendar -x".
PYTEST_ARGS ?=
#: pytest-xdist processes; 0 runs the suite in one process.
PYTEST_WORKERS ?= 2

export PORT

.PHONY: help install run test test-postgres lint format bench messages clean distclean

help:
	@echo "make run        serve the demo district on http://127.0.0.1:$(PORT) (PORT overrides)"
	@echo "make test       run the whole test suite (TEST_POSTGRES=1: on a throw-away PostgreSQL)"
	@echo "make lint       ruff, ruff format --check, mypy, lint-imports, makemigrations --check"
	@echo "make format     ruff --fix and ruff format"
	@echo "make bench      bench/catalog.py: search and guide throughput vs a bare view"
	@echo "make messages   makemessages -l en and compilemessages"
	@echo "make clean      remove .venv and caches (keeps var/, the local database)"

$(PY):
	@test -n "$(PYTHON)" || { echo "Python 3.11 not found (python3.11 or python3)"; exit 1; }
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed, found " + sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)

# Re-install only when pyproject.toml changed since the last install.
$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --disable-pip-version-check -q -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

run: install
	$(TONGBAN) migrate --noinput
	$(TONGBAN) demo load --if-empty
	@scripts/run-dev

test: install
ifeq ($(TEST_POSTGRES),1)
	scripts/with-throwaway-postgres $(MAKE) --no-print-directory _pytest
else
	@$(MAKE) --no-print-directory _pytest
endif

test-postgres:
	@$(MAKE) --no-print-directory test TEST_POSTGRES=1

# pytest exits 5 when no test was collected: say so plainly (it is a failure here too).
_pytest:
	@set -o pipefail; rc=0; \
	echo "pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)"; \
	$(VENV)/bin/pytest -p no:cacheprovider $(if $(filter-out 0,$(PYTEST_WORKERS)),-n $(PYTEST_WORKERS)) $(PYTEST_ARGS) || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "FAILED: pytest collected no tests (exit 5)"; fi; \
	exit $$rc

lint: install
	$(VENV)/bin/ruff check src bench
	$(VENV)/bin/ruff format --check src bench
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports --no-logo --no-cache
	$(TONGBAN) makemigrations --check --dry-run

format: install
	$(VENV)/bin/ruff check --fix src bench
	$(VENV)/bin/ruff format src bench

bench: install
	$(PY) bench/catalog.py

messages: install
	cd src/tongban && ../../$(TONGBAN) makemessages -l en --ignore=tests --ignore=.venv --no-obsolete
	cd src/tongban && ../../$(TONGBAN) compilemessages -l en --ignore=.venv

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis test-artifacts build dist staticfiles
	find src bench -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean
	rm -rf var
