# SDC: `make demo` runs the pipeline on the bundled sample data, `make test` runs the tests.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml constraints.txt | cksum | cut -d' ' -f1)
# The data folder: SDC_DATA_DIR, by default ./data; every target below reads and writes there.
DATA := $(abspath $(or $(SDC_DATA_DIR),data))
export SDC_DATA_DIR := $(DATA)
# The Dagster instance lives in the data folder: dagster.yaml (SQLite under data/dagster/) or, when
# SDC_DAGSTER_PG_URL is set, deploy/postgres/dagster.yaml, with its data/ paths pointed at $(DATA).
INSTANCE_TEMPLATE := $(if $(SDC_DAGSTER_PG_URL),deploy/postgres/dagster.yaml,dagster.yaml)
export DAGSTER_HOME := $(DATA)/dagster
INSTANCE := $(DAGSTER_HOME)/dagster.yaml
export HF_HUB_OFFLINE := 1
# Without a Syncro account, the demo and the UI replay the bundled capture of API responses.
DEMO_SYNCRO := $(if $(SYNCRO_API_KEY),,SDC_SYNCRO_REPLAY_DIR=$${SDC_SYNCRO_REPLAY_DIR:-$(CURDIR)/data/demo/syncro})
# Without a portal database, they read a local SQLite copy of the portal loaded with the bundled sample data.
DEMO_PORTAL_DB := $(DATA)/ticketportaal-demo.sqlite
DEMO_PORTAL := $(if $(TICKETPORTAAL_HOST)$(TICKETPORTAAL_SQLITE),,TICKETPORTAAL_SQLITE=$(DEMO_PORTAL_DB))
DEMO_ENV := $(DEMO_SYNCRO) $(DEMO_PORTAL)

.PHONY: install demo dev test lint format schema lock clean-data $(INSTANCE)

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -qq torch==2.13.0
	$(BIN)/pip install -qq -c constraints.txt -e '.[dev]'
	rm -f $(VENV)/.installed-* && touch $@

install: $(STAMP)

$(INSTANCE): $(INSTANCE_TEMPLATE)
	mkdir -p $(@D)
	sed 's#base_dir: data/#base_dir: $(DATA)/#' $< > $@

$(DEMO_PORTAL_DB): data/demo/ticketportaal/portal.json | install
	$(BIN)/sdc demo-portal $@ --sample $<

demo: install $(DEMO_PORTAL_DB) $(INSTANCE)
	mkdir -p $(DATA)/inbox
	cp -Rp data/demo/screenconnect data/demo/sillytavern data/demo/notes $(DATA)/inbox/
	$(DEMO_ENV) $(BIN)/sdc ingest --allow-quarantine  # the demo data holds bad records on purpose

dev: install $(DEMO_PORTAL_DB) $(INSTANCE)
	$(DEMO_ENV) $(BIN)/dagster dev -h 127.0.0.1 -p $${SDC_UI_PORT:-3000} -w workspace.yaml

test: install
	env -u SDC_DATA_DIR -u DAGSTER_HOME $(BIN)/python -m pytest  # each test makes its own data folder

# ruff, and the code location's definitions validated as Dagster loads them (assets, checks, sensors, jobs).
lint: install $(INSTANCE)
	$(BIN)/ruff check . && $(BIN)/ruff format --check .
	PYTHONWARNINGS=ignore $(BIN)/dagster definitions validate -w workspace.yaml

format: install
	$(BIN)/ruff check --fix . && $(BIN)/ruff format .

schema: install
	$(BIN)/python -m sdc_assets.sessions.schema data/schema/session.schema.json

lock: install
	(head -n2 constraints.txt; $(BIN)/pip freeze --exclude-editable | grep -viE '^(torch|sdc)[=@ ]') > constraints.tmp
	mv constraints.tmp constraints.txt

clean-data:
	rm -rf $(DATA)/inbox $(DATA)/raw $(DATA)/sessions $(DATA)/quarantine $(DATA)/dagster $(DATA)/cache \
		$(DATA)/index $(DATA)/chroma $(DATA)/graph $(DATA)/review $(DATA)/logs $(DATA)/ticketportaal-demo.sqlite
