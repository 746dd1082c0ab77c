# escrow-bpmn: `make run` serves the app on its embedded default, `make test` runs the suite.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test bench worker broker bank sms clean

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/python -m app

test: $(STAMP)
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python -m bench.run $(ARGS)

worker: $(STAMP)
	$(BIN)/python -m app.worker

broker: $(STAMP)
	$(BIN)/python -m app.messaging.broker

bank: $(STAMP)
	$(BIN)/python -m app.adapters.bank.server

sms: $(STAMP)
	$(BIN)/python -m app.adapters.sms.server

clean:
	rm -rf $(VENV) .pytest_cache node_modules
