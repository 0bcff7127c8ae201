# Transfer Learning, Hands-On. The two commands in the README:
#   make lab    set up the environment, fetch the assets, open JupyterLab on notebooks/
#   make test   the same set-up, then lint and the whole test suite (every notebook included)
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.course-installed

.PHONY: setup fetch lab test doctor lint bench clean

setup: $(STAMP)

# Re-installs only when pyproject.toml changes.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install -e ".[dev]"
	touch $@

fetch: setup
	$(BIN)/python -m course_utils fetch

lab: fetch
	$(BIN)/jupyter lab notebooks/

lint: setup
	$(BIN)/python -m ruff check .

test: fetch lint
	$(BIN)/python -m pytest

doctor: setup
	$(BIN)/python -m course_utils doctor

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache

# Wall time and peak kernel memory per notebook (offline backbone, then ResNet-50 with random
# weights for timing), written to benchmarks/results.md; then the classic tutorial recipe next to
# notebook 02's, written to benchmarks/classic_recipe.md.
bench: fetch
	$(BIN)/python benchmarks/bench_notebooks.py
	$(BIN)/python benchmarks/classic_recipe.py
