# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench bench-large bench-scale chaos soak install clean-data

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

run: $(STAMP)  ## start PostgreSQL, Temporal + UI, worker, API and demo data (Ctrl-C stops all)
	$(BIN)/erp up

TEST_WORKERS ?= 2
test: $(STAMP)  ## the whole suite against real PostgreSQL and Temporal (no Docker, no network), on 2 workers
	$(BIN)/python -m pytest -q -p no:cacheprovider -n $(TEST_WORKERS) --dist worksteal --durations=15

lint: $(STAMP)  ## ruff and mypy
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .

bench: $(STAMP)  ## speed ratios against baselines measured in the same run
	$(BIN)/python -m bench.run $(BENCH_ARGS)

LARGE_SIZES ?= 1000000 10000000
bench-large: $(STAMP)  ## one ledger grown to 10,000,000 journal lines: trial balance and close at 1M and 10M
	$(BIN)/python -m bench.close_bench $(LARGE_SIZES)

bench-scale: $(STAMP)  ## inbox at 100,000 open tasks, replenishment at 1,000,000 item-locations, flash sales (slow)
	$(BIN)/python -m bench.scale $(BENCH_ARGS)

chaos: $(STAMP)  ## accepted means applied, full size: 40 orders + 15 POs, >= 50 worker kills, a Temporal restart
	$(BIN)/python -m tests.chaos.edge $(CHAOS_ARGS)

SOAK_ARGS ?= --days 60 --faults 300
soak: $(STAMP)  ## months of business under seeded faults, every invariant checked every day (ERP_SOAK_SEED)
	$(BIN)/python -m tests.chaos.soak $(SOAK_ARGS)

clean-data:  ## forget the local database and Temporal history (asks nothing: be sure)
	rm -rf .data
