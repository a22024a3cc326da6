# The two commands: `make run` and `make test`. Both work on a fresh machine with only Python.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test fuzz lint import-graph schema schema-check install clean browser load faults bench bench-peers

$(STAMP): pyproject.toml
	@echo "==> .venv: salescoord and its dev tools from PyPI (about a minute the first time)"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --progress-bar off -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# GraphiQL's files ship in the package (salescoord/graphiql/assets): no npm, no CDN.
run: $(STAMP)
	@echo "==> database: migrating"
	$(BIN)/salescoord migrate
	@echo "==> database: the demo data set, if it has no users yet (a few seconds)"
	$(BIN)/salescoord demo --if-empty
	@echo "==> serving on 127.0.0.1:8000 (the address and the demo logins follow once it answers)"
	$(BIN)/salescoord serve --host 127.0.0.1 --port 8000 --no-migrate --welcome

test: $(STAMP) lint import-graph schema-check browser
	$(BIN)/pytest

# The long profiles of the fuzzed matrices, each database: FUZZ_LONG_QUERIES queries and
# FUZZ_LONG_MUTATIONS mutations per viewer; and 1,000 market weeks of the iPad client
# (MARKET_WEEKS, MARKET_STEPS override).
fuzz: $(STAMP)
	SALESCOORD_FUZZ=long $(BIN)/pytest -s -p no:warnings tests/test_fuzz_scope.py tests/test_fuzz_mutations.py \
	  tests/test_market_week.py
# Headless Chromium for the browser test (best effort off CI).
browser:
	@./scripts/browser-deps

# A minute of mixed load on PostgreSQL, and the same under faults (the faults run restarts the
# local PostgreSQL server). `make test` runs a 6-second smoke of each, without the restart.
# The server is DATABASE_URL's, else TEST_DATABASE_URL's; LOAD_ARGS / FAULTS_ARGS pass through
# (e.g. "--seconds 20 --clients 8", "--without-restart").
LOAD_ARGS ?=
FAULTS_ARGS ?=
load: $(STAMP)
	$(BIN)/python -m bench.mixed_load $(LOAD_ARGS)

faults: $(STAMP)
	$(BIN)/python -m bench.faults $(FAULTS_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .

# The layers import downwards only (schema types and resolvers excepted): scripts/import-graph.
import-graph: $(STAMP)
	@$(BIN)/python scripts/import-graph

schema: $(STAMP)
	$(BIN)/salescoord schema > schema.graphql

schema-check: $(STAMP)
	@$(BIN)/salescoord schema | diff -u schema.graphql - \
	  || (echo "schema.graphql is out of date: run 'make schema' and commit it" && exit 1)

# The benchmark (bench/README.md): both databases, one after the other; BENCH_ARGS="--scale 10"
# or "--seconds 5" or "--only Q1,Q2" pass through. `make test` runs a smoke of it (Q0, SQLite).
BENCH_ARGS ?=
$(VENV)/.bench: $(STAMP)
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	touch $@

# Peer (d) on PostgreSQL: Node 22 (the npm package node@22) and PostGraphile 5, exactly as
# bench/postgraphile/package-lock.json pins them, into bench/postgraphile/node_modules.
PEERS := bench/postgraphile/node_modules/.installed
$(PEERS): bench/postgraphile/package.json bench/postgraphile/package-lock.json
	cd bench/postgraphile && npm ci --no-audit --no-fund
	touch $@

bench-peers: $(PEERS)

bench: $(VENV)/.bench $(PEERS)
	$(BIN)/python -m bench.run --db sqlite $(BENCH_ARGS)
	$(BIN)/python -m bench.run --db postgresql $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache *.egg-info
