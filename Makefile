# `make brief` sets up .venv and builds the default brief; `make test` sets up .venv and runs the tests.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: brief test setup clean

brief: $(STAMP)
	$(BIN)/scenmatrix validate
	$(BIN)/scenmatrix brief

test: $(STAMP)
	$(BIN)/python -m pytest -n 2 -q

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

clean:
	rm -rf $(VENV) briefs .pytest_cache
