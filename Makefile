# kapm — two commands for a newcomer:
#   make demo   set up a virtualenv, install kapm, check/plan/report the bundled example
#   make test   set up (incl. test tools: tj3, chromium where installable) and run all tests
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
KAPM   := $(BIN)/kapm
EXAMPLE := examples/acme-erp
AS_OF  ?= 2026-11-20

.PHONY: demo test setup test-tools bench clean docs

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@# bytecode for the editable sources (some environments set PYTHONDONTWRITEBYTECODE,
	@# and every run would compile kapm again: ~70 ms)
	$(BIN)/python -m compileall -q src
	touch $@

setup: $(VENV)/.installed

demo: setup
	$(KAPM) --version
	$(KAPM) check $(EXAMPLE) --as-of $(AS_OF)
	$(KAPM) plan $(EXAMPLE)/accounts/acme/erp-rollout --as-of $(AS_OF)
	$(KAPM) plan $(EXAMPLE)/accounts/acme/erp-rollout --as-of $(AS_OF) --format gantt
	$(KAPM) report $(EXAMPLE)/accounts/acme/erp-rollout --as-of $(AS_OF) --lang zh -o demo-status-zh.md
	$(KAPM) report $(EXAMPLE)/accounts/acme/erp-rollout --as-of $(AS_OF) -o demo-status.html --format html
	$(KAPM) portfolio examples/portfolio --as-of $(AS_OF)
	@echo "wrote demo-status.html (open it in a browser) and demo-status-zh.md"

# Optional tools the differential and browser tests use; tests skip with a reason without them.
test-tools:
	@bash scripts/test-tools.sh

test: setup test-tools
	$(BIN)/python -m pytest -q

bench: setup
	$(BIN)/python bench/bench.py

docs: setup
	$(BIN)/python -m kapm.rules.docs > docs/rules.md

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis .kapm-cache src/kapm/__kapmcache__ build dist
