# Siyu — every target installs what it needs; a clean machine needs only Python 3.11, Node 20,
# npm and apt. `make run` starts everything; `make test` runs the suite.

SHELL := /bin/bash
.DEFAULT_GOAL := help

UV_VERSION := 0.13.9
TOOLS := var/tools
UV := $(TOOLS)/bin/uv
VENV := .venv
PY := $(VENV)/bin/python
SIYU := $(VENV)/bin/siyu
CHROMIUM := /usr/bin/chromium
PG_TEST_ENV := SIYU_TEST_DB=postgres

.PHONY: help setup bytecode web chromium run test test-sqlite test-postgres check lint typecheck bench \
        api-client migration-initial clean

help:
	@echo "make run     set up and start Siyu (console, API, callback gateway, worker, sandbox demo)"
	@echo "make test    set up and run the tests (SQLite; also PostgreSQL + Redis when"
	@echo "             SIYU_TEST_DATABASE_URL and SIYU_TEST_REDIS_URL are set)"
	@echo "make check   ruff, mypy and the tests"
	@echo "make bench   run every benchmark in bench/ (JSON lines on stdout)"

$(UV):
	python3 -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.synced: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --quiet
	@touch $@

setup: $(VENV)/.synced

# Compiled modules for the venv and the repo. Where PYTHONDONTWRITEBYTECODE is set (it is on
# CI), Python never caches what it compiles, so each process compiled every module it imported
# from source: `import siyu.cli` took 4.3 s of CPU instead of 1.6 s, in every xdist worker,
# server, `siyu worker` and spawned process the suite starts. The variable only stops writing;
# compiled files are still read. Up to date, this takes two seconds (only changes recompile).
bytecode: setup
	$(PY) -m compileall -q -j 0 $(VENV)/lib siyu tests migrations bench scripts >/dev/null

web/node_modules/.package-lock.json: web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund --loglevel=error

web/dist/index.html: web/node_modules/.package-lock.json $(shell find web/src web/index.html web/vite.config.ts -type f 2>/dev/null)
	cd web && npm run build --silent

web: web/dist/index.html

# Console tests drive Debian's Chromium; nothing downloads a browser of its own. The CJK font
# makes screenshots of the zh-CN console legible (tests read text, so they pass without it).
chromium:
	@if [ ! -x $(CHROMIUM) ] || [ ! -d /usr/share/fonts/truetype/wqy ]; then \
		echo "installing Debian's chromium and a CJK font for the console tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			chromium fonts-wqy-microhei >/dev/null; \
	fi

run: setup web
	$(SIYU) demo

# One pytest worker per core (pytest-xdist). A test has its own database (browser tests share
# their worker's server and database, each in a corp of its own) and each worker its own Redis
# database (tests/conftest.py). `loadfile` sends a file's tests to one worker, so a browser test
# module's tests share one browser (module scope) instead of relaunching it whenever another
# file's test came in between. (`loadgroup` would be finer, but pytest-xdist 3.8 cannot tag
# pytest 9's node ids, so it schedules like `load`.) `--no-loadscope-reorder` keeps the order
# tests/conftest.py collects in, slowest files first (xdist's own order, most tests first, left
# the long one-test files for the end of the run). Lint and types are part of the gate. The 30
# slowest tests are listed at the end, to keep an eye on the suite's time.
PYTEST := $(PY) -m pytest -q -n auto --dist loadfile --no-loadscope-reorder --durations=30

# With PostgreSQL configured, the SQLite and PostgreSQL runs go side by side: much of the suite
# waits (on servers it started, on PostgreSQL, on the browser), so two runs on two cores take
# far less than one after the other. Each run keeps its own Redis databases (PG from base 8).
# TEST_DIALECTS_IN_SERIES=1 runs them one after the other, with live output.

test: setup bytecode web chromium lint typecheck
	@if [ -z "$$SIYU_TEST_DATABASE_URL" ]; then \
		$(PYTEST) && echo "SIYU_TEST_DATABASE_URL is not set: skipped the PostgreSQL run"; \
	elif [ -n "$$TEST_DIALECTS_IN_SERIES" ]; then \
		$(PYTEST) && echo "== again on PostgreSQL ($$SIYU_TEST_DATABASE_URL) ==" && \
		$(PG_TEST_ENV) $(PYTEST); \
	else \
		./scripts/test_both_dialects.sh $(PYTEST); \
	fi

lint: setup
	$(VENV)/bin/ruff check siyu tests bench migrations scripts
	$(VENV)/bin/ruff format --check siyu tests bench migrations scripts

typecheck: setup
	$(VENV)/bin/mypy

check: test

bench: setup
	$(PY) -m bench

api-client: setup
	$(PY) scripts/dump_openapi.py > web/src/api/openapi.json
	cd web && npm run gen:api --silent

migration-initial: setup
	$(PY) scripts/regen_initial_migration.py

clean:
	rm -rf $(VENV) $(TOOLS) web/node_modules web/dist .pytest_cache .mypy_cache .ruff_cache
