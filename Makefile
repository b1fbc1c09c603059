# The two README commands are `make report` and `make test`; both set the machine up first.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: setup report test bench lint catalogs clean

setup: $(STAMP)
	@scripts/setup-system.sh

$(STAMP): pyproject.toml
	@echo "setup: creating virtual environment in $(VENV) and installing reportgen"
	@$(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install -q --upgrade pip
	@$(PY) -m pip install -q -e '.[dev]'
	@touch $(STAMP)

report: setup
	$(VENV)/bin/reportgen run

test: setup
	$(PY) -m pytest -q

bench: setup
	$(PY) -m bench
	$(PY) -m bench.fetch
	$(PY) -m bench.fog

lint: setup
	$(VENV)/bin/ruff check reportgen tests bench scripts

# Regenerate the Simplified Chinese catalog from the Traditional one (OpenCC + overrides).
catalogs: setup
	$(PY) scripts/hans_from_hant.py

clean:
	rm -rf $(VENV) output/*/
