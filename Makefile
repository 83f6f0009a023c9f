# Every target creates .venv itself: a fresh clone needs only Python 3.11+ and make.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
export HYPOTHESIS_PROFILE ?= dev

.PHONY: conformance test lint selftest bench soak clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## The main job: the conformance suite against the bundled reference destination, in-process.
conformance: $(STAMP)
	$(BIN)/planhat-conformance run --target reference

## The tests.
test: $(STAMP)
	$(BIN)/python -m pytest -n 2 -p xdist

lint: $(STAMP)
	$(BIN)/ruff check fake_planhat conformance tests
	$(BIN)/ruff format --check fake_planhat conformance tests
	$(BIN)/mypy

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .hypothesis
