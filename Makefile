# escrow-bpmn: `make run` serves the app on its embedded default, `make test` runs the suite.
# Both install what they need: the Python virtualenv, the npm packages and the built assets.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
ASSETS := app/web/static/dist/.built
CATALOGS := $(patsubst %.po,%.mo,$(wildcard app/web/translations/*/LC_MESSAGES/messages.po))
APP := $(STAMP) $(ASSETS) $(CATALOGS)

PEERS := var/peers
.PHONY: run test bench bench-temporal bench-compare worker broker bank sms assets translations clean

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

$(ASSETS): $(NODE_STAMP) $(wildcard app/web/assets/* app/web/assets/*/*)
	node app/web/assets/build.mjs
	touch $(ASSETS)

%.mo: %.po $(STAMP)
	$(BIN)/pybabel compile --use-fuzzy -i $< -o $@

assets: $(ASSETS)

# After changing texts: extract them and update the catalogs, then translate the new entries.
translations: $(STAMP)
	mkdir -p var
	$(BIN)/pybabel extract -F app/web/babel.cfg -k _l -k lazy_gettext -o var/messages.pot .
	$(BIN)/pybabel update -i var/messages.pot -d app/web/translations -w 100

run: $(APP)
	$(BIN)/python -m app

test: $(APP)
	$(BIN)/python -m pytest -q

bench: $(APP)
	$(BIN)/python -m bench.run $(ARGS)

# The Temporal peer of the benchmark, in a virtualenv of its own (never a project dependency)
$(PEERS)/.installed: bench/peers/requirements.txt
	test -x $(PEERS)/bin/python || $(PY) -m venv $(PEERS)
	$(PEERS)/bin/pip install --quiet --disable-pip-version-check -r bench/peers/requirements.txt
	touch $@

bench-temporal: $(PEERS)/.installed
	$(PEERS)/bin/python -m bench.peers.temporal_saga $(ARGS)

# Ours and the Temporal peer alternately, pair by pair (ARGS="-n 5 --sagas 1000")
bench-compare: $(APP) $(PEERS)/.installed
	$(BIN)/python -m bench.compare --peer-python $(PEERS)/bin/python $(ARGS)

worker: $(STAMP)
	$(BIN)/python -m app.worker

broker: $(STAMP)
	$(BIN)/python -m app.messaging.broker

bank: $(STAMP)
	$(BIN)/python -m app.adapters.bank.server

sms: $(STAMP)
	$(BIN)/python -m app.adapters.sms.server

clean:
	rm -rf $(VENV) node_modules app/web/static/dist .pytest_cache $(CATALOGS)
