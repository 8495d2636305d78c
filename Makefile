# Two commands on a fresh machine with Python 3.11:
#   make run    set up .venv, migrate data/orb.db with safe_migrate, load the sounding tables,
#               serve on http://127.0.0.1:8000/
#   make test   the whole test suite (what CI runs)
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: run test setup migrate superuser check bench clean

$(STAMP): requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $(STAMP)

setup: $(STAMP)

migrate: $(STAMP)
	DJANGO_DEBUG=1 $(PY) manage.py safe_migrate --noinput
	DJANGO_DEBUG=1 $(PY) manage.py load_sounding_tables

run: migrate
	DJANGO_DEBUG=1 $(PY) manage.py runserver 127.0.0.1:8000

superuser: $(STAMP)
	DJANGO_DEBUG=1 $(PY) manage.py createsuperuser

check: $(STAMP)
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run

test: $(STAMP)
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) -m pytest
# Second pass: the app's suite on PostgreSQL (pytest-django creates and drops test_orb).
# tests/e2e and the fault tests manage their own databases, PostgreSQL ones included.
	DATABASE_URL=postgres://postgres@127.0.0.1:5432/orb $(PY) -m pytest tests --ignore=tests/e2e -m "not faults"

bench: $(STAMP)
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) .pytest_cache
