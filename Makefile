# Every target creates .venv itself: a fresh clone needs only Python 3.11+ and make.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
export HYPOTHESIS_PROFILE ?= dev

.PHONY: conformance test lint selftest bench bench-smoke soak clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## The main job: the conformance suite against the bundled reference destination, in-process.
conformance: $(STAMP)
	$(BIN)/planhat-conformance run --target reference

## The kit's self-test: references pass, every mutant is caught; writes docs/selftest.md (~2 min).
selftest: $(STAMP)
	$(BIN)/planhat-conformance selftest --write docs/selftest.md

## The tests.
test: $(STAMP)
	$(BIN)/python -m pytest -n 2 -p xdist

## A minute of mixed load on `fake-planhat serve`; state, memory and latencies checked after.
soak: $(STAMP)
	$(BIN)/python tools/soak.py --seconds 60

## Benchmarks next to baselines measured in the same run; writes docs/performance.md (~10 min).
bench: $(VENV)/.bench-installed
	$(BIN)/python -m bench

## The bench in smoke mode (seconds): checks it still runs, writes to a temporary folder only.
bench-smoke: $(VENV)/.bench-installed
	$(BIN)/python -m bench --smoke --output "$${TMPDIR:-/tmp}/fake-planhat-bench-smoke/performance.md"

$(VENV)/.bench-installed: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	touch $@

lint: $(STAMP)
	$(BIN)/ruff check fake_planhat conformance tests bench
	$(BIN)/ruff format --check fake_planhat conformance tests bench
	$(BIN)/mypy

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .hypothesis
