# The only entry points: people and CI use these targets and nothing else.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip
LOCK   := requirements.lock

.PHONY: demo test lint fmt bench serve clean lock

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "perfluence needs Python 3.11+")'
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip==25.3

$(VENV)/.runtime: $(BIN)/python pyproject.toml $(LOCK)
	$(PIP) install --quiet -c $(LOCK) -e .
	touch $@

$(VENV)/.dev: $(VENV)/.runtime
	$(PIP) install --quiet -c $(LOCK) -e '.[dev]'
	touch $@

demo: $(VENV)/.runtime
	$(BIN)/perfluence demo --serve

test: $(VENV)/.dev
	$(BIN)/ruff check src tests benchmarks fuzz
	$(BIN)/ruff format --check src tests benchmarks fuzz
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.dev
	$(BIN)/ruff check src tests benchmarks fuzz
	$(BIN)/lint-imports
	$(BIN)/mypy

fmt: $(VENV)/.dev
	$(BIN)/ruff format src tests benchmarks fuzz
	$(BIN)/ruff check --fix src tests benchmarks fuzz

bench: $(VENV)/.dev
	$(BIN)/python benchmarks/redirect.py

serve: $(VENV)/.runtime
	$(BIN)/perfluence serve

# Regenerate the lock from the pins in pyproject.toml (maintainers only).
lock: $(BIN)/python
	$(PIP) install --quiet -e '.[dev]'
	$(PIP) freeze --exclude-editable | grep -v '^perfluence' > $(LOCK)

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
