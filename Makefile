# SDC: `make demo` runs the pipeline on the bundled sample data, `make test` runs the tests.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml constraints.txt | cksum | cut -d' ' -f1)
# The instance: SQLite under data/dagster/, or PostgreSQL when SDC_DAGSTER_PG_URL is set.
export DAGSTER_HOME := $(if $(SDC_DAGSTER_PG_URL),$(CURDIR)/deploy/postgres,$(CURDIR))
export HF_HUB_OFFLINE := 1
# Without a Syncro account, the demo and the UI replay the bundled capture of API responses.
DEMO_SYNCRO := $(if $(SYNCRO_API_KEY),,SDC_SYNCRO_REPLAY_DIR=$${SDC_SYNCRO_REPLAY_DIR:-$(CURDIR)/data/demo/syncro})
# Without a portal database, they read a local SQLite copy of the portal loaded with the bundled sample data.
DEMO_PORTAL_DB := $(CURDIR)/data/ticketportaal-demo.sqlite
DEMO_PORTAL := $(if $(TICKETPORTAAL_HOST)$(TICKETPORTAAL_SQLITE),,TICKETPORTAAL_SQLITE=$(DEMO_PORTAL_DB))
DEMO_ENV := $(DEMO_SYNCRO) $(DEMO_PORTAL)

.PHONY: install demo dev test lint format schema lock clean-data

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -qq torch==2.13.0
	$(BIN)/pip install -qq -c constraints.txt -e '.[dev]'
	rm -f $(VENV)/.installed-* && touch $@

install: $(STAMP)

$(DEMO_PORTAL_DB): data/demo/ticketportaal/portal.json | install
	$(BIN)/sdc demo-portal $@ --sample $<

demo: install $(DEMO_PORTAL_DB)
	mkdir -p data/inbox
	cp -R data/demo/screenconnect data/demo/sillytavern data/demo/notes data/inbox/
	$(DEMO_ENV) $(BIN)/sdc ingest --allow-quarantine  # the demo data holds bad records on purpose

dev: install $(DEMO_PORTAL_DB)
	$(DEMO_ENV) $(BIN)/dagster dev -h 127.0.0.1 -p $${SDC_UI_PORT:-3000} -w workspace.yaml

test: install
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix . && $(BIN)/ruff format .

schema: install
	$(BIN)/python -m sdc_assets.sessions.schema data/schema/session.schema.json

lock: install
	(head -n2 constraints.txt; $(BIN)/pip freeze --exclude-editable | grep -viE '^(torch|sdc)[=@ ]') > constraints.tmp
	mv constraints.tmp constraints.txt

clean-data:
	rm -rf data/inbox data/raw data/sessions data/quarantine data/dagster data/cache data/index data/chroma \
		data/graph data/ticketportaal-demo.sqlite
