# The two commands of the README. Each sets up its own environment in .venv.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: brief test lint bench clean docs

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

brief: $(STAMP)
	$(BIN)/critmin brief --out brief

test: $(STAMP)
	@# In CI nothing is skipped: the brief's PDF and browser tests need Debian's Chromium.
	@if [ "$${CI:-}" = "true" ] && ! command -v chromium >/dev/null 2>&1; then \
		apt-get update -qq && apt-get install -y -qq chromium poppler-utils >/dev/null; fi
	@# ... and the store and ledger suites run on PostgreSQL too: Debian's server, started
	@# throwaway (as the postgres user, on a temporary folder and port) for this run only.
	@if [ "$${CI:-}" = "true" ] && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
		apt-get update -qq && apt-get install -y -qq postgresql >/dev/null; fi
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports
	@pg=$$(mktemp -d /tmp/critmin-pg-XXXXXX); chmod 755 $$pg; \
	if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && \
		url=$$(bash tests/tools/pg-throwaway.sh start $$pg $$((20000 + $$$$ % 20000))); then \
		export CRITMIN_TEST_PG_URL=$$url; echo "PostgreSQL for the tests: $$url"; fi; \
	$(BIN)/pytest -q src tests; rc=$$?; \
	bash tests/tools/pg-throwaway.sh stop $$pg; rm -rf $$pg; exit $$rc

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_usgs_import.py
	$(BIN)/python benchmarks/bench_simulate.py --dask
	$(BIN)/python benchmarks/bench_optimize.py
	$(BIN)/python benchmarks/bench_brief.py --pdf

docs: $(STAMP)
	$(BIN)/mkdocs build --strict -d site

clean:
	rm -rf $(VENV)
