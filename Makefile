# Two entry points: `make run` (demo analysis + report) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CORES ?= 2

.PHONY: run test test-pandas3 report lint clean

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

# The suite on the newest pandas (3.x) in a venv of its own. lifelines, the survival tests'
# reference (test extra), needs pandas < 3: its comparisons are skipped there, all else runs.
PANDAS3 := .venv-pandas3
$(PANDAS3)/bin/pytest: pyproject.toml
	$(PYTHON) -m venv $(PANDAS3)
	$(PANDAS3)/bin/pip install --quiet --upgrade pip
	$(PANDAS3)/bin/pip install --quiet -e . "pandas>=3" pytest hypothesis playwright
	touch $@

test-pandas3: $(PANDAS3)/bin/pytest
	$(PANDAS3)/bin/python -c "import pandas; assert int(pandas.__version__.split('.')[0]) >= 3, pandas.__version__"
	$(PANDAS3)/bin/pytest -m "not slurm" -p no:cacheprovider

# Formatting, style, types and the workflow's own lint; part of `make test`.
lint: $(BIN)/snakemake
	$(BIN)/ruff check src workflow tests benchmarks
	$(BIN)/ruff format --check src workflow tests benchmarks
	$(BIN)/snakefmt --check Snakefile workflow
	$(BIN)/mypy
	$(BIN)/snakemake --lint

clean:
	rm -rf results logs .snakemake
