# gazeqwen: every command a user needs. `make test` and `make reproduce` create .venv when missing.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false
export MPLBACKEND := Agg

.PHONY: help venv test test-portable sync-check nbtest pytest export clean-nbs readme reproduce reproduce-full smoke nbs docs screenshots lab

$(STAMP): settings.ini setup.py
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

## list the targets, one line each
help:
	@awk '/^## /{doc=substr($$0,4); next} /^[a-zA-Z_-]+:/{if(doc){split($$1,t,":"); printf "  make %-12s %s\n", t[1], doc}; doc=""} !/^## /&&!/^[a-zA-Z_-]+:/{doc=""}' $(MAKEFILE_LIST)

## create .venv and install the package with its dev requirements
venv: $(STAMP)

## the notebooks are the source: exporting and cleaning must change nothing
sync-check: $(STAMP)
	$(BIN)/python tools/sync_check.py

## execute every notebook once: fails on an error or when a stored text output changed (replaces nbdev_test)
nbtest: $(STAMP)
	$(BIN)/python tools/run_nbs.py --check --n-workers 2

## the tests of tests/
pytest: $(STAMP)
	$(BIN)/python -m pytest -q tests

## everything CI runs: sync check, notebook execution with output check, the docs site (its tests read it), pytest
test: sync-check nbtest docs pytest

## parity notebooks and README-number tests under other CPUs' kernel settings (AVX2, no SIMD, MKL, oneDNN, 1 and 2 threads)
test-portable: $(STAMP)
	BIN=$(BIN) bash tools/test_portable.sh

## nbdev_clean, nbdev_export and the README, after editing notebooks
export: $(STAMP)
	$(BIN)/nbdev_clean && $(BIN)/nbdev_export && $(BIN)/python tools/readme.py

## strip cell metadata and execution counts from the notebooks (outputs are kept)
clean-nbs: $(STAMP)
	$(BIN)/nbdev_clean

## regenerate README.md from nbs/index.ipynb and the generated tables
readme: $(STAMP)
	$(BIN)/python tools/readme.py

## execute the notebooks and store their outputs in place (NBS=nbs/01_model.ipynb for some)
nbs: $(STAMP)
	$(BIN)/python tools/run_nbs.py --n-workers 2 $(NBS)

## build the HTML site in _site/ from the notebooks' stored outputs (nothing is executed)
docs: $(STAMP)
	$(BIN)/sphinx-build -q -c docs . _site
	@echo "site: $(CURDIR)/_site/index.html"

## headless-Chromium screenshots of the 01_model and 15_stats pages in _site/_screenshots/
screenshots: docs
	$(BIN)/python tools/screenshots.py

## open JupyterLab on the notebooks from the project's venv
lab: $(STAMP)
	$(BIN)/jupyter lab nbs

## every README number: the default preset of runs.yaml on the embedded default (CPU, pinned numerics; times in README)
reproduce: $(STAMP)
	$(BIN)/gazeqwen reproduce

## the default preset's runs (reused when finished) + training seeds 1 and 2 + the confirmation draw; rewrites README
reproduce-full: $(STAMP)
	$(BIN)/gazeqwen reproduce --preset full

## the smoke preset of runs.yaml on the tiny model (CPU)
smoke: $(STAMP)
	$(BIN)/gazeqwen reproduce --preset smoke
