# StackRift — set-up, demo, tests and benchmarks. Every target installs what it needs into .venv.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: demo test lint typecheck unit bench clean browser

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed-base: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $@ $(VENV)/.installed-base

demo: $(VENV)/.installed-base
	$(BIN)/stackrift demo

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check src tests benchmarks

typecheck: $(VENV)/.installed-dev
	$(BIN)/mypy src

# Browser tests drive Debian's Chromium; PDF text is read with poppler's pdftotext; the live
# TLS probe tests start `openssl s_server`.
browser:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null \
	  && command -v pdftotext >/dev/null && command -v openssl >/dev/null || { apt-get update -qq \
	  && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver \
	     poppler-utils openssl >/dev/null; }

unit: $(VENV)/.installed-dev browser
	$(BIN)/pytest

test: lint typecheck unit

# byte-compiled first, as an installed package is, so no benchmark times the compiler
# peak memory is read by GNU time (see benchmarks/harness.py)
bench: $(VENV)/.installed-dev
	@test -x /usr/bin/time || { apt-get update -qq \
	  && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null; }
	$(BIN)/python -m compileall -q src >/dev/null
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) build dist src/*.egg-info .mypy_cache .ruff_cache .pytest_cache stackrift-demo
