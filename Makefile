# `make brief` sets up .venv and builds the default brief; `make test` sets up .venv and runs the tests;
# `make bench` adds the benchmark-only extra (XlsxWriter) and rewrites the Scale section of benchmarks/README.md
# and benchmarks/profiles/ (minutes: the 100,000-impact runs dominate; see benchmarks/README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
BENCH_STAMP := $(VENV)/.bench-installed

.PHONY: brief test quick bench setup clean

brief: $(STAMP)
	$(BIN)/scenmatrix validate
	$(BIN)/scenmatrix brief

test: $(STAMP)
	$(BIN)/python -m pytest -n 2 -q

# the edit-test loop: everything but the tests marked slow (kills, limits, long property tests)
quick: $(STAMP)
	$(BIN)/python -m pytest -n 2 -q -m 'not slow'

bench: $(BENCH_STAMP)
	$(BIN)/python benchmarks/bench_scale.py --readme --profiles

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

$(BENCH_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	touch $(BENCH_STAMP)

clean:
	rm -rf $(VENV) briefs .pytest_cache
