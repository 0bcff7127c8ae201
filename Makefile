# Transfer Learning, Hands-On. The two commands in the README:
#   make lab    set up the learner's environment, fetch the assets, open JupyterLab on notebooks/
#   make test   set up the developer's environment (the learner's plus test tools), lint, run every test
# While working: make test-fast (unit and exercise tests, no notebook, no hub; a few minutes) and make lint.
# Both install the exact versions CI passed with (requirements/tested.txt) into $(VENV).
PYTHON      ?= python3
VENV        ?= .venv
BIN         := $(VENV)/bin
CONSTRAINTS := requirements/tested.txt
# On a Linux laptop with internet, a CPU-only PyTorch saves gigabytes (see the README):
#   make lab TORCH_INDEX=https://download.pytorch.org/whl/cpu
TORCH_INDEX ?=
# What `make lab` finally runs; the tests replace it with a no-op.
LAB         ?= $(BIN)/jupyter lab notebooks/

# Idle PyTorch (OpenMP) threads sleep instead of spinning, so kernels sharing cores slow down
# only by their fair share (course_utils/threads.py). Every kernel started by make inherits it.
export OMP_WAIT_POLICY ?= PASSIVE

NEED_PYTHON = command -v $(PYTHON) >/dev/null 2>&1 || { echo "make: no '$(PYTHON)' found. Install Python 3.11 or newer, then run make again (or name it: make lab PYTHON=python3.11)." >&2; exit 1; }
INSTALL     = $(PYTHON) tools/install.py --venv $(VENV) --constraints $(CONSTRAINTS) $(if $(TORCH_INDEX),--torch-index $(TORCH_INDEX))

.PHONY: setup setup-dev fetch lab test test-fast doctor lint site bench bench-busy bench-twice bench-hub bench-compile bench-vision ipex sweep-setfit constraints clean

setup: $(VENV)/.course-installed
setup-dev: $(VENV)/.course-installed-dev

# Re-installs only when the dependencies or their tested versions change.
$(VENV)/.course-installed: pyproject.toml $(CONSTRAINTS)
	@$(NEED_PYTHON)
	$(INSTALL)

$(VENV)/.course-installed-dev: pyproject.toml $(CONSTRAINTS)
	@$(NEED_PYTHON)
	$(INSTALL) --dev

fetch: setup
	$(BIN)/python -m course_utils fetch

# A failed fetch (e.g. offline) does not keep the learner out: fetch has said which notebooks
# need which missing asset and the command that fixes it; the others run as they are.
lab: setup
	@$(BIN)/python -m course_utils fetch || echo "make lab: opening JupyterLab anyway; see above for what is missing and the fix."
	$(LAB)

lint: setup-dev
	$(BIN)/python -m ruff check .
	$(BIN)/python -m ruff format --check .

test: setup-dev lint
	$(BIN)/python -m course_utils fetch
	$(BIN)/python -m pytest

# The quick loop: the package's unit tests and every exercise's checker, no notebook and no hub.
test-fast: setup-dev
	$(BIN)/python -m course_utils fetch --quiet
	$(BIN)/python -m pytest tests/unit tests/exercises tests/project -p no:site_cache -q

# The course website in _build/html: the README, every notebook with its outputs, the guides and the
# dataset cards. Each notebook is executed once into _build/.jupyter_cache (make test fills the same
# cache), so a rebuild after editing prose takes seconds. Needs no network.
site: setup-dev
	$(BIN)/python -m course_utils fetch
	$(BIN)/python -m sphinx -W --keep-going -c site . _build/html
	@echo "make site: the course website is in _build/html (open _build/html/index.html)"

doctor: setup
	$(BIN)/python -m course_utils doctor

