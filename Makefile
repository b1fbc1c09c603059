# The two README commands are `make report` and `make test`; both set the machine up first.
# Python packages come from uv.lock, exactly (`make lock` refreshes it after editing the
# ranges in pyproject.toml); uv itself is pinned here and installed beside the project.
# Bytecode is compiled at install, as pip does (uv does not by default): where
# PYTHONDONTWRITEBYTECODE is set, every process would otherwise compile pandas, matplotlib
# and WeasyPrint again, 2.4 s of CPU each. The project's own modules are compiled by setup.
PYTHON     ?= python3
VENV       ?= .venv
UV_VERSION := 0.13.9
TOOLS      := .tools
UV         := $(TOOLS)/bin/uv
PY         := $(VENV)/bin/python
STAMP      := $(VENV)/.installed
export UV_PROJECT_ENVIRONMENT := $(VENV)
export UV_LINK_MODE := copy

.PHONY: setup report test test-fast bench lint lock upgrade wheel catalogs clean

setup: $(STAMP)
	@scripts/setup-system.sh
	@$(PY) -m compileall -q -j 0 reportgen tests bench scripts >/dev/null

$(UV):
	@echo "setup: installing uv $(UV_VERSION) into $(TOOLS)/"
	@$(PYTHON) -m venv $(TOOLS)
	@$(TOOLS)/bin/python -m pip install -q --disable-pip-version-check "uv==$(UV_VERSION)"

$(STAMP): pyproject.toml uv.lock | $(UV)
	@echo "setup: installing the locked packages (uv.lock) into $(VENV)"
	@$(UV) sync --locked --extra dev --compile-bytecode --python $(PYTHON) --quiet
	@touch $(STAMP)

report: setup
	$(VENV)/bin/reportgen run

# Everything, as CI runs it.
test: setup
	$(PY) -m pytest -q -n 4 --dist loadgroup

# The tests that need no whole issue build, no browser and no wheel install.
test-fast: setup
	$(PY) -m pytest -q -n 4 --dist loadgroup -m "not slow"

bench: setup
	$(PY) -m bench
	$(PY) -m bench.fetch
	$(PY) -m bench.fog

lint: setup
	$(VENV)/bin/ruff check reportgen tests bench scripts

# Re-resolve uv.lock after changing pyproject.toml (keeps current versions where allowed).
lock: | $(UV)
	$(UV) lock

# Move every locked package to the newest release the ranges allow.
upgrade: | $(UV)
	$(UV) lock --upgrade

# The wheel, with templates/, charts/, catalogs/ and locales/ inside it.
wheel: | $(UV)
	$(UV) build --wheel --out-dir dist

# Regenerate the Simplified Chinese catalog from the Traditional one (OpenCC + overrides).
catalogs: setup
	$(PY) scripts/hans_from_hant.py

clean:
	rm -rf $(VENV) $(TOOLS) dist output/*/
