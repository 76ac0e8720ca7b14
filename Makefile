# Frontdesk — see README.md. Every target creates/updates .venv as needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
HOST ?= 127.0.0.1
PORT ?= 8000

WIDGET := widget/dist/widget.js
DASHBOARD := dashboard/out/index.html
DASHBOARD_NPM := dashboard/node_modules/.installed

.PHONY: run install install-dev test test-sqlite test-postgres lint check-migrations bench clean widget dashboard

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e .
	touch $@

$(DEV_STAMP): $(STAMP) pyproject.toml
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $@

## The website widget (TypeScript → one script, served at /widget.js).
$(WIDGET): widget/package.json widget/package-lock.json widget/tsconfig.json $(wildcard widget/src/*.ts)
	cd widget && npm ci --no-audit --no-fund --loglevel=error && npm run typecheck && npm run build

widget: $(WIDGET)

## The dashboard's packages (also what `make lint` runs ESLint with, and the API types check's generator).
$(DASHBOARD_NPM): dashboard/package.json dashboard/package-lock.json
	cd dashboard && npm ci --no-audit --no-fund --loglevel=error
	touch $@

## The dashboard (Next.js static export, served at / by the API process).
$(DASHBOARD): $(DASHBOARD_NPM) dashboard/next.config.mjs dashboard/tsconfig.json $(shell find dashboard/src -type f 2>/dev/null)
	cd dashboard && npm run typecheck && NEXT_TELEMETRY_DISABLED=1 npm run build

dashboard: $(DASHBOARD)

install: $(STAMP)
install-dev: $(DEV_STAMP)

## Set up and run on the embedded defaults (SQLite under ./var, in-process cache/jobs, offline responder).
run: $(STAMP) $(WIDGET) $(DASHBOARD)
	$(BIN)/frontdesk serve --host $(HOST) --port $(PORT)

lint: $(DEV_STAMP) $(DASHBOARD_NPM)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy src/frontdesk
	$(BIN)/lint-imports
	cd dashboard && npm run lint

## Models and migrations agree (`alembic check` on a freshly migrated SQLite database).
check-migrations: $(DEV_STAMP)
	rm -rf var/check && mkdir -p var/check
	FRONTDESK_DATABASE_URL=sqlite:///var/check/check.db FRONTDESK_LOG_LEVEL=WARNING $(BIN)/frontdesk migrate
	FRONTDESK_DATABASE_URL=sqlite:///var/check/check.db FRONTDESK_LOG_LEVEL=WARNING $(BIN)/alembic check

test-sqlite: $(DEV_STAMP) $(WIDGET) $(DASHBOARD)
	mkdir -p var/pytest && FRONTDESK_TEST_DB=sqlite $(BIN)/pytest -q --basetemp=$(CURDIR)/var/pytest/sqlite

test-postgres: $(DEV_STAMP) $(WIDGET) $(DASHBOARD)
	mkdir -p var/pytest && FRONTDESK_TEST_DB=postgres $(BIN)/pytest -q --basetemp=$(CURDIR)/var/pytest/postgres

## The whole suite: lint, types, migrations check, tests on SQLite and on PostgreSQL. Each run has
## its own temp folder: pytest prunes all but the newest three under /tmp, which deleted the
## SQLite database of a run while other pytest sessions on the machine started.
test: lint check-migrations test-sqlite test-postgres

bench: $(DEV_STAMP)
	$(BIN)/python bench/chat.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache widget/node_modules widget/dist dashboard/node_modules dashboard/.next dashboard/out
