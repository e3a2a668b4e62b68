# The two commands of the README: `make demo` and `make test`. Each does all set-up on a fresh machine.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | sha256sum | cut -c1-12)

.PHONY: demo test test-fast bench lint airflow clean install browser

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=25"
	$(BIN)/python -m pip install --quiet -e ".[dev,airflow]"
	@rm -f $(VENV)/.installed-*
	@touch $@

demo: install
	$(BIN)/carm demo

test: install browser
	$(BIN)/python -m tests.run_all

# Debian's chromium, for the tests that look at the finance page in a real browser.
browser:
	@scripts/ensure_chromium.sh

test-fast: install browser
	$(BIN)/python -m pytest -x -m "not slow and not airflow"

bench: install
	$(BIN)/python benchmarks/run_all.py

# A local Airflow with the DAGs and demo data: http://localhost:8080, login admin / admin (docs/operations.md).
airflow: install
	$(BIN)/python scripts/airflow_local.py

lint: install
	$(BIN)/ruff check pipeline dags tests benchmarks

clean:
	rm -rf $(VENV) var .pytest_cache .hypothesis
