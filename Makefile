# Stadtspur — `make run` serves the demo, `make test` runs the whole suite.
# Both prepare everything from a fresh checkout and are quick to re-run.

SHELL := /bin/bash
.DEFAULT_GOAL := help
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app app
HOST ?= 127.0.0.1
PORT ?= 5000
export STADTSPUR_ENV ?= development

.PHONY: help run dev test lint stop-db db migrate seed prepare translations vendor clean system-deps messages peers

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Re-install only when the dependencies change.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	@touch $@

system-deps: ## Install missing system packages (PostGIS, Node/npm, Chromium) when allowed
	@$(PYTHON) app/devtools/system_deps.py

node_modules/.package-lock.json: package-lock.json | system-deps
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

vendor: node_modules/.package-lock.json $(VENV)/.installed ## Copy browser libraries into static/vendor
	@$(BIN)/python -m app.devtools.vendor

translations: $(VENV)/.installed ## Compile the message catalogues (extract with `make messages`)
	@$(BIN)/pybabel compile -d app/translations -f

db: $(VENV)/.installed system-deps ## Start (or reuse) the database and record its URL
	@$(BIN)/python -m app.devtools.devdb ensure > /dev/null

migrate: db ## Apply migrations
	@$(FLASK) db upgrade

seed: migrate ## Load the Winterthur demo content and demo accounts
	@$(FLASK) seed demo

prepare: vendor translations seed

WORKERS ?= 2

# gunicorn starts the job worker (daily review check, app/jobs.py) beside itself and stops it
# when it stops (gunicorn.conf.py); production runs the worker as a container of its own.
run: export STADTSPUR_JOBS_WORKER := 1
run: prepare ## Serve the demo as production does (gunicorn, no debugger) on http://127.0.0.1:5000
	@echo "Serving on http://$(HOST):$(PORT) with gunicorn and a job worker  (stop both with Ctrl-C; the database keeps running: make stop-db)"
	@$(BIN)/gunicorn --config gunicorn.conf.py --bind $(HOST):$(PORT) --workers $(WORKERS) \
		--threads 4 --access-logfile - 'app:create_app()'

dev: prepare ## Develop: Flask's reloader and debugger, on 127.0.0.1 only
	@echo "Development server with the debugger on http://127.0.0.1:$(PORT) — never expose it"
	@$(FLASK) run --host 127.0.0.1 --port $(PORT) --debug

# In parallel, a database and a browser per worker (PYTEST_WORKERS=0 runs in one process);
# PYTEST_ARGS picks tests or adds options: make test PYTEST_ARGS="tests/unit -x".
PYTEST_WORKERS ?= auto
PYTEST_ARGS ?=

# The federation tests' second server (tests/peers/bovine_peer.py): bovine, an ActivityPub
# implementation that is not ours, pinned, in a virtual environment of its own.
BOVINE_VERSION := 0.5.19
PEERS := .venv-peers
$(PEERS)/bovine/.installed:
	$(PYTHON) -m venv $(PEERS)/bovine
	$(PEERS)/bovine/bin/pip install --quiet "bovine==$(BOVINE_VERSION)"
	@touch $@

peers: $(PEERS)/bovine/.installed ## Install the federation tests' peer server (bovine)

test: vendor translations db peers ## Prepare everything and run the whole suite on a throwaway database
	@$(BIN)/ruff check .
	@$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --durations=15 $(PYTEST_ARGS)

lint: $(VENV)/.installed ## Check the code with ruff
	$(BIN)/ruff check .

stop-db: ## Stop the private development database
	@$(BIN)/python -m app.devtools.devdb stop

clean: stop-db ## Remove everything `make run` created (keeps nothing of the dev database!)
	rm -rf $(VENV) $(PEERS) node_modules static/vendor instance

messages: $(VENV)/.installed ## Extract new strings into the German catalogue and list untranslated ones
	$(BIN)/python -m app.devtools.translate
