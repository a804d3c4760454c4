# Two commands for users:  `make lab` (set up, then open the course in JupyterLab)
#                          `make test` (set up, then run every check; CI runs exactly this).
# Setup is a virtual environment in .venv built from requirements-lock.txt; it is rebuilt
# only when the lock or pyproject.toml changes, so repeated calls are fast.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PYTEST_WORKERS ?= 2
LAB_ARGS ?=
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)  # Jupyter refuses root without it (containers)

.PHONY: setup vendor lab test test-classroom test-stress test-distributed audit-claims test-oldest test-latest compat lint unit notebooks course student slides strip refresh full-data lock clean help
.DEFAULT_GOAL := help

help:
	@echo "make lab      set up .venv (if needed) and start JupyterLab on notebooks/"
	@echo "make test     set up .venv (if needed) and run lint, unit tests, every notebook in quick mode (student versions checked in the same run) and the site in a browser"
	@echo "make test-stress       make test beside two CPU-bound processes"
	@echo "make test-distributed  notebook 12 (torchrun) in quick mode 30 times (SEEDS=0-29)"
	@echo "make audit-claims      every notebook over SEEDS (default 10-19; FULL=1 full mode, NB=path one notebook): each claim's margin"
	@echo "make course   execute every notebook and build the offline website under build/html/ (COURSE_QUICK=1 for quick)"
	@echo "make student  write student notebooks (solutions replaced by placeholders) under build/student/"
	@echo "make slides   build offline reveal.js decks under build/slides/"
	@echo "make strip    strip outputs from notebooks (regression cells keep theirs)"
	@echo "make refresh  re-execute notebooks in quick mode and store their regression-cell outputs (NB=path to pick one)"
	@echo "make full-data MNIST=dir   install a full MNIST copy from dir into the data directory"
	@echo "make lock     regenerate requirements-lock.txt from .venv"
	@echo "make test-oldest / test-latest   unit tests and every notebook in quick mode with torch, torchvision and numpy"
	@echo "              at the lower bounds of pyproject.toml / at the newest releases (own venvs, several GB, not in make test)"

