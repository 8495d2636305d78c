# Two commands on a fresh machine with Python 3.11:
#   make run    set up .venv, migrate data/orb.db with safe_migrate, load the sounding tables,
#               serve on http://127.0.0.1:8000/
#   make test   the whole test suite (what CI runs); installs requirements-dev.txt too
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: run serve test setup migrate superuser check lint format bench clean diagram release

$(STAMP): requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $(STAMP)

# Test tools on top of production's packages (make run never installs them).
$(DEV_STAMP): $(STAMP) requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(DEV_STAMP)

setup: $(STAMP)

migrate: $(STAMP)
	DJANGO_DEBUG=1 $(PY) manage.py safe_migrate --noinput
	DJANGO_DEBUG=1 $(PY) manage.py load_sounding_tables

# make run PORT=8001 BIND=127.0.0.1: the development server (DEBUG on: keep it on this machine; the
# ship's LAN gets make serve). PORT and BIND are set below.
run: migrate
	DJANGO_DEBUG=1 $(PY) manage.py runserver $(BIND):$(PORT)

# The production server (docs/DEPLOYMENT.md): DEBUG off, gunicorn (deploy/gunicorn.conf.py), static
# files collected into STATIC_ROOT and served by WhiteNoise. Needs DJANGO_SECRET_KEY, and
# DJANGO_ALLOWED_HOSTS naming the box as the crew's browsers do. Offline: it installs nothing.
PORT ?= 8000
BIND ?= 127.0.0.1

serve:
	@test -x $(VENV)/bin/gunicorn || { echo "make serve: gunicorn is not installed in $(VENV); run make setup first (docs/DEPLOYMENT.md)." >&2; exit 2; }
	@test -n "$$DJANGO_SECRET_KEY" || { echo "make serve: set DJANGO_SECRET_KEY to a long random value first (docs/DEPLOYMENT.md, the environment file)." >&2; exit 2; }
	DJANGO_DEBUG=0 $(PY) manage.py collectstatic --noinput --verbosity 0
	DJANGO_DEBUG=0 exec $(VENV)/bin/gunicorn orb.wsgi:application --config deploy/gunicorn.conf.py --bind $(BIND):$(PORT)

superuser: $(STAMP)
	DJANGO_DEBUG=1 $(PY) manage.py createsuperuser

# The production settings (DEBUG off) need a secret key; these checks use a throwaway one.
CHECK_ENV := DJANGO_SECRET_KEY=make-check-only-not-a-real-key

check: $(STAMP)
	$(CHECK_ENV) $(PY) manage.py check
	$(CHECK_ENV) $(PY) manage.py makemigrations --check --dry-run

lint: $(DEV_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(DEV_STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

test: lint
	$(CHECK_ENV) $(PY) manage.py check
	$(CHECK_ENV) $(PY) manage.py makemigrations --check --dry-run
	$(CHECK_ENV) $(PY) manage.py check_migrations
	$(PY) -m pytest -m "not pg_test_db"
# Second pass: the app's suite on PostgreSQL (pytest-django creates and drops test_orb).
# tests/e2e and the fault tests manage their own databases, PostgreSQL ones included.
	DATABASE_URL=postgres://postgres@127.0.0.1:5432/orb $(PY) -m pytest tests --ignore=tests/e2e --ignore=tests/browser --ignore=tests/migrationcheck -m "not faults and not sqlite_file"

# A release: the migrations pass check_migrations, then migrations.lock records the new ones
# (a released migration's checksum is never rewritten; docs/MIGRATION_CHECKS.md). Commit the lock.
release: $(STAMP)
	$(CHECK_ENV) $(PY) manage.py check_migrations
	$(CHECK_ENV) $(PY) manage.py check_migrations --write-lock

# docs/models.svg, the model diagram in docs/DEVELOPING.md: django-extensions' graph_models
# (an installed app only with DJANGO_DEBUG=1), pydot (requirements-dev.txt) and Graphviz's dot.
diagram: $(DEV_STAMP)
	@command -v dot >/dev/null || { echo "make diagram needs Graphviz's dot: apt-get install -y graphviz (Debian/Ubuntu), brew install graphviz (macOS)" >&2; exit 1; }
	DJANGO_DEBUG=1 $(PY) manage.py graph_models orb soundings fueltickets --group-models --color-code-deletions --pydot -o docs/models.svg

bench: $(STAMP)
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) .pytest_cache
