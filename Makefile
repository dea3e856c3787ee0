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

.PHONY: venv test sync-check nbtest pytest export clean-nbs readme reproduce reproduce-full smoke

$(STAMP): settings.ini setup.py
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

## the notebooks are the source: exporting and cleaning must change nothing
sync-check: $(STAMP)
	$(BIN)/python tools/sync_check.py

nbtest: $(STAMP)
	$(BIN)/nbdev_test --n_workers 2 --timing

pytest: $(STAMP)
	$(BIN)/python -m pytest -q tests

test: sync-check nbtest pytest

export: $(STAMP)
	$(BIN)/nbdev_clean && $(BIN)/nbdev_export && $(BIN)/python tools/readme.py

reproduce: $(STAMP)
	$(BIN)/gazeqwen reproduce

## the default preset's runs (reused when finished) + training seeds 1 and 2 + the confirmation draw; rewrites README
reproduce-full: $(STAMP)
	$(BIN)/gazeqwen reproduce --preset full

smoke: $(STAMP)
	$(BIN)/gazeqwen reproduce --preset smoke