$(STAMP): requirements-lock.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null || { \
		echo "error: the course needs Python 3.11 or later, but '$(PYTHON)' is $$($(PYTHON) --version 2>&1 || echo missing)."; \
		echo "       Install Python 3.11+ and run e.g. 'make test PYTHON=python3.11'."; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-lock.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $(STAMP)

setup: $(STAMP)

# MathJax and reveal.js for the offline site and slides (and require.js, which nbconvert's slides load
# reveal.js with), fetched once from the npm registry into build/vendor/: pages never use a CDN.
VENDOR := build/vendor
$(VENDOR)/.done:
	@command -v npm >/dev/null || { echo "error: the course site and slides need npm (Node.js) once, to fetch MathJax and reveal.js; install Node.js and retry."; exit 1; }
	rm -rf $(VENDOR) && mkdir -p $(VENDOR)/mathjax $(VENDOR)/reveal.js $(VENDOR)/requirejs
	cd $(VENDOR) && npm pack --silent mathjax@3.2.2 reveal.js@4.0.2 requirejs@2.3.7 >/dev/null
	tar xzf $(VENDOR)/mathjax-3.2.2.tgz --strip-components=1 -C $(VENDOR)/mathjax package/es5/tex-svg-full.js
	tar xzf $(VENDOR)/reveal.js-4.0.2.tgz --strip-components=1 -C $(VENDOR)/reveal.js package/dist package/plugin package/LICENSE
	tar xzf $(VENDOR)/requirejs-2.3.7.tgz --strip-components=1 -C $(VENDOR)/requirejs package/require.js
	rm -f $(VENDOR)/*.tgz
	@touch $@

vendor: $(VENDOR)/.done

lab: $(STAMP)
	$(BIN)/jupyter lab --no-browser --notebook-dir=notebooks $(ROOT_FLAG) $(LAB_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check course_utils tests scripts

# `make test`: lint, the unit tests (with coverage of course_utils), every notebook in quick mode under nbval
# (each exercise's student version checked in the same run, see tests/harness.py; the executed notebooks
# land in build/test-executed/), then the website and slides built from them and opened in headless
# chromium; a table of each step's time at the end (scripts/test_steps.py).
test: $(STAMP) vendor
	$(BIN)/python scripts/test_steps.py

# The site and slides alone (they need the executed notebooks that the notebook step of `make test` leaves).
test-classroom: $(STAMP) vendor
	$(BIN)/python scripts/test_steps.py --only site

# make test beside two CPU-bound processes: the suite must also pass on a busy machine.
test-stress: $(STAMP) vendor
	$(BIN)/python scripts/test_steps.py --load 2

# Every notebook in quick mode for each seed (FULL=1: full mode), every claim tabulated: held in n of N seeds,
# worst margin, spread (build/claims-audit.json and .md; the site's ledger shows them). Fails if any claim
# fails in any seed. Use seeds that did not set any threshold.
audit-claims: $(STAMP)
	$(BIN)/python scripts/audit_claims.py --seeds $(or $(SEEDS),10-19) $(if $(FULL),--full,) $(NB)

# Notebook 12 (torchrun launches) in quick mode 30 times, seeds 0-29: every run must pass.
test-distributed: $(STAMP)
	$(BIN)/python scripts/repeat_notebook.py notebooks/12_scaling_out.ipynb --seeds $(or $(SEEDS),0-29)

# Compatibility runs, outside `make test`: a venv of their own with the course installed from its metadata
# (pyproject.toml, no lock), torch, torchvision, numpy, matplotlib, seaborn and tqdm at their declared lower
# bounds (test-oldest) or everything at its newest release (test-latest); then the unit tests (less the one
# that compares the venv with the lock) and every notebook in quick mode.
OLDEST := torch==2.6.0 torchvision==0.21.0 numpy==1.26.4 matplotlib==3.7.0 seaborn==0.13.0 tqdm==4.66.0
test-oldest:
	$(MAKE) --no-print-directory compat COMPAT_VENV=.venv-oldest COMPAT_PINS="$(OLDEST)"
test-latest:
	$(MAKE) --no-print-directory compat COMPAT_VENV=.venv-latest COMPAT_PINS="--upgrade --upgrade-strategy eager"
compat:
	@test -x $(COMPAT_VENV)/bin/python || $(PYTHON) -m venv $(COMPAT_VENV)
	$(COMPAT_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -e '.[lab,test]' $(COMPAT_PINS)
	$(COMPAT_VENV)/bin/python -c "import numpy, torch, torchvision; print(f'compat run: torch {torch.__version__}, torchvision {torchvision.__version__}, numpy {numpy.__version__}')"
	$(COMPAT_VENV)/bin/python -m pytest -n $(PYTEST_WORKERS) --dist loadfile -q -p no:cacheprovider tests course_utils \
		--ignore=tests/test_site.py --deselect tests/test_environment.py::test_installed_environment_is_the_locked_one
	$(COMPAT_VENV)/bin/python -m pytest -n $(PYTEST_WORKERS) --dist loadfile --nbval-lax --nbval-cell-timeout=300 -p no:cacheprovider notebooks

course: $(STAMP) vendor
	$(BIN)/python scripts/build_course.py

student: $(STAMP)
	$(BIN)/python scripts/make_student.py

slides: $(STAMP) vendor
	$(BIN)/python scripts/build_slides.py

strip: $(STAMP)
	$(BIN)/nbstripout --keep-count notebooks/*.ipynb

refresh: $(STAMP)
	$(BIN)/python scripts/refresh_notebooks.py $(or $(NB),notebooks/*.ipynb)

full-data: $(STAMP)
	$(BIN)/python scripts/install_full_mnist.py $(MNIST)

lock: $(STAMP)
	$(BIN)/python scripts/write_lock.py

clean:
	rm -rf build .pytest_cache .ruff_cache .coverage
