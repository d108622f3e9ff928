# CivicID developer commands. Each target installs what it needs into .venv first.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench browser signing-tools clean help

help:
	@echo "make demo   - install and run the demo commune on http://127.0.0.1:8000 (DEMO_ARGS='--port 8080 --seed 7')"
	@echo "make test   - install with test extras and run the whole suite (SQLite and PostgreSQL)"
	@echo "make lint   - ruff, mypy and the layer contracts (lint-imports)"
	@echo "make bench  - the benchmarks in bench/"

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,bench]'
	touch $(STAMP)

# Options for `civicid demo`: make demo DEMO_ARGS="--port 8080 --host 0.0.0.0 --seed 7"
DEMO_ARGS ?=

demo: $(STAMP)
	$(BIN)/civicid demo $(DEMO_ARGS)

# Browser tests drive Debian's Chromium; install it when we can (root on Debian) and it is missing.
browser:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) || \
		echo "chromium not installed: browser tests will be skipped"; }
	@# The help pages' speech: espeak-ng's Vietnamese voice (tests/help skip without it).
	@command -v espeak-ng >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq espeak-ng >/dev/null) || \
		echo "espeak-ng not installed: the help pages' speech tests will be skipped"; }

# The signing tests check PDFs with poppler's pdfsig and keys in SoftHSM2 (Debian's poppler-utils, softhsm2); the campaign
# report test reads its PDF with poppler's pdftotext.
signing-tools:
	@{ command -v pdfsig >/dev/null 2>&1 && command -v softhsm2-util >/dev/null 2>&1; } || { [ "$$(id -u)" = 0 ] && \
		command -v apt-get >/dev/null 2>&1 && (apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -qq poppler-utils softhsm2 >/dev/null) || \
		echo "poppler-utils or softhsm2 not installed: their signing tests will be skipped"; }

test: $(STAMP) browser signing-tools
	$(BIN)/pytest -n auto --dist loadfile

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) civicid-data .pytest_cache .mypy_cache .ruff_cache
