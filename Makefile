# `make demo` and `make test` are the README's two commands; each sets up .venv first.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup setup-test demo test lint

# The demo set: CPU torch and the runtime packages, no test tools.
$(VENV)/.demo-deps: pyproject.toml requirements/demo.txt
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements/demo.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

# The test set: the demo set plus test tools and every optional extra's packages.
$(VENV)/.test-deps: $(VENV)/.demo-deps requirements/test.txt
	$(BIN)/pip install --quiet -r requirements/test.txt
	touch $@

setup: $(VENV)/.demo-deps

setup-test: $(VENV)/.test-deps

demo: setup
	$(BIN)/obclip demo

test: setup-test
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	$(BIN)/python -m pytest
