# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# `make run PORT=8100`: where web listens; the demo seed and e-mail links use the same port.
PORT   ?= 8000

.PHONY: install run test lint format migrate seed bench bench-scale clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

migrate: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py createcachetable

seed: migrate
	SITE_PORT=$(PORT) $(BIN)/python manage.py demo_seed

## Web on 127.0.0.1:$(PORT) (default 8000) + Celery worker + beat, on the embedded defaults.
## Ctrl-C stops all three.
run: seed
	@PORT=$(PORT) bash scripts/run-dev.sh

## The whole suite (PostgreSQL/Redis when DATABASE_URL/REDIS_URL point at them, as in CI).
test: install
	$(BIN)/pytest

## Issue 13's four measurements on PostgreSQL (BENCH_DATABASE_URL) and Redis (BENCH_BROKER_URL):
## order placement vs raw SQL, dispatch vs a no-op Celery task, a 500-IMEI bulk order vs a bare
## bulk_create, and page latency at a million orders vs a thousand; it ends with one line,
## `bench: placement_ratio=… dispatch_ratio=… bulk_ratio=… scale_p95_ratio=…`. See README "Benchmark".
BENCH_RESULTS ?= $(CURDIR)/var/bench-results.json
bench: install
	@mkdir -p $(dir $(BENCH_RESULTS)) && rm -f $(BENCH_RESULTS)
	-BENCH_RESULTS=$(BENCH_RESULTS) $(BIN)/python scripts/bench.py
	-BENCH_RESULTS=$(BENCH_RESULTS) $(BIN)/python scripts/bench_dispatch.py
	-BENCH_RESULTS=$(BENCH_RESULTS) $(BIN)/python scripts/bench_bulk.py
	-BENCH_RESULTS=$(BENCH_RESULTS) $(BIN)/python scripts/bench_scale.py
	@BENCH_RESULTS=$(BENCH_RESULTS) $(BIN)/python scripts/bench_summary.py

## Only the million-order page latency part of `make bench` (it takes the longest).
bench-scale: install
	$(BIN)/python scripts/bench_scale.py

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf var test-artifacts .pytest_cache .ruff_cache
