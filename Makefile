# `make demo` and `make test` are the README's two commands; each sets up .venv first.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup demo test lint

$(BIN)/obclip: pyproject.toml requirements/cpu.txt
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements/cpu.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(BIN)/obclip

setup: $(BIN)/obclip

demo: setup
	$(BIN)/obclip demo

test: setup
	$(BIN)/ruff check src tests bench
	$(BIN)/python -m pytest
