# Two entry points: `make run` (demo analysis + report) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CORES ?= 2

.PHONY: run test report lint clean

$(BIN)/snakemake: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@

run: $(BIN)/snakemake
	$(BIN)/snakemake --cores $(CORES)
	$(BIN)/snakemake --cores $(CORES) --report results/report.html

test: lint
	$(BIN)/pytest

# Formatting, style, types and the workflow's own lint; part of `make test`.
lint: $(BIN)/snakemake
	$(BIN)/ruff check src workflow tests benchmarks
	$(BIN)/ruff format --check src workflow tests benchmarks
	$(BIN)/snakefmt --check Snakefile workflow
	$(BIN)/mypy
	$(BIN)/snakemake --lint

clean:
	rm -rf results logs .snakemake