# Record the exact versions of a green `make test` as the tested set (commit the result).
constraints: setup-dev
	@{ echo "# The exact versions the course's test suite passed with: make setup and .ci/run install with"; \
	   echo "# 'pip install -c requirements/tested.txt'. Regenerate after a green 'make test': make constraints"; \
	   echo "# Made with Python $$($(BIN)/python -c 'import platform; print(platform.python_version(), platform.system(), platform.machine())')."; \
	   $(BIN)/python -m pip freeze --all --exclude-editable | grep -v -i '^transfer-learning-course'; } > $(CONSTRAINTS).new
	mv $(CONSTRAINTS).new $(CONSTRAINTS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache _build

# Wall time and true peak kernel memory per notebook (offline backbone, then ResNet-50 with random
# weights for timing), written to benchmarks/results.md, with a per-cell profile of each notebook in
# benchmarks/profiles/; then each notebook's Run All pressed twice in one kernel (the peak a learner
# who re-runs reaches; target 1.9 GiB), with its profile; then the classic tutorial recipe next to
# notebook 02's, written to benchmarks/classic_recipe.md.
bench: setup-dev
	$(BIN)/python -m course_utils fetch
	$(BIN)/python benchmarks/bench_notebooks.py --profile
	$(BIN)/python benchmarks/bench_notebooks.py --twice --profile
	$(BIN)/python benchmarks/classic_recipe.py

# A classroom on this machine: one learner runs notebook 04 alone, then 4 learners at once, through
# a real JupyterHub; wall times, slowdowns and per-user memory into benchmarks/hub.md.
bench-hub: setup-dev
	$(BIN)/python -m course_utils fetch
	$(BIN)/python benchmarks/bench_hub.py

# What notebook 02 cannot afford: the whole network fine-tuned and 30 epochs from scratch, seeds 0-2,
# in benchmarks/vision_baselines.md (about half an hour; finished runs are kept in its .csv and skipped).
bench-vision: setup-dev
	$(BIN)/python -m course_utils fetch hymenoptera efficientnet-lite0-imagenet
	$(BIN)/python benchmarks/vision_baselines.py

# torch.compile's compile time and speed-up on notebook 07's classifier: benchmarks/deployment.md.
bench-compile: setup-dev
	$(BIN)/python -m course_utils fetch sst2 all-MiniLM-L6-v2
	$(BIN)/python benchmarks/compile_probe.py

# Notebook 07's IPEX cell in its own environment (torch 2.8 + IPEX 2.8, requirements/ipex.txt, built
# once outside the checkout: several GB), beside PyTorch 2.14's own paths: benchmarks/ipex.md.
ipex: setup-dev
	$(BIN)/python -m course_utils fetch sst2 all-MiniLM-L6-v2
	$(BIN)/python benchmarks/ipex_bench.py

# Every notebook alone, then beside two CPU-burning processes, each time with the test suite's second
# pass (every cell but the heavy ones again): a shared hub's or a busy laptop's slowdown (target: at
# most 2.5x on two cores), added to benchmarks/results.md.
bench-busy: setup-dev
	$(BIN)/python -m course_utils fetch
	$(BIN)/python benchmarks/bench_notebooks.py --load 2

# Each notebook's Run All pressed twice in one kernel, on both configurations: both passes' times and
# memory peaks (also part of make bench).
bench-twice: setup-dev
	$(BIN)/python -m course_utils fetch
	$(BIN)/python benchmarks/bench_notebooks.py --twice

# What SetFit with the course's encoder reaches on SST-2 (notebook 04's evidence): pools x pair
# budgets x losses x shots x 5 seeds, then the frozen encoder with 1,000 labels per class.
# About an hour on 2 cores; finished runs are kept in benchmarks/setfit_sweep.csv and skipped.
SWEEP = $(BIN)/python benchmarks/setfit_sweep.py
sweep-setfit: setup-dev
	$(BIN)/python -m course_utils fetch
	$(SWEEP) --pools sentences phrases5 --shots 8 16 --steps 10 --loss cosine
	$(SWEEP) --pools sentences --shots 8 16 --steps 5 40 --loss cosine
	$(SWEEP) --pools sentences --shots 8 16 --steps 40 --loss supcon
	$(SWEEP) --pools sentences --shots 8 --steps 40 --lr 1e-4 --loss cosine
	$(SWEEP) --pools sentences --shots 1000 --seeds 0 --steps
