# Two commands do everything on a fresh machine:
#   make demo   - create .venv, install core + every first-party plugin, run the simulated microscope
#   make test   - same bootstrap, then lint (ruff, mypy) and the whole test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PLUGIN_DIRS := $(patsubst %/pyproject.toml,%,$(wildcard plugins/*/pyproject.toml))
# The plugin packages mypy checks, named explicitly: a wildcard also matches the
# magscope_*.egg-info folders an editable install leaves (mypy then stops).
PLUGIN_PKGS := plugins/analysis/magscope_analysis plugins/gui/magscope_gui plugins/magtrack/magscope_magtrack \
               plugins/microscope/magscope_microscope plugins/replay/magscope_replay plugins/sim/magscope_sim \
               plugins/tracker/magscope_tracker plugins/writers/magscope_writers
STAMP  := $(VENV)/.installed
DEMO_SECONDS ?= 10
DEMO_OUT ?= out/demo

.PHONY: install sysdeps demo test lint pytest bench dist clean help

help:
	@echo "make demo   - install everything and run the simulated microscope"
	@echo "make test   - install everything, lint, and run the whole test suite"
	@echo "make lint   - ruff + mypy"
	@echo "make bench  - run the benchmarks (prints figures)"
	@echo "make dist   - build wheels and sdists of the core and every plugin into dist/"

install: $(STAMP)

$(STAMP): pyproject.toml $(wildcard plugins/*/pyproject.toml)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install -q --disable-pip-version-check -e ".[test]" \
		$(foreach d,$(PLUGIN_DIRS),-e "$(d)[test]")
	@touch $(STAMP)

demo: install
	@if [ -n "$$DISPLAY$$WAYLAND_DISPLAY" ]; then \
		echo "display found: opening the GUI on the simulated microscope (files go to $(DEMO_OUT))"; \
		$(BIN)/magscope run --out $(DEMO_OUT) --mode track+video-rois; \
	else \
		echo "no display: headless run of $(DEMO_SECONDS) s into $(DEMO_OUT)"; \
		$(BIN)/magscope run --headless --duration $(DEMO_SECONDS) --out $(DEMO_OUT) --mode track+video-rois; \
	fi

lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy magscope_core $(PLUGIN_PKGS)

# System packages for the GUI's screenshot test (Xvfb and the xcb libraries); a no-op when
# they are present or when not root (the test then skips with the reason).
sysdeps:
	@if [ -f scripts/install-gui-sysdeps.sh ]; then bash scripts/install-gui-sysdeps.sh; fi

# Two workers (the CI machine has 2 cores; most tests wait on real processes and real
# time), then the few tests marked serial alone: they check what a killed session leaves
# in /dev/shm, which any concurrent magscope start would clean first.
PYTEST_WORKERS ?= 2
pytest: install sysdeps
	$(BIN)/python -m pytest -q -n $(PYTEST_WORKERS) -m "not serial"
	$(BIN)/python -m pytest -q -m serial

test: lint pytest

bench: install
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

# Wheels + sdists of the core and every plugin, built offline with the installed setuptools
# (no build isolation); a lab installs them with pip install --find-links dist magscope-...
dist: install
	rm -rf dist
	$(BIN)/python scripts/build_dist.py --out dist

clean:
	rm -rf $(VENV) build dist *.egg-info .mypy_cache .ruff_cache .pytest_cache out
