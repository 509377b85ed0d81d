# The two commands a newcomer needs: `make run` and `make test`.
# Everything is installed into .venv from the pinned requirements.

PYTHON ?= $(shell command -v python3.13 2>/dev/null || echo python3)
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
PIP_INSTALL := $(BIN)/pip install --quiet --disable-pip-version-check --build-constraint build-constraints.txt
HOST ?= 127.0.0.1
PORT ?= 8000
# Development defaults for `make run` (any can be overridden in the environment).
# SITE_URL follows HOST and PORT, so `make run PORT=8100` emails links to :8100.
RUN_ENV := DJANGO_DEBUG=$${DJANGO_DEBUG:-true} CAMPAIGN_BACKEND=$${CAMPAIGN_BACKEND:-local} \
	SITE_URL=$${SITE_URL:-http://$(HOST):$(PORT)}

.PHONY: run superuser reset run-acs run-v8 emulator bench wrk test test-sqlite test-postgres install install-redis install-dev browsers lint format typecheck check messages clean

run: $(VENV)/.installed messages node_modules/.installed
	$(RUN_ENV) $(PY) manage.py migrate --no-input
	$(RUN_ENV) $(PY) manage.py createcachetable
	@echo "Serving http://$(HOST):$(PORT)/ (sent emails: http://$(HOST):$(PORT)/dev/mailbox/). Ctrl-C stops both processes."
	@$(RUN_ENV) $(PY) manage.py rundev $(HOST):$(PORT)

# An admin account for the development site (the admin is at /admin/).
superuser: $(VENV)/.installed
	$(RUN_ENV) $(PY) manage.py migrate --no-input
	$(RUN_ENV) $(PY) manage.py createsuperuser

# Start over: forget every sign-up, email and admin account of `make run`
# (the development SQLite database); the next `make run` seeds afresh.
reset:
	rm -f db.sqlite3 db.sqlite3-journal db.sqlite3-wal db.sqlite3-shm
	@echo "Development database removed; \`make run\` starts afresh."

# The ACS and v8 emulators on a port of their own (state in memory; one
# control API, the same knobs and faults, at /emulator/acs/_control/,
# /emulator/v8/_control/ and /emulator/ims/_control/: see the README), and the
# site pointed at them: `make emulator` in one terminal, `make run-acs` or
# `make run-v8` in another.
EMULATOR_PORT ?= 8001
EMULATOR := http://$(HOST):$(EMULATOR_PORT)/emulator
ACS_EMULATED := ACS_API_URL=$(EMULATOR)/acs ACS_IMS_URL=$(EMULATOR) ACS_ORGANIZATION=acme-mkt-stage1 \
	ACS_TRANSACTIONAL_API=mcacme ACS_CLIENT_ID=emulator-client-id ACS_CLIENT_SECRET=emulator-client-secret \
	ACS_EVENTS=$${ACS_EVENTS:-welcome=EVTwelcome,special-offer=EVTspecialOffer}
V8_EMULATED := V8_URL=$(EMULATOR)/v8 V8_IMS_URL=$(EMULATOR) V8_CLIENT_ID=emulator-client-id \
	V8_CLIENT_SECRET=emulator-client-secret V8_LOGIN=emulator-operator V8_PASSWORD=emulator-password

emulator: $(VENV)/.installed
	@echo "Emulated IMS, ACS and v8 on $(EMULATOR)/ (Ctrl-C stops it)"
	CAMPAIGN_EMULATOR=true DJANGO_DEBUG=true $(PY) manage.py runserver $(HOST):$(EMULATOR_PORT) --noreload

run-acs:
	@CAMPAIGN_BACKEND=acs $(ACS_EMULATED) $(MAKE) --no-print-directory run

run-v8:
	@CAMPAIGN_BACKEND=v8 $(V8_EMULATED) $(MAKE) --no-print-directory run

# The whole suite on SQLite (the embedded default), then on PostgreSQL
# (production's database). CI must have PostgreSQL; a laptop without it
# gets the SQLite run and a warning.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/test

test: test-sqlite
	@if $(PY) -c 'import psycopg, sys; psycopg.connect(sys.argv[1], connect_timeout=3).close()' "$(TEST_DATABASE_URL)" 2>/dev/null; then \
		$(MAKE) --no-print-directory test-postgres; \
	elif [ "$${CI:-}" = "true" ]; then \
		echo "PostgreSQL is not reachable at $(TEST_DATABASE_URL): CI needs it" >&2; exit 1; \
	else \
		echo "WARNING: PostgreSQL not reachable at $(TEST_DATABASE_URL); ran the SQLite suite only." >&2; \
	fi

test-sqlite: $(VENV)/.installed-dev messages browsers node_modules/.installed
	@echo "== Test suite on SQLite"
	env -u DATABASE_URL $(PY) -m pytest $(PYTEST_ARGS)

test-postgres: $(VENV)/.installed-dev messages browsers node_modules/.installed
	@echo "== Test suite on PostgreSQL"
	DATABASE_URL=$(TEST_DATABASE_URL) $(PY) -m pytest $(PYTEST_ARGS)

# The benchmarks (bench/, issue 15): the pages while Campaign is healthy, slow
# or down with the worker running; the pages against a view that does nothing
# (bench/test_page_floor.py, gunicorn + wrk; the sign-up POST also on a
# throwaway database on the PostgreSQL server BENCH_DATABASE_URL names, when
# one answers); delivery with 1, 4 and 16 slots; a burst under Campaign's
# 429s; calls per journey; floods; same-time answers. Each module writes
# var/bench/<name>.json; bench/report.py then prints one table (each figure
# beside its target) and writes var/bench/bench.json and bench.svg. Asserts
# no times. BENCH_BURST=<n> scales the burst.
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/bench_page_floor

bench: $(VENV)/.installed-dev messages node_modules/.installed wrk
	env -u DATABASE_URL BENCH_DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) -m pytest bench -s -q -p no:cacheprovider $(PYTEST_ARGS); \
		status=$$?; $(PY) bench/report.py; exit $$status

