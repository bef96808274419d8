# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: run test lint unit integration browser broker chromium install clean-data verify faults fuzz history

# The history the suite starts every service on (tests/integration/test_history_start.py):
# 100,000 tickets (a subdistrict's year and a half) store in about 75 s on two cores; 300,000
# take about four minutes, past the two the suite gives it; `make history` stores them all.
SUITE_HISTORY ?= 100000
# The copies drill in the suite: 1,000 tickets (`make faults`) take about five minutes on
# the wire store on two cores, where every step waits on a store over the network; the
# suite sends fewer, with every fault of copies.
COPIES_DRILL_TICKETS ?= 500
# The cluster drill: tickets sent at 6 a second, so that the load lasts through a node's
# loss and the rolling restart of all three nodes (about 40 s) begun halfway.
CLUSTER_DRILL_TICKETS ?= 360

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

## The whole system on this machine: RabbitMQ, the services, a callback worker, demo data.
run: install broker
	$(BIN)/python deploy/single_machine.py

## The whole suite: lint and type checks, unit tests, the services together against
## RabbitMQ, the console in a real browser (its own pytest process: playwright must not run
## under eventlet), then the fault drill: alone, with copies and on a broker cluster
## (about seven minutes; see `faults`).
test: install broker chromium lint
	@deploy/broker.sh --with-server  # the cluster's tests and the drills start nodes of their own
	HISTORY_TICKETS=$(SUITE_HISTORY) $(BIN)/pytest -q tests
	$(BIN)/pytest -q --browser tests/browser
	$(BIN)/python deploy/faults.py
	$(BIN)/python deploy/faults.py --copies 2 --tickets $(COPIES_DRILL_TICKETS)
	$(BIN)/python deploy/faults.py --cluster --tickets $(CLUSTER_DRILL_TICKETS) --rate 6

## ruff (style, imports, likely bugs) and mypy (types) over the code and the tests.
lint: install
	$(BIN)/ruff check services deploy tests
	$(BIN)/mypy services deploy

browser: install broker chromium
	$(BIN)/pytest -q --browser tests/browser

unit: install
	$(BIN)/pytest -q tests/unit

integration: install broker
	$(BIN)/pytest -q tests/integration

## The fault drill: 1,000 tickets worked while each service and a callback worker are
## killed with -9, RabbitMQ (a node of the drill's own) crashes, the store goes away, poison
## messages come on the services' queues and callback's and dispatch's clocks are stepped;
## prints sent/accepted/completed/lost/duplicated and poison sent/parked, exit 1 unless
## nothing is lost or doubled and each poison message is parked exactly once. Then the
## same with two copies of every service on the wire store, with the faults of copies;
## then on a RabbitMQ cluster of three nodes: one killed under load, then all restarted in
## turn.
faults: install
	@deploy/broker.sh --with-server
	$(BIN)/python deploy/faults.py
	$(BIN)/python deploy/faults.py --copies 2
	$(BIN)/python deploy/faults.py --cluster --tickets 600 --rate 6

## The HTTP API fuzzed with new draws each time (the suite draws the same ones, so that it
## passes or fails on the code alone): requests made from its OpenAPI description.
fuzz: install broker
	FUZZ=random $(BIN)/pytest -q tests/integration/test_console_openapi.py

## Every service started on 300,000 stored tickets, about four years of a subdistrict's
## calls (stored through the bulk path of deploy/history.py; about four minutes).
history: install broker
	HISTORY_TICKETS=300000 $(BIN)/pytest -q -s -o timeout=3000 -m history tests/integration

## Check the ledger's hash chains on the running system (make run); exit 1 when broken.
## Signs in as VERIFY_USER (a supervisor or admin; the password is asked), or HOTLINE_TOKEN.
verify: install
	$(BIN)/python -m services.ledger.verify_cli $(if $(VERIFY_USER),--user $(VERIFY_USER))

## Forget the embedded store of `make run` (var/data).
clean-data:
	rm -rf var/data

## Figures under load beside nameko's own floor (a few minutes; not part of `make test`):
## prints a table, writes var/bench/bench.json and var/bench/bench.png.
.PHONY: bench
bench: install broker chromium
	$(BIN)/python deploy/bench.py
	@deploy/broker.sh --with-server
	$(BIN)/python deploy/bench_cluster.py
