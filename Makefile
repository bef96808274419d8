# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: run test unit integration browser broker chromium install clean-data verify

install: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	@deploy/python.sh $(PYTHON)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@rm -f $(VENV)/.installed-* && touch $@

broker:
	@deploy/broker.sh

chromium:
	@deploy/chromium.sh

## The whole system on this machine: RabbitMQ, the four services, a callback worker, demo data.
run: install broker
	$(BIN)/python deploy/single_machine.py

## The whole suite: unit tests, the services together against RabbitMQ, then the console
## in a real browser (its own pytest process: playwright must not run under eventlet).
test: install broker chromium
	$(BIN)/pytest -q tests
	$(BIN)/pytest -q --browser tests/browser

browser: install broker chromium
	$(BIN)/pytest -q --browser tests/browser

unit: install
	$(BIN)/pytest -q tests/unit

integration: install broker
	$(BIN)/pytest -q tests/integration

## Check the ledger's hash chains on the running system (make run); exit 1 when broken.
verify: install
	$(BIN)/python -m services.ledger.verify_cli

## Forget the embedded store of `make run` (var/data).
clean-data:
	rm -rf var/data

## Figures under load beside nameko's own floor (a few minutes; not part of `make test`):
## prints a table, writes var/bench/bench.json and var/bench/bench.png.
.PHONY: bench
bench: install broker chromium
	$(BIN)/python deploy/bench.py
