# pullplan: `make run` starts it with the demo workspace; `make test` runs the whole suite.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# pytest-xdist processes for `make test` (each starts its own servers and browser as needed).
TEST_WORKERS ?= 2

.PHONY: run test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[postgres,test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/pullplan serve

test: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/pytest -q -n $(TEST_WORKERS)

bench: $(STAMP)
	$(BIN)/python bench/pull_bench.py

clean:
	rm -rf $(VENV) build dist src/*.egg-info .pytest_cache .ruff_cache .hypothesis test-artifacts
