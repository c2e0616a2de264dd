# Every target builds .venv on its own the first time (and again when the dependencies change).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
DEV_EXTRAS := .[all,test,docs,lint]
# The Keras backend the tests and the Keras demo use.
DEV_PACKAGES := tensorflow-cpu
DEMO_ARGS ?=

.PHONY: bench demo docs lint test test-core test-thorough venv clean

venv: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e '$(DEV_EXTRAS)' $(DEV_PACKAGES)
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/clr demo $(DEMO_ARGS)

bench: $(STAMP)
	$(PY) benchmarks/run_all.py

docs: $(STAMP)
	$(PY) docs/make_figures.py
	$(PY) -m mkdocs build --strict

test: $(STAMP)
	$(PY) -m pytest

# The core and its compositions, frameworks unimportable (their parity tests skip): seconds, for core work.
test-core: $(STAMP)
	$(PY) -m pytest -p tests.without_frameworks tests/core tests/compositions clr_core

# The whole suite with ten times the property-test examples of the default (fast) Hypothesis profile.
test-thorough: $(STAMP)
	HYPOTHESIS_PROFILE=thorough $(PY) -m pytest

# ruff (pyflakes, pycodestyle, isort, bugbear, pyupgrade, Google-style docstrings) and strict mypy on clr_core
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis *.egg-info demo-output site