# wrk, the HTTP load generator of `make bench`, from Debian's packages.
wrk:
	@command -v wrk >/dev/null 2>&1 || { \
		echo "Installing wrk from Debian's packages"; \
		$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq wrk >/dev/null; }

install: $(VENV)/.installed node_modules/.installed
install-redis: $(VENV)/.installed-redis
install-dev: $(VENV)/.installed-dev

$(VENV)/.created:
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 13), f"Python 3.13 needed, found {sys.version}"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check pip==26.3
	touch $@

$(VENV)/.installed: $(VENV)/.created requirements.txt build-constraints.txt
	$(PIP_INSTALL) -r requirements.txt
	touch $@

# The optional Redis tasks backend, for production; the suite's Redis test
# needs it too, so requirements-dev.txt includes it.
$(VENV)/.installed-redis: $(VENV)/.installed requirements-redis.txt
	$(PIP_INSTALL) -r requirements-redis.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt requirements-redis.txt
	$(PIP_INSTALL) -r requirements-dev.txt
	touch $@

# The ALTCHA widget the site serves (static/altcha/, from node_modules/altcha/dist),
# Adobe's own SDKs, the tests' oracles of what Adobe sends and accepts
# (@adobe/aio-lib-campaign-standard, @adobe/acc-js-sdk), and newman, which
# runs the exported Postman collection against the emulators: exact versions from
# the committed package-lock.json, with the machine's Node.js and npm.
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	touch $@

# Chromium for the browser tests, from Debian's packages (Playwright drives
# it; it never downloads a browser of its own).
browsers:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "Installing Chromium from Debian's packages"; \
		$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium >/dev/null; }

messages: $(VENV)/.installed
	@command -v msgfmt >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq gettext >/dev/null; }
	@DJANGO_DEBUG=true $(PY) manage.py compilemessages -v 0 --ignore '.venv' --ignore node_modules

lint: $(VENV)/.installed-dev
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

format: $(VENV)/.installed-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

typecheck: $(VENV)/.installed-dev
	DJANGO_DEBUG=true $(BIN)/mypy

check: lint typecheck test

clean:
	rm -rf $(VENV) node_modules var staticfiles .pytest_cache .mypy_cache .ruff_cache
